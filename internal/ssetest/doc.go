// Package ssetest holds test helpers shared by the tests of several packages
// of go-micro-sse: start a go-micro service on loopback with a memory
// registry (service.go), open an events endpoint over real HTTP and decode
// it with the codec's decoder (stream.go), wait with bounded timeouts
// (wait.go), retry a start whose fixed port is taken for a moment
// (addr_in_use.go), run nginx as a reverse proxy in front of a test server
// (nginx.go), run an embedded JetStream server (jetstream.go), and run a
// cluster of nats-servers in child processes of the test binary, killed
// with SIGKILL for a crash (natscluster.go). It imports no package of this
// module but codec, so that any package's tests, internal or external, can
// use it.
package ssetest
