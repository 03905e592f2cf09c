package transport

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go-micro.dev/v4"
	"go-micro.dev/v4/broker"
	"go-micro.dev/v4/client"
	"go-micro.dev/v4/registry"
	"go-micro.dev/v4/server"
	"go-micro.dev/v4/transport"
	"go-micro.dev/v4/util/cmd"
)

// Req and Rsp are the messages of the test service (go-micro's JSON codec,
// no protobuf).
type Req struct {
	Name string
	Seq  int
	Data []byte
}

// Rsp is the reply to Req.
type Rsp struct {
	Msg  string
	Seq  int
	Data []byte
}

// Greeter is the test service's handler.
type Greeter struct{}

// Hello answers one call, echoing the data.
func (g *Greeter) Hello(_ context.Context, req *Req, rsp *Rsp) error {
	rsp.Msg = "hello " + req.Name
	rsp.Seq = req.Seq
	rsp.Data = req.Data
	return nil
}

// Echo answers every message of a stream with its sequence number.
func (g *Greeter) Echo(_ context.Context, stream server.Stream) error {
	for {
		var req Req
		if err := stream.Recv(&req); err != nil {
			return nil
		}
		if err := stream.Send(&Rsp{Seq: req.Seq, Data: req.Data}); err != nil {
			return nil
		}
	}
}

// Sink receives a stream of messages numbered from 0 until one numbered -1,
// then answers once with the count and whether they came in order.
func (g *Greeter) Sink(_ context.Context, stream server.Stream) error {
	rsp := Rsp{Msg: "in order"}
	for {
		var req Req
		if err := stream.Recv(&req); err != nil {
			return err
		}
		if req.Seq < 0 {
			return stream.Send(&rsp)
		}
		if req.Seq != rsp.Seq && rsp.Msg == "in order" {
			rsp.Msg = fmt.Sprintf("message %d came at position %d", req.Seq, rsp.Seq)
		}
		rsp.Seq++
	}
}

// rpcEnv is one go-micro service served through a transport and a client
// calling it through the same transport and registry.
type rpcEnv struct {
	svc    micro.Service
	client client.Client
	name   string
	addr   string
	stop   sync.Once
}

func startRPC(tb testing.TB, tr transport.Transport) *rpcEnv {
	tb.Helper()
	reg := registry.NewMemoryRegistry()
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	e := &rpcEnv{name: "greeter-" + uuid.NewString()[:8]}
	e.svc = micro.NewService(
		micro.Server(server.NewServer(server.Id(uuid.NewString()), server.Broker(broker.NewMemoryBroker()))),
		micro.Client(client.NewClient()),
		micro.Broker(broker.NewMemoryBroker()),
		micro.Registry(reg),
		micro.Transport(tr),
		micro.Name(e.name),
		micro.Address("127.0.0.1:0"),
		micro.HandleSignal(false),
		micro.Context(ctx),
	)
	require.NoError(tb, micro.RegisterHandler(e.svc.Server(), new(Greeter)))
	require.NoError(tb, e.svc.Server().Start())
	e.addr = e.svc.Server().Options().Address
	opts := []client.Option{
		client.Transport(tr),
		client.Registry(reg),
		client.ContentType("application/json"),
		client.RequestTimeout(30 * time.Second),
	}
	if _, ok := tb.(*testing.T); ok {
		// go-micro gives one request 5 s by default, and past it races with
		// its own reader goroutine; -race on a loaded machine needs more.
		// Benchmarks keep go-micro's defaults.
		opts = append(opts, func(o *client.Options) { o.CallOptions.ConnectionTimeout = 30 * time.Second })
	}
	e.client = client.NewClient(opts...)
	tb.Cleanup(func() {
		e.stopServer(tb)
		_ = e.client.Options().Selector.Close()
		_ = e.svc.Client().Options().Selector.Close()
	})
	return e
}

func (e *rpcEnv) stopServer(tb testing.TB) {
	e.stop.Do(func() { require.NoError(tb, e.svc.Server().Stop()) })
}

func (e *rpcEnv) hello(ctx context.Context, req *Req, opts ...client.CallOption) (*Rsp, error) {
	var rsp Rsp
	err := e.client.Call(ctx, e.client.NewRequest(e.name, "Greeter.Hello", req), &rsp, opts...)
	return &rsp, err
}

func TestRegisteredInCmd(t *testing.T) {
	f, ok := cmd.DefaultTransports["sse"]
	require.True(t, ok)
	assert.Equal(t, "sse", f().String())
}

func TestRPCUnary(t *testing.T) {
	e := startRPC(t, NewTransport())
	for i := 0; i < 50; i++ {
		rsp, err := e.hello(context.Background(), &Req{Name: "bob", Seq: i})
		require.NoError(t, err)
		assert.Equal(t, "hello bob", rsp.Msg)
		assert.Equal(t, i, rsp.Seq)
	}
}

