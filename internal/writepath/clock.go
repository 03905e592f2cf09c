package writepath

import "time"

// clockStart is the origin of MonoNow.
var clockStart = time.Now()

// MonoNow is the time on the monotonic clock, in nanoseconds since the
// process started: what a taken-over stream's time of last write holds.
// It reads only the monotonic clock (time.Now reads the wall clock too);
// a writer reads it once per pass over its ready streams, not once per
// write.
func MonoNow() int64 { return int64(time.Since(clockStart)) }
