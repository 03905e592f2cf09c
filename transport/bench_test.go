package transport

import (
	"bytes"
	"context"
	"testing"

	"go-micro.dev/v4/client"
	"go-micro.dev/v4/transport"
)

// transports are compared in the same run: this package's and go-micro's
// default HTTP transport.
var benchTransports = []struct {
	name string
	new  func() transport.Transport
}{
	{"sse", func() transport.Transport { return NewTransport() }},
	{"http", func() transport.Transport { return transport.NewHTTPTransport() }},
}

// BenchmarkUnary is one go-micro request/response round trip.
func BenchmarkUnary(b *testing.B) {
	for _, bt := range benchTransports {
		b.Run(bt.name, func(b *testing.B) {
			e := startRPC(b, bt.new())
			req := &Req{Name: "bench"}
			if _, err := e.hello(context.Background(), req); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := e.hello(context.Background(), req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// openBenchStream starts a go-micro service on t, opens a stream to its
// endpoint, and resets the benchmark timer (with allocation reporting).
func openBenchStream(b *testing.B, t transport.Transport, endpoint string) client.Stream {
	e := startRPC(b, t)
	stream, err := e.client.Stream(context.Background(), e.client.NewRequest(e.name, endpoint, &Req{}))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	return stream
}

// BenchmarkStreamUp is the throughput of a go-micro stream: the client
// sends b.N messages without waiting, the server receives them all and
// answers once. One op is one message.
func BenchmarkStreamUp(b *testing.B) {
	for _, bt := range benchTransports {
		b.Run(bt.name, func(b *testing.B) {
			stream := openBenchStream(b, bt.new(), "Greeter.Sink")
			defer stream.Close()
			for i := 0; i < b.N; i++ {
				if err := stream.Send(&Req{Seq: i, Name: "stream message"}); err != nil {
					b.Fatal(err)
				}
			}
			if err := stream.Send(&Req{Seq: -1}); err != nil {
				b.Fatal(err)
			}
			var rsp Rsp
			if err := stream.Recv(&rsp); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if rsp.Seq != b.N || rsp.Msg != "in order" {
				b.Fatalf("got %+v for %d messages", rsp, b.N)
			}
		})
	}
}

// BenchmarkStreamPingPong is one message each way on an open go-micro
// stream.
func BenchmarkStreamPingPong(b *testing.B) {
	for _, bt := range benchTransports {
		b.Run(bt.name, func(b *testing.B) {
			stream := openBenchStream(b, bt.new(), "Greeter.Echo")
			defer stream.Close()
			for i := 0; i < b.N; i++ {
				if err := stream.Send(&Req{Seq: i}); err != nil {
					b.Fatal(err)
				}
				var rsp Rsp
				if err := stream.Recv(&rsp); err != nil {
					b.Fatal(err)
				}
				if rsp.Seq != i {
					b.Fatalf("got %d, want %d", rsp.Seq, i)
				}
			}
		})
	}
}

// BenchmarkUpstream compares, on one socket, a POST per message (the
// client waits until the server received each message, so nothing is
// queued when it sends the next) with batching (the client sends without
// waiting; what queues during a POST goes in the next one). One op is one
// 100-byte message.
func BenchmarkUpstream(b *testing.B) {
	tr := NewTransport()
	l, err := tr.Listen("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	sockets := make(chan transport.Socket, 1)
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- l.Accept(func(s transport.Socket) {
			sockets <- s
			<-release
		})
	}()
	defer func() {
		close(release)
		_ = l.Close()
		<-done
	}()
	c, err := tr.Dial(l.Addr())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	s := <-sockets
	msg := &transport.Message{Header: map[string]string{"Micro-Stream": "1"}, Body: bytes.Repeat([]byte("x"), 100)}
	b.Run("POST-per-message", func(b *testing.B) {
		var m transport.Message
		for i := 0; i < b.N; i++ {
			if err := c.Send(msg); err != nil {
				b.Fatal(err)
			}
			if err := s.Recv(&m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("batched", func(b *testing.B) {
		recvd := make(chan error, 1)
		go func() {
			var m transport.Message
			for i := 0; i < b.N; i++ {
				if err := s.Recv(&m); err != nil {
					recvd <- err
					return
				}
			}
			recvd <- nil
		}()
		for i := 0; i < b.N; i++ {
			if err := c.Send(msg); err != nil {
				b.Fatal(err)
			}
		}
		if err := <-recvd; err != nil {
			b.Fatal(err)
		}
	})
}
