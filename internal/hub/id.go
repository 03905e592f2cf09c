package hub

import (
	"crypto/rand"
	"strconv"
)

// An event id the hub assigns is "<epoch>-<seq>": epoch is 8 characters of
// [0-9a-v] drawn at random when the hub is created, seq is the hub's
// sequence number (starting at 1, one sequence across all topics) in base
// 36, lowercase, without leading zeros. For example "k3j9q0ab-2s". Ids are
// ASCII letters, digits and '-', so they are safe in any header and in CORS
// requests; within one epoch they compare by their sequence number.
const (
	epochLen = 8
	// maxIDLen is the longest hub id: epoch, '-', 13 base-36 digits.
	maxIDLen = epochLen + 1 + 13
)

const epochDigits = "0123456789abcdefghijklmnopqrstuv"

// newEpoch returns a random epoch of epochLen characters.
func newEpoch() string {
	var b [epochLen]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	for i := range b {
		b[i] = epochDigits[b[i]&31]
	}
	return string(b[:])
}

// appendID appends the hub id of seq in epoch to dst.
func appendID(dst []byte, epoch string, seq uint64) []byte {
	dst = append(dst, epoch...)
	dst = append(dst, '-')
	return strconv.AppendUint(dst, seq, 36)
}

// formatID returns the hub id of seq in epoch.
func formatID(epoch string, seq uint64) string {
	var b [maxIDLen]byte
	return string(appendID(b[:0], epoch, seq))
}

// parseID splits a hub id into its epoch and sequence. ok is false when id
// does not have the form of a hub id (of any epoch).
func parseID(id string) (epoch string, seq uint64, ok bool) {
	if len(id) < epochLen+2 || len(id) > maxIDLen || id[epochLen] != '-' {
		return "", 0, false
	}
	for i := 0; i < epochLen; i++ {
		c := id[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'v') {
			return "", 0, false
		}
	}
	digits := id[epochLen+1:]
	if len(digits) > 1 && digits[0] == '0' {
		return "", 0, false
	}
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z') {
			return "", 0, false
		}
	}
	seq, err := strconv.ParseUint(digits, 36, 64)
	if err != nil {
		return "", 0, false
	}
	return id[:epochLen], seq, true
}
