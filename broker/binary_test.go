package broker_test

import (
	"context"
	"encoding/base64"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go-micro.dev/v4"
	mbroker "go-micro.dev/v4/broker"
	"go-micro.dev/v4/client"
	"go-micro.dev/v4/server"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	ssebroker "github.com/go-micro-sse/go-micro-sse/broker"
	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// binaryPayload is a protobuf message whose wire form is not UTF-8.
func binaryPayload(n byte) *wrapperspb.BytesValue {
	return wrapperspb.Bytes([]byte{0xff, 0x00, 0xfe, n})
}

// startProtobuf starts a service with the SSE server (opts) and broker b, a
// go-micro subscriber of topic taking protobuf messages, and a client that
// publishes with go-micro's protobuf codec.
func startProtobuf(t *testing.T, b mbroker.Broker, topic string, got chan<- *wrapperspb.BytesValue, opts ...server.Option) *ssetest.Service {
	t.Helper()
	srv := sse.NewServer(opts...)
	require.NoError(t, micro.RegisterSubscriber(topic, srv, func(_ context.Context, m *wrapperspb.BytesValue) error {
		got <- m
		return nil
	}))
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "pb", Broker: b})
	require.NoError(t, svc.Client().Init(client.ContentType("application/protobuf")))
	return svc
}

func TestProtobufReachesSubscriberAndBrowserAsBase64(t *testing.T) {
	b := ssebroker.NewBroker()
	got := make(chan *wrapperspb.BytesValue, 4)
	svc := startProtobuf(t, b, "pb", got)
	browser := ssetest.OpenT(t, ssetest.EventsURL(svc.URL("/events"), "pb"), "")

	ctx := metadataContext(map[string]string{codec.HeaderEncoding: codec.EncodingBase64, codec.HeaderEvent: "pb"})
	require.NoError(t, micro.NewEvent("pb", svc.Client()).Publish(ctx, binaryPayload(1)))

	assert.True(t, proto.Equal(binaryPayload(1), ssetest.Recv(t, got, "the go-micro subscriber")), "the subscriber gets the message unchanged")
	ev := browser.Next(t)
	assert.Equal(t, "pb", ev.Event)
	raw, err := base64.StdEncoding.DecodeString(string(ev.Data))
	require.NoError(t, err, "the browser's data is base64")
	var m wrapperspb.BytesValue
	require.NoError(t, proto.Unmarshal(raw, &m))
	assert.True(t, proto.Equal(binaryPayload(1), &m), "decoded, it is the message published")
	assert.Zero(t, statsOf(b).BinarySkipped)
}

func TestProtobufWithoutBase64SkipsBrowsersOnly(t *testing.T) {
	log := ssetest.NewLog()
	b := ssebroker.NewBroker(mbroker.Logger(log))
	got := make(chan *wrapperspb.BytesValue, 4)
	svc := startProtobuf(t, b, "pb", got)
	browser := ssetest.OpenT(t, ssetest.EventsURL(svc.URL("/events"), "pb"), "")

	require.NoError(t, micro.NewEvent("pb", svc.Client()).Publish(context.Background(), binaryPayload(2)),
		"a binary body is no error for the publisher")
	assert.True(t, proto.Equal(binaryPayload(2), ssetest.Recv(t, got, "the go-micro subscriber")))
	require.NoError(t, b.Publish("pb", msg("after")))
	assert.Equal(t, "after", string(browser.Next(t).Data), "the browser never saw the binary message")
	assert.Equal(t, uint64(1), statsOf(b).BinarySkipped)
	assert.Len(t, log.Lines("warn", `"pb"`, "not valid UTF-8"), 1, "the skip is logged with its topic")
}

// TestBase64DataCarriesProtobuf: Base64Data on the broker, the owner of
// the hub the server serves.
func TestBase64DataCarriesProtobuf(t *testing.T) {
	b := ssebroker.NewBroker(ssebroker.Base64Data())
	got := make(chan *wrapperspb.BytesValue, 4)
	svc := startProtobuf(t, b, "pb", got)
	browser := ssetest.OpenT(t, ssetest.EventsURL(svc.URL("/events"), "pb"), "")

	// No header needed: the server writes every event's data as base64
	// (and does not encode twice when the message asks for it too).
	require.NoError(t, micro.NewEvent("pb", svc.Client()).Publish(context.Background(), binaryPayload(3)))
	ctx := metadataContext(map[string]string{codec.HeaderEncoding: codec.EncodingBase64})
	require.NoError(t, micro.NewEvent("pb", svc.Client()).Publish(ctx, binaryPayload(4)))
	for i := range byte(2) {
		assert.True(t, proto.Equal(binaryPayload(3+i), ssetest.Recv(t, got, "the go-micro subscriber")))
		raw, err := base64.StdEncoding.DecodeString(string(browser.Next(t).Data))
		require.NoError(t, err)
		var m wrapperspb.BytesValue
		require.NoError(t, proto.Unmarshal(raw, &m))
		assert.True(t, proto.Equal(binaryPayload(3+i), &m))
	}
}

func TestBase64HeaderOnTextAndBadValue(t *testing.T) {
	b := newConnected(t)
	br := subscribeHub(t, b, "t")
	got := make(chan string, 4)
	_, err := b.Subscribe("t", func(e mbroker.Event) error { got <- string(e.Message().Body); return nil })
	require.NoError(t, err)

	// Asked for, base64 applies to text too: a page decodes every event of
	// the topic the same way.
	require.NoError(t, b.Publish("t", msg("héllo", codec.HeaderEncoding, codec.EncodingBase64)))
	assert.Equal(t, base64.StdEncoding.EncodeToString([]byte("héllo")), string(br.next(t, 1)[0].Data))
	assert.Equal(t, "héllo", <-got, "handlers get the body as published")
	require.NoError(t, b.Publish("t", msg("plain", codec.HeaderEncoding, "text")))
	assert.Equal(t, "plain", string(br.next(t, 2)[1].Data))
	assert.Equal(t, "plain", <-got)

	assert.ErrorIs(t, b.Publish("t", msg("x", codec.HeaderEncoding, "gzip")), codec.ErrInvalidEncoding)
	assert.Len(t, br.pending(t), 2, "a refused message reaches no browser")
	assert.Empty(t, got, "nor any handler")
}
