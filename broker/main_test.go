package broker_test

import (
	"testing"

	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
)

// TestMain fails the package if a test leaves a goroutine behind (goleak,
// minus the goroutines go-micro never stops: see ssetest.GoleakIgnores).
func TestMain(m *testing.M) { ssetest.VerifyTestMain(m) }
