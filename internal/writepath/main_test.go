package writepath

import (
	"testing"

	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
)

func TestMain(m *testing.M) { ssetest.VerifyTestMain(m) }
