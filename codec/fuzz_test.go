package codec

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"
	"unicode/utf8"
)

// FuzzRoundTrip encodes an event and decodes it: either the encoder refused
// it with the named error its fields call for, or the decoder gives back
// exactly its ID, Event, Data (CR and CRLF read as LF) and Retry (whole
// milliseconds, rounded up). An event with empty Data is not dispatched: then
// the decoder's LastEventID and Retry must show it.
func FuzzRoundTrip(f *testing.F) {
	f.Add("1", "", []byte("hello"), int64(0), "", false)
	f.Add("", "add", []byte("a\nb\r\nc\rd"), int64(1500), "comment", false)
	f.Add(" :x", " t", []byte(" a\n:b\n\n"), int64(1), "a\nb", false)
	f.Add("7", "ping", []byte(""), int64(3000), "", false)
	f.Add("", "", []byte("\n"), int64(0), "", false)
	f.Add("1\n", "", []byte("x"), int64(0), "", false)
	f.Add("1", "a\rb", []byte("x"), int64(0), "", false)
	f.Add("1\x00", "", []byte("x"), int64(0), "", false)
	f.Add("", "", []byte("\xFF\x00\n"), int64(0), "", true)
	f.Add("", "", []byte("\xFF"), int64(0), "", false)
	f.Add("\xC0", "", []byte("x"), int64(-5), "", false)
	f.Add("é€", "😀", []byte("test\n\ntest\r"), int64(1<<40), "", false)
	f.Fuzz(func(t *testing.T, id, typ string, data []byte, retryMicros int64, comment string, b64 bool) {
		in := Event{ID: id, Event: typ, Data: data, Retry: time.Duration(retryMicros) * time.Microsecond, Comment: comment}
		enc := DataText
		if b64 {
			enc = DataBase64
		}
		// The first event sets an id that an event without one carries on.
		frame, err := (&Event{ID: "prev", Data: []byte("p")}).AppendTo(nil)
		if err != nil {
			t.Fatal(err)
		}
		frame, err = in.AppendWith(frame, enc)

		var wantErr error
		switch {
		case strings.ContainsAny(id, "\r\n\x00") || !utf8.ValidString(id):
			wantErr = ErrInvalidID
		case strings.ContainsAny(typ, "\r\n") || !utf8.ValidString(typ):
			wantErr = ErrInvalidEvent
		case in.Retry < 0:
			wantErr = ErrInvalidRetry
		case !b64 && !utf8.Valid(data):
			wantErr = ErrInvalidUTF8
		}
		if wantErr != nil || err != nil {
			if !errors.Is(err, wantErr) {
				t.Fatalf("encode %+v: got error %v, want %v", in, err, wantErr)
			}
			return
		}

		wantID := id
		if wantID == "" {
			wantID = "prev"
		}
		var wantRetry time.Duration
		if in.Retry > 0 {
			wantRetry = min(time.Duration(retryMillis(in.Retry)), (1<<63-1)/time.Millisecond) * time.Millisecond
		}
		d := NewDecoder(bytes.NewReader(frame), MaxLineBytes(1<<30), MaxEventBytes(1<<30))
		if first, err := d.Decode(); err != nil || first.ID != "prev" {
			t.Fatalf("first event: %+v %v", first, err)
		}
		got, err := d.Decode()
		if len(data) == 0 {
			if err != io.EOF {
				t.Fatalf("event without data dispatched: %+v %v (frame %q)", got, err, frame)
			}
			if d.LastEventID() != wantID || (wantRetry > 0 && d.Retry() != wantRetry) {
				t.Fatalf("last id %q retry %v, want %q %v (frame %q)", d.LastEventID(), d.Retry(), wantID, wantRetry, frame)
			}
			return
		}
		if err != nil {
			t.Fatalf("decode %q: %v", frame, err)
		}
		wantData := data
		if b64 {
			if wantData, err = base64.StdEncoding.DecodeString(string(got.Data)); err != nil {
				t.Fatalf("base64: %v", err)
			}
			got.Data = data
		} else {
			wantData = bytes.ReplaceAll(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")), []byte("\r"), []byte("\n"))
		}
		if got.ID != wantID || got.Event != typ || !bytes.Equal(got.Data, wantData) || got.Retry != wantRetry {
			t.Fatalf("round trip of %+v via %q gave %+v", in, frame, got)
		}
		if _, err := d.Decode(); err != io.EOF {
			t.Fatalf("more than one event from %q: %v", frame, err)
		}
	})
}

// FuzzDecode feeds any bytes to the Decoder, through a reader that splits
// them at fuzzed sizes, with fuzzed bounds. It must never panic, never hold
// more than its bounds, and must agree with the reference transcription of
// the standard whenever no bound was hit.
func FuzzDecode(f *testing.F) {
	seeds := []string{
		"data: YHOO\ndata: +2\ndata: 10\n\n",
		": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n",
		"data\n\ndata\ndata\n\ndata:",
		"data:test\n\ndata: test\n\n",
		"\xEF\xBB\xBFid: 1\r\nevent: x\r\nretry: 100\r\ndata: a\r\rdata: b\n\r\n",
		"id: 1\x00\ndata: a\xF1\x80\x80\xE1\x80\xC2b\n\n",
		"retry: 99999999999999999999\nretry: 1a\ndata\n\n",
		"data: a\n\ndata: b",
	}
	for i, s := range seeds {
		f.Add([]byte(s), uint16(4096), uint16(4096), uint8(i%4))
	}
	f.Add([]byte("data: 0123456789\n\n"), uint16(8), uint16(8), uint8(1))
	f.Fuzz(func(t *testing.T, in []byte, maxLine, maxEvent uint16, chunk uint8) {
		ml, me := int(maxLine)%5000+1, int(maxEvent)%5000+1
		var r io.Reader = bytes.NewReader(in)
		if chunk > 0 {
			r = &chunkReader{r: r, n: int(chunk)}
		}
		if chunk%7 == 1 {
			r = iotest.DataErrReader(r)
		}
		d := NewDecoder(r, MaxLineBytes(ml), MaxEventBytes(me))
		var got []Event
		var bound error
		for i := 0; ; i++ {
			if i > len(in) {
				t.Fatalf("more events than bytes")
			}
			ev, err := d.Decode()
			checkHeld(t, d)
			if err == io.EOF {
				break
			}
			if err != nil {
				if err != ErrLineTooLong && err != ErrEventTooLarge {
					t.Fatalf("unexpected error %v", err)
				}
				bound = err
				break
			}
			if len(ev.Data) >= me || !utf8.Valid(ev.Data) || !utf8.ValidString(ev.ID) || !utf8.ValidString(ev.Event) ||
				strings.ContainsAny(ev.ID, "\x00\r\n") || strings.ContainsAny(ev.Event, "\r\n") {
				t.Fatalf("event breaks the rules: %+v", ev)
			}
			got = append(got, *ev)
		}
		ref := refDecode(in)
		if bound != nil {
			if len(got) > len(ref.events) || !eventsEqual(got, ref.events[:len(got)]) {
				t.Fatalf("before %v: got %s, reference %s", bound, dumpEvents(got), dumpEvents(ref.events))
			}
			return
		}
		if !eventsEqual(got, ref.events) || d.LastEventID() != ref.lastID || d.Retry() != ref.retry {
			t.Fatalf("input %q:\n got %s last id %q retry %v\nwant %s last id %q retry %v", in,
				dumpEvents(got), d.LastEventID(), d.Retry(), dumpEvents(ref.events), ref.lastID, ref.retry)
		}
	})
}
