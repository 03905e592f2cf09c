package broker_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go-micro.dev/v4"
	mbroker "go-micro.dev/v4/broker"
	"go-micro.dev/v4/registry"
	"go-micro.dev/v4/server"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
)

// Tick is what the services publish.
type Tick struct {
	N    int    `json:"n"`
	Text string `json:"text"`
}

// startRPC starts a go-micro service with go-micro's own rpc server and
// broker b; subscribe registers subscribers before start.
func startRPC(t *testing.T, name string, b mbroker.Broker, reg registry.Registry, subscribe func(server.Server)) *ssetest.Service {
	t.Helper()
	srv := server.NewServer(server.Name(name))
	if subscribe != nil {
		subscribe(srv)
	}
	return ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: name, Broker: b, Registry: reg})
}

func TestServicePublishReachesHubAndSubscriber(t *testing.T) {
	b := ssebroker.NewBroker()
	br := subscribeHub(t, b, "ticks")
	got := make(chan *Tick, 1)
	svc := startRPC(t, "svc", b, nil, func(s server.Server) {
		require.NoError(t, micro.RegisterSubscriber("ticks", s, func(_ context.Context, m *Tick) error {
			got <- m
			return nil
		}))
	})

	require.NoError(t, micro.NewEvent("ticks", svc.Client()).Publish(context.Background(), &Tick{N: 1, Text: "hi"}))

	assert.Equal(t, &Tick{N: 1, Text: "hi"}, ssetest.Recv(t, got, "the go-micro subscriber"))
	evs := br.next(t, 1)
	assert.Equal(t, `{"n":1,"text":"hi"}`, string(evs[0].Data), "the browser gets exactly the JSON")
	assert.Equal(t, "", evs[0].Event)

	require.NoError(t, svc.Stop())
	// go-micro's rpc server disconnects the broker just after Stop returns.
	ssetest.Eventually(t, "the stopped server disconnected the broker", func() bool {
		return errors.Is(b.Publish("ticks", msg("x")), ssebroker.ErrNotConnected)
	})
	assert.Equal(t, 0, statsOf(b).Subscriptions, "Disconnect ended the subscription")
}

func TestServicePublishWithEventTypeHeader(t *testing.T) {
	b := ssebroker.NewBroker()
	br := subscribeHub(t, b, "ticks")
	svc := startRPC(t, "svc", b, nil, nil)

	ctx := metadataContext(map[string]string{"Sse-Event": "Tick"})
	require.NoError(t, micro.NewEvent("ticks", svc.Client()).Publish(ctx, &Tick{N: 2}))
	evs := br.next(t, 1)
	assert.Equal(t, "Tick", evs[0].Event)
	assert.Equal(t, `{"n":2,"text":""}`, string(evs[0].Data))

	bad := metadataContext(map[string]string{"Sse-Event": "Tick\ndata: injected"})
	assert.Error(t, micro.NewEvent("ticks", svc.Client()).Publish(bad, &Tick{N: 3}))
	assert.Empty(t, br.pending(t)[1:], "the refused event reached no browser")
}

func TestServicesWithTwoBrokersAreSeparate(t *testing.T) {
	reg := registry.NewMemoryRegistry()
	b1, b2 := ssebroker.NewBroker(), ssebroker.NewBroker()
	got1, got2 := make(chan *Tick, 4), make(chan *Tick, 4)
	sub := func(ch chan *Tick) func(server.Server) {
		return func(s server.Server) {
			require.NoError(t, micro.RegisterSubscriber("ticks", s, func(_ context.Context, m *Tick) error {
				ch <- m
				return nil
			}))
		}
	}
	svc1 := startRPC(t, "one", b1, reg, sub(got1))
	svc2 := startRPC(t, "two", b2, reg, sub(got2))
	br2 := subscribeHub(t, b2, "ticks")

	require.NoError(t, micro.NewEvent("ticks", svc1.Client()).Publish(context.Background(), &Tick{N: 1}))
	require.NoError(t, micro.NewEvent("ticks", svc2.Client()).Publish(context.Background(), &Tick{N: 2}))

	assert.Equal(t, 1, ssetest.Recv(t, got1, "service one's subscriber").N)
	assert.Equal(t, 2, ssetest.Recv(t, got2, "service two's subscriber").N, "two sees only its own")
	evs := br2.next(t, 1)
	assert.Equal(t, `{"n":2,"text":""}`, string(evs[0].Data))
	assert.Empty(t, br2.pending(t)[1:], "two's browsers see only two's topic events")
	require.NoError(t, svc1.Stop())
	require.NoError(t, svc2.Stop())
	assert.Empty(t, got1)
	assert.Empty(t, got2)
}
