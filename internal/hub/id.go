package hub

import (
	"crypto/rand"
	"fmt"
	"strconv"
)

// An event id the hub assigns is "<epoch>-<seq>": epoch is 1 to 16
// characters of [0-9a-z], either drawn at random when the hub is created (8
// characters of [0-9a-v]) or given with WithEpoch (a JetStream stream's
// lifetime, the same on every node); seq is the event's sequence number
// (one sequence across all topics) in base 36, lowercase, without leading
// zeros. For example "k3j9q0ab-2s". Ids are ASCII letters, digits and '-',
// so they are safe in any header and in CORS requests; within one epoch
// they compare by their sequence number.
const (
	randomEpochLen = 8
	// maxEpochLen is the longest epoch WithEpoch accepts.
	maxEpochLen = 16
	// maxIDLen is the longest hub id: epoch, '-', 13 base-36 digits.
	maxIDLen = maxEpochLen + 1 + 13
)

const epochDigits = "0123456789abcdefghijklmnopqrstuv"

// newEpoch returns a random epoch of randomEpochLen characters.
func newEpoch() string {
	var b [randomEpochLen]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	for i := range b {
		b[i] = epochDigits[b[i]&31]
	}
	return string(b[:])
}

// checkEpoch returns an error wrapping errInvalidEpoch unless epoch is 1 to
// maxEpochLen characters of [0-9a-z].
func checkEpoch(epoch string) error {
	if epoch == "" || len(epoch) > maxEpochLen {
		return fmt.Errorf("%w: %.32q: want 1 to %d characters", errInvalidEpoch, epoch, maxEpochLen)
	}
	for i := 0; i < len(epoch); i++ {
		if !isBase36(epoch[i]) {
			return fmt.Errorf("%w: %.32q: want [0-9a-z]", errInvalidEpoch, epoch)
		}
	}
	return nil
}

func isBase36(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' }

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
	if len(id) > maxIDLen {
		return "", 0, false
	}
	dash := -1
	for i := 0; i < len(id); i++ {
		if id[i] == '-' {
			dash = i
			break
		}
		if !isBase36(id[i]) {
			return "", 0, false
		}
	}
	if dash < 1 || dash > maxEpochLen {
		return "", 0, false
	}
	digits := id[dash+1:]
	if len(digits) == 0 || len(digits) > 1 && digits[0] == '0' {
		return "", 0, false
	}
	for i := 0; i < len(digits); i++ {
		if !isBase36(digits[i]) {
			return "", 0, false
		}
	}
	seq, err := strconv.ParseUint(digits, 36, 64)
	if err != nil {
		return "", 0, false
	}
	return id[:dash], seq, true
}
