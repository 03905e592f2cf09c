package transport

import (
	"bytes"
	"fmt"
)

const hexDigits = "0123456789ABCDEF"

// appendHeader writes h as one ASCII line "k=v&k=v": in keys and values the
// bytes '%', '&', '=', controls, DEL and every byte of 0x80 and above are
// written as %XX, everything else as is. An empty map is an empty line; a
// header with an empty key and value is "=".
func appendHeader(dst []byte, h map[string]string) []byte {
	first := true
	for k, v := range h {
		if !first {
			dst = append(dst, '&')
		}
		first = false
		dst = appendEscaped(dst, k)
		dst = append(dst, '=')
		dst = appendEscaped(dst, v)
	}
	return dst
}

func appendEscaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '%' || c == '&' || c == '=' {
			dst = append(dst, '%', hexDigits[c>>4], hexDigits[c&15])
		} else {
			dst = append(dst, c)
		}
	}
	return dst
}

// parseHeader reads a line written by appendHeader. It is strict: every pair
// has one '=', every '%' is followed by two hex digits, and a key appears
// once.
func parseHeader(line []byte) (map[string]string, error) {
	h := make(map[string]string, bytes.Count(line, []byte{'&'})+1)
	if len(line) == 0 {
		return h, nil
	}
	for {
		pair := line
		i := bytes.IndexByte(line, '&')
		if i >= 0 {
			pair, line = line[:i], line[i+1:]
		} else {
			line = nil
		}
		j := bytes.IndexByte(pair, '=')
		if j < 0 {
			return nil, fmt.Errorf("%w: header pair without '='", errMalformed)
		}
		k, err := unescape(pair[:j])
		if err != nil {
			return nil, err
		}
		v, err := unescape(pair[j+1:])
		if err != nil {
			return nil, err
		}
		if _, dup := h[k]; dup {
			return nil, fmt.Errorf("%w: header %q twice", errMalformed, k)
		}
		h[k] = v
		if i < 0 {
			return h, nil
		}
	}
}

func unescape(b []byte) (string, error) {
	if bytes.IndexByte(b, '%') < 0 {
		if bytes.IndexByte(b, '=') >= 0 {
			return "", fmt.Errorf("%w: unescaped '=' in header", errMalformed)
		}
		return string(b), nil
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch c {
		case '%':
			if i+2 >= len(b) {
				return "", fmt.Errorf("%w: truncated escape in header", errMalformed)
			}
			hi, ok1 := unhex(b[i+1])
			lo, ok2 := unhex(b[i+2])
			if !ok1 || !ok2 {
				return "", fmt.Errorf("%w: bad escape in header", errMalformed)
			}
			out = append(out, hi<<4|lo)
			i += 2
		case '=':
			return "", fmt.Errorf("%w: unescaped '=' in header", errMalformed)
		default:
			out = append(out, c)
		}
	}
	return string(out), nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}
