package server

import "go-micro.dev/v4/logger"

// orDefault returns l, or go-micro's default logger when l is nil (a
// server not started yet, an endpoint mounted on the user's mux).
func orDefault(l logger.Logger) logger.Logger {
	if l == nil {
		return logger.DefaultLogger
	}
	return l
}

// logAt logs with l, or go-micro's default logger when l is nil.
func logAt(l logger.Logger, level logger.Level, format string, args ...any) {
	orDefault(l).Logf(level, format, args...)
}

// logf logs an error of the server's background work with l.
func logf(l logger.Logger, format string, args ...any) {
	logAt(l, logger.ErrorLevel, format, args...)
}
