package codec

import "errors"

// Errors the encoder returns for an Event it refuses to write. Nothing is
// written when one is returned.
var (
	// ErrInvalidID means the ID holds CR, LF or NUL, which would end the
	// field early (injecting fields) or make the browser ignore it, or is
	// not valid UTF-8, which the browser would alter.
	ErrInvalidID = errors.New("sse codec: event id contains CR, LF, NUL or invalid UTF-8")
	// ErrInvalidEvent means the event type holds CR or LF, or is not valid
	// UTF-8.
	ErrInvalidEvent = errors.New("sse codec: event type contains CR, LF or invalid UTF-8")
	// ErrInvalidRetry means Retry is negative.
	ErrInvalidRetry = errors.New("sse codec: negative retry")
	// ErrInvalidUTF8 means Data is not valid UTF-8 and the encoding is
	// DataText; browsers would replace the bytes, so they are refused.
	// Use DataBase64 to carry binary data.
	ErrInvalidUTF8 = errors.New("sse codec: data is not valid UTF-8")
)

// ErrInvalidEncoding means a message's Sse-Encoding header (HeaderEncoding)
// is neither EncodingText nor EncodingBase64.
var ErrInvalidEncoding = errors.New("sse codec: unknown data encoding")

// Errors the decoder returns when the stream exceeds its bound.
var (
	// ErrLineTooLong means one line of the stream is longer than the
	// decoder's MaxLineBytes.
	ErrLineTooLong = errors.New("sse codec: line exceeds the decoder's limit")
	// ErrEventTooLarge means the data of one event exceeds the decoder's
	// MaxEventBytes.
	ErrEventTooLarge = errors.New("sse codec: event exceeds the decoder's limit")
)

// ErrNoHeader is returned by Codec.ReadBody when no successful ReadHeader
// came before it: there is no event whose data it could read.
var ErrNoHeader = errors.New("sse codec: ReadBody without ReadHeader")
