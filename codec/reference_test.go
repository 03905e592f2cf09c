package codec

import (
	"strings"
	"time"
	"unicode/utf8"
)

// This file is a literal, unoptimised transcription of the HTML standard's
// "Interpreting an event stream" and of the WHATWG Encoding standard's UTF-8
// decoder. The tests and fuzz targets compare the Decoder against it.

// refUTF8Decode is the WHATWG "UTF-8 decode" algorithm: a leading BOM is
// removed, and each error emits U+FFFD; on an unexpected byte the byte is
// processed again (the "prepend" step).
func refUTF8Decode(in []byte) string {
	if len(in) >= 3 && in[0] == 0xEF && in[1] == 0xBB && in[2] == 0xBF {
		in = in[3:]
	}
	var out []rune
	var cp, seen, need int
	lower, upper := 0x80, 0xBF
	for i := 0; i <= len(in); i++ {
		if i == len(in) {
			if need != 0 {
				out = append(out, utf8.RuneError)
			}
			break
		}
		b := int(in[i])
		if need == 0 {
			switch {
			case b <= 0x7F:
				out = append(out, rune(b))
			case b >= 0xC2 && b <= 0xDF:
				need, cp = 1, b&0x1F
			case b >= 0xE0 && b <= 0xEF:
				if b == 0xE0 {
					lower = 0xA0
				}
				if b == 0xED {
					upper = 0x9F
				}
				need, cp = 2, b&0xF
			case b >= 0xF0 && b <= 0xF4:
				if b == 0xF0 {
					lower = 0x90
				}
				if b == 0xF4 {
					upper = 0x8F
				}
				need, cp = 3, b&0x7
			default:
				out = append(out, utf8.RuneError)
			}
			continue
		}
		if b < lower || b > upper {
			cp, need, seen = 0, 0, 0
			lower, upper = 0x80, 0xBF
			out = append(out, utf8.RuneError)
			i-- // prepend the byte to the stream
			continue
		}
		lower, upper = 0x80, 0xBF
		cp = cp<<6 | b&0x3F
		seen++
		if seen == need {
			out = append(out, rune(cp))
			cp, need, seen = 0, 0, 0
		}
	}
	return string(out)
}

// refResult is what refDecode saw: the dispatched events, the last event ID
// string and the reconnection time (0 if never set).
type refResult struct {
	events []Event
	lastID string
	retry  time.Duration
}

// refDecode runs the standard's algorithm over a whole stream.
func refDecode(in []byte) refResult {
	s := refUTF8Decode(in)
	var r refResult
	var data, typ, idBuf strings.Builder
	var evRetry time.Duration
	for {
		// A line ends in CRLF, LF or CR; text after the last line end is
		// not a line: it is discarded at the end of the stream.
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			return r
		}
		line := s[:i]
		if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			i++
		}
		s = s[i+1:]

		if line == "" { // dispatch the event
			r.lastID = idBuf.String()
			if data.Len() == 0 {
				data.Reset()
				typ.Reset()
				evRetry = 0
				continue
			}
			d := strings.TrimSuffix(data.String(), "\n")
			r.events = append(r.events, Event{ID: r.lastID, Event: typ.String(), Data: []byte(d), Retry: evRetry})
			data.Reset()
			typ.Reset()
			evRetry = 0
			continue
		}
		if line[0] == ':' {
			continue
		}
		name, value := line, ""
		if j := strings.IndexByte(line, ':'); j >= 0 {
			name, value = line[:j], line[j+1:]
			value = strings.TrimPrefix(value, " ")
		}
		switch name {
		case "event":
			typ.Reset()
			typ.WriteString(value)
		case "data":
			data.WriteString(value)
			data.WriteByte('\n')
		case "id":
			if !strings.ContainsRune(value, 0) {
				idBuf.Reset()
				idBuf.WriteString(value)
			}
		case "retry":
			if value != "" && strings.Trim(value, "0123456789") == "" {
				ms, ok := parseDigits([]byte(value))
				if ok {
					r.retry = ms
					evRetry = ms
				}
			}
		}
	}
}
