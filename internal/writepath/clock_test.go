package writepath

import (
	"testing"
	"time"
)

func TestMonoNowAdvances(t *testing.T) {
	a := MonoNow()
	time.Sleep(2 * time.Millisecond)
	if b := MonoNow(); b-a < int64(time.Millisecond) {
		t.Fatalf("MonoNow advanced %v over a 2ms sleep", time.Duration(b-a))
	}
}
