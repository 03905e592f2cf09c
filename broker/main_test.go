package broker_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, append(ssetest.GoleakIgnores(), goleak.IgnoreCurrent())...)
}
