package server_test

import (
	"context"
	"testing"

	"go-micro.dev/v4/broker"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
)

// BenchmarkServerPublish: what one srv.Publish costs, through this
// module's broker and bridged through go-micro's memory broker (each
// event checked against the hub before the broker has it), beside
// TryPublish (this node's hub only), with no client.
func BenchmarkServerPublish(b *testing.B) {
	ev := &codec.Event{Event: "tick", Data: []byte(`{"n":1,"text":"a short JSON body"}`)}
	for _, c := range []struct {
		name   string
		broker func() broker.Broker
		try    bool
	}{
		{"sse-broker", func() broker.Broker { return ssebroker.NewBroker() }, false},
		{"bridged", func() broker.Broker { return broker.NewMemoryBroker() }, false},
		{"TryPublish", func() broker.Broker { return ssebroker.NewBroker() }, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			s := newServer()
			ssetest.StartService(b, s, ssetest.ServiceOptions{Name: "bench", Broker: c.broker()})
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var err error
				if c.try {
					err = s.TryPublish("bench", ev)
				} else {
					err = s.Publish(ctx, "bench", ev)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
