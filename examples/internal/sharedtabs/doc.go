// Package sharedtabs holds the Chromium tests of the browser module the
// server serves (SharedEventSource): several tabs of one browser profile
// on one connection, a leader's tab closed, crashed or frozen, and the
// connection limit of HTTP/1.1. It has no code of its own beside a test
// page.
package sharedtabs
