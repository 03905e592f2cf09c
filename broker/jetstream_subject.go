package broker

import "strings"

// The topic -> subject rule of the JetStream mode.
//
// Every topic of a stream lives under the subject "<stream>.<token>":
// token is the topic with every byte outside [A-Za-z0-9_:/@-] written as
// '%' and two uppercase hex digits ("news.eu" -> "news%2Eeu", "a b" ->
// "a%20b", "%" -> "%25"). The token is therefore one NATS subject token
// (no '.', '*', '>', whitespace or control byte), so a topic can neither
// reach another topic's subject nor a wildcard, and the stream's subject
// space is exactly "<stream>.*". The rule is a bijection: only the
// canonical escaping of a topic (uppercase hex, every byte outside the set
// escaped, no other byte escaped) maps back to a topic, so two subjects
// never mean the same topic.

// hexDigits are the digits of an escape.
const hexDigits = "0123456789ABCDEF"

// Subject returns the NATS subject the JetStream mode stores topic under in
// stream (see the rule above): a go-micro service that publishes with
// go-micro's NATS broker on this subject reaches the browsers of topic.
// It returns "" for an empty topic.
func Subject(stream, topic string) string {
	if topic == "" {
		return ""
	}
	var b strings.Builder
	b.Grow(len(stream) + 1 + len(topic))
	b.WriteString(stream)
	b.WriteByte('.')
	for i := 0; i < len(topic); i++ {
		c := topic[i]
		if plainSubjectByte(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// TopicOf returns the topic that subject holds in stream, the inverse of
// Subject; ok is false when subject is not the canonical subject of a topic
// of stream.
func TopicOf(stream, subject string) (topic string, ok bool) {
	if len(subject) < len(stream)+2 || subject[:len(stream)] != stream || subject[len(stream)] != '.' {
		return "", false
	}
	tok := subject[len(stream)+1:]
	b := make([]byte, 0, len(tok))
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if plainSubjectByte(c) {
			b = append(b, c)
			continue
		}
		if c != '%' || i+2 >= len(tok) {
			return "", false
		}
		hi, lo := unhex(tok[i+1]), unhex(tok[i+2])
		if hi < 0 || lo < 0 {
			return "", false
		}
		d := byte(hi<<4 | lo)
		if plainSubjectByte(d) {
			return "", false // not canonical: this byte is never escaped
		}
		b = append(b, d)
		i += 2
	}
	return string(b), true
}

// plainSubjectByte reports whether c stands for itself in a subject token.
func plainSubjectByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '_' || c == ':' || c == '/' || c == '@' || c == '-'
}

// unhex returns the value of an uppercase hex digit, -1 for anything else.
func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