func TestRPCBigBody(t *testing.T) {
	e := startRPC(t, NewTransport())
	data := make([]byte, 1<<20)
	_, _ = rand.Read(data)
	rsp, err := e.hello(context.Background(), &Req{Name: "big", Data: data})
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, rsp.Data), "1 MiB body differs")
}

func TestRPCConcurrentCallers(t *testing.T) {
	e := startRPC(t, NewTransport())
	const callers, calls = 100, 5
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for c := 0; c < callers; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < calls; i++ {
				name := fmt.Sprintf("c%d-%d", c, i)
				rsp, err := e.hello(context.Background(), &Req{Name: name, Seq: i})
				if err == nil && (rsp.Msg != "hello "+name || rsp.Seq != i) {
					err = fmt.Errorf("caller %d got %+v", c, rsp)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestRPCStreamInOrder runs a bidirectional stream of 10,000 messages each
// way. The client waits for each answer before sending the next message:
// go-micro's rpc server reuses its encode buffer for the next stream.Send
// while the previous message is still queued for the transport, so a
// handler sending faster than the transport writes corrupts its own
// messages, with go-micro's HTTP transport too (see TestRPCClientStream for
// pipelined sending).
func TestRPCStreamInOrder(t *testing.T) {
	e := startRPC(t, NewTransport())
	const n = 10000
	stream, err := e.client.Stream(context.Background(), e.client.NewRequest(e.name, "Greeter.Echo", &Req{}))
	require.NoError(t, err)
	for i := 0; i < n; i++ {
		require.NoError(t, stream.Send(&Req{Seq: i}))
		var rsp Rsp
		require.NoError(t, stream.Recv(&rsp))
		require.Equal(t, i, rsp.Seq, "stream out of order")
	}
	require.NoError(t, stream.Close())
}

// TestRPCClientStream sends 10,000 messages without waiting (they travel in
// batched POSTs); the server checks their order and answers once.
func TestRPCClientStream(t *testing.T) {
	e := startRPC(t, NewTransport())
	const n = 10000
	stream, err := e.client.Stream(context.Background(), e.client.NewRequest(e.name, "Greeter.Sink", &Req{}))
	require.NoError(t, err)
	for i := 0; i < n; i++ {
		require.NoError(t, stream.Send(&Req{Seq: i}))
	}
	require.NoError(t, stream.Send(&Req{Seq: -1}))
	var rsp Rsp
	require.NoError(t, stream.Recv(&rsp))
	require.Equal(t, "in order", rsp.Msg)
	require.Equal(t, n, rsp.Seq)
	require.NoError(t, stream.Close())
}

func TestRPCStoppedServer(t *testing.T) {
	e := startRPC(t, NewTransport())
	_, err := e.hello(context.Background(), &Req{Name: "before"})
	require.NoError(t, err)
	e.stopServer(t)
	// By name: the node is deregistered.
	_, err = e.hello(context.Background(), &Req{Name: "after"}, client.WithRequestTimeout(2*time.Second))
	require.Error(t, err)
	// By address: the pooled connection is dead and a new dial is refused.
	for i := 0; i < 2; i++ {
		_, err = e.hello(context.Background(), &Req{Name: "after"},
			client.WithAddress(e.addr), client.WithRequestTimeout(2*time.Second), client.WithDialTimeout(2*time.Second))
		require.Error(t, err)
	}
}

func TestRPCTLS(t *testing.T) {
	cfg := selfSignedTLS(t)
	for _, tc := range []struct {
		name string
		opts []transport.Option
	}{
		{"TLSConfig", []transport.Option{transport.TLSConfig(cfg)}},
		{"Secure", []transport.Option{transport.Secure(true)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := startRPC(t, NewTransport(tc.opts...))
			rsp, err := e.hello(context.Background(), &Req{Name: "tls"})
			require.NoError(t, err)
			assert.Equal(t, "hello tls", rsp.Msg)
		})
	}
	// A client that does not trust the server's certificate fails.
	e := startRPC(t, NewTransport(transport.TLSConfig(cfg)))
	other := client.NewClient(client.Transport(NewTransport(transport.TLSConfig(selfSignedTLS(t)))), client.Registry(registry.NewMemoryRegistry()))
	defer other.Options().Selector.Close()
	var rsp Rsp
	err := other.Call(context.Background(), other.NewRequest(e.name, "Greeter.Hello", &Req{}), &rsp,
		client.WithAddress(e.addr), client.WithRequestTimeout(2*time.Second))
	require.Error(t, err)
}
