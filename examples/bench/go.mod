module github.com/go-micro-sse/go-micro-sse/examples/bench

go 1.26.0

require github.com/go-micro-sse/go-micro-sse v0.0.0

require (
	github.com/golang/protobuf v1.5.2 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/miekg/dns v1.1.43 // indirect
	github.com/oxtoacart/bpool v0.0.0-20190530202638-03653db5a59c // indirect
	github.com/pkg/errors v0.9.1 // indirect
	github.com/tmaxmax/go-sse v0.11.0
	go-micro.dev/v4 v4.11.0 // indirect
	golang.org/x/net v0.60.0 // indirect
	golang.org/x/sync v0.24.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/text v0.43.0 // indirect
	google.golang.org/protobuf v1.28.1 // indirect
)

replace github.com/go-micro-sse/go-micro-sse => ../..
