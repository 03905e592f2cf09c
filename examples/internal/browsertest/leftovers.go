//go:build linux

package browsertest

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
	"time"
)

// killLeftovers kills processes still running with --user-data-dir=dir.
// Chromium passes the flag to its children (zygote, network service,
// crashpad), which can outlive a killed main process; chromedp only cleans
// up after profiles it created itself, and ours lives in t.TempDir(). Where
// /proc does not exist it does nothing.
func killLeftovers(dir string) {
	want := []byte("--user-data-dir=" + dir)
	deadline := time.Now().Add(2 * time.Second)
	for quiet := 0; quiet < 3 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if killUsing(want) == 0 {
			quiet++
		} else {
			quiet = 0
		}
	}
}

// killUsing sends SIGKILL to every process whose command line holds the
// argument arg, and returns how many it found.
func killUsing(arg []byte) int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	self := os.Getpid()
	n := 0
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue
		}
		for a := range bytes.SplitSeq(cmdline, []byte{0}) {
			if bytes.Equal(a, arg) {
				syscall.Kill(pid, syscall.SIGKILL)
				n++
				break
			}
		}
	}
	return n
}
