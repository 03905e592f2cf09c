// Package bench compares go-micro-sse with other Go SSE libraries. It is a
// separate Go module, so that the library itself does not depend on its
// peers; `make bench` at the top of the repository runs it.
//
// encode_test.go measures the wire encoder against tmaxmax/go-sse's
// Message.WriteTo on the same events, side by side in one run:
//
//	cd examples/bench && go test -run '^$' -bench Encode -benchmem -count 5
//
// run.sh loads the benchmark servers of cmd/ (ssemicro, r3labs, gosse and
// two references without a library: writeperevent, one write(2) per event
// per connection, and limit, the least work a Go server can do) with
// cmd/loadgen, in turn, and prints the medians and the ratios to ssemicro
// and to limit:
//
//	cd examples/bench && ./run.sh
package bench
