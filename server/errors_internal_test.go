package server

import (
	"testing"

	"github.com/go-micro-sse/go-micro-sse/internal/hub"
)

// TestSharedErrorsAreTheHubs: the errors and the bound the server shares
// with this module's broker are the hub's own values, so that errors.Is
// matches them whichever package returned them, the server's own hub
// included.
func TestSharedErrorsAreTheHubs(t *testing.T) {
	for name, c := range map[string][2]error{
		"ErrIDTooLong":     {ErrIDTooLong, hub.ErrIDTooLong},
		"ErrUnknownTopic":  {ErrUnknownTopic, hub.ErrUnknownTopic},
		"ErrInvalidTopic":  {ErrInvalidTopic, hub.ErrInvalidTopic},
		"ErrEventTooLarge": {ErrEventTooLarge, hub.ErrEventTooLarge},
	} {
		if c[0] == nil || c[0] != c[1] {
			t.Errorf("%s = %v, want the hub's %v", name, c[0], c[1])
		}
	}
	if MaxPublisherIDLength != hub.MaxPublisherIDLen {
		t.Errorf("MaxPublisherIDLength = %d, the hub takes %d", MaxPublisherIDLength, hub.MaxPublisherIDLen)
	}
}
