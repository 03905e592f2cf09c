package broker_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go-micro.dev/v4"
	mbroker "go-micro.dev/v4/broker"
	"go-micro.dev/v4/registry"
	"go-micro.dev/v4/server"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// startSSE starts a go-micro service with the SSE server and broker b, and
// a go-micro subscriber on topic that feeds got.
func startSSE(t *testing.T, name string, b mbroker.Broker, reg registry.Registry, topic string, got chan<- *Tick) *ssetest.Service {
	t.Helper()
	srv := sse.NewServer()
	require.NoError(t, micro.RegisterSubscriber(topic, srv, func(_ context.Context, m *Tick) error {
		got <- m
		return nil
	}))
	return ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: name, Broker: b, Registry: reg})
}

func TestSSEServerBrowserAndSubscriberInOneRun(t *testing.T) {
	b := ssebroker.NewBroker()
	got := make(chan *Tick, 4)
	svc := startSSE(t, "sse", b, nil, "ticks", got)
	browser := ssetest.OpenT(t, ssetest.EventsURL(svc.URL("/events"), "ticks"), "")

	ctx := metadataContext(map[string]string{"Sse-Event": "tick"})
	require.NoError(t, micro.NewEvent("ticks", svc.Client()).Publish(ctx, &Tick{N: 1, Text: "over http"}))

	ev := browser.Next(t)
	assert.Equal(t, `{"n":1,"text":"over http"}`, string(ev.Data), "exactly the JSON, no trailing newline")
	assert.Equal(t, "tick", ev.Event)
	assert.NotEmpty(t, ev.ID)
	assert.Equal(t, &Tick{N: 1, Text: "over http"}, ssetest.Recv(t, got, "the go-micro subscriber"))

	// A direct broker publish goes the same way.
	require.NoError(t, b.Publish("ticks", msg(`{"n":2,"text":""}`+"\n", "Content-Type", "application/json")))
	assert.Equal(t, `{"n":2,"text":""}`, string(browser.Next(t).Data))
	assert.Equal(t, 2, ssetest.Recv(t, got, "the go-micro subscriber").N)
	assert.Equal(t, uint64(2), statsOf(b).Published)
}

func TestSSEServicesWithTwoBrokersAreSeparate(t *testing.T) {
	reg := registry.NewMemoryRegistry()
	got1, got2 := make(chan *Tick, 4), make(chan *Tick, 4)
	svc1 := startSSE(t, "one", ssebroker.NewBroker(), reg, "ticks", got1)
	svc2 := startSSE(t, "two", ssebroker.NewBroker(), reg, "ticks", got2)
	browser1 := ssetest.OpenT(t, ssetest.EventsURL(svc1.URL("/events"), "ticks"), "")
	browser2 := ssetest.OpenT(t, ssetest.EventsURL(svc2.URL("/events"), "ticks"), "")

	require.NoError(t, micro.NewEvent("ticks", svc1.Client()).Publish(context.Background(), &Tick{N: 1}))
	require.NoError(t, micro.NewEvent("ticks", svc2.Client()).Publish(context.Background(), &Tick{N: 2}))

	assert.Equal(t, `{"n":1,"text":""}`, string(browser1.Next(t).Data))
	assert.Equal(t, `{"n":2,"text":""}`, string(browser2.Next(t).Data), "two's browser sees only two's event")
	assert.Equal(t, 1, ssetest.Recv(t, got1, "one's subscriber").N)
	assert.Equal(t, 2, ssetest.Recv(t, got2, "two's subscriber").N, "two's subscriber sees only two's event")

	// Once more on one only: two's browser and subscriber still see nothing of it.
	require.NoError(t, micro.NewEvent("ticks", svc1.Client()).Publish(context.Background(), &Tick{N: 3}))
	require.NoError(t, micro.NewEvent("ticks", svc2.Client()).Publish(context.Background(), &Tick{N: 4}))
	assert.Equal(t, `{"n":4,"text":""}`, string(browser2.Next(t).Data))
	assert.Equal(t, 4, ssetest.Recv(t, got2, "two's subscriber").N)
}

func TestSSEServicesSharingABrokerShareAQueueGroup(t *testing.T) {
	const messages = 300
	b := ssebroker.NewBroker(ssebroker.SubscriberQueue(messages))
	reg := registry.NewMemoryRegistry()
	var mu sync.Mutex
	seen := map[int]int{}
	perNode := map[string]int{}
	var all sync.WaitGroup
	all.Add(messages)
	var svcs []*ssetest.Service
	for _, name := range []string{"a", "b", "c"} {
		srv := sse.NewServer()
		require.NoError(t, micro.RegisterSubscriber("jobs", srv, func(_ context.Context, m *Tick) error {
			mu.Lock()
			seen[m.N]++
			perNode[name]++
			mu.Unlock()
			all.Done()
			return nil
		}, server.SubscriberQueue("workers")))
		svcs = append(svcs, ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "workers", Broker: b, Registry: reg}))
	}
	browser := ssetest.OpenT(t, ssetest.EventsURL(svcs[1].URL("/events"), "jobs"), "")

	for i := range messages {
		require.NoError(t, micro.NewEvent("jobs", svcs[i%3].Client()).Publish(context.Background(), &Tick{N: i}))
	}
	for i := range messages { // every browser gets every one, in order
		require.Equal(t, fmt.Sprintf(`{"n":%d,"text":""}`, i), string(browser.Next(t).Data))
	}
	ssetest.Wait(t, waitGroupDone(&all), "every job handled")
	for _, s := range svcs {
		require.NoError(t, s.Stop()) // the broker ends its subscriptions: counts are final
	}
	assert.Len(t, seen, messages)
	for i := range messages {
		assert.Equal(t, 1, seen[i], "job %d handled once by the group", i)
	}
	assert.Len(t, perNode, 3, "every node of the group took a share: %v", perNode)
}

// waitGroupDone is closed when wg's count reaches zero.
func waitGroupDone(wg *sync.WaitGroup) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	return done
}
