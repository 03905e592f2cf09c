// Package contract is what the three benchmark servers of examples/bench
// share, so that they differ only in the SSE library that serves and
// publishes: the POST /publish request and its paced loop (publish.go),
// GET /health and GET /debug/mem (debug.go), and the -addr flag with the
// bound address printed on stdout (listen.go).
//
// Every event's data is the send time in Unix nanoseconds, then, when the
// request asks for padding, a space and that many bytes: the load generator
// takes the delivery latency from it.
package contract
