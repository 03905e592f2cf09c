// Package server is a go-micro v4 server.Server that serves browsers over
// Server-Sent Events: micro.NewService(micro.Server(server.NewServer()))
// is a working service whose events endpoint (default /events) streams the
// events published to its topics, beside an http.Handler of the user's on
// the same listener, with go-micro subscribers, registry registration and a
// graceful Stop, as go-micro's own rpc server does them.
//
// go-micro handler structs mounted with Handle(srv.NewHandler(h)) are
// served over HTTP: their stream methods as SSE endpoints a browser opens with
// EventSource, resumable from its Last-Event-ID, their unary methods as
// JSON, through the handler wrappers, registered with the node. With the
// Auth option, or the service's auth (micro.Auth, --auth) seen after
// svc.Init(), go-micro's auth inspects each request's token (AuthCookie,
// AuthQueryParam), verifies every topic and endpoint against the rules and
// ends a stream when its token expires. EventsHandler, RPCHandler and
// HTTPHandler put the same endpoints on the user's own mux.
//
// The hub the events come from has one owner, who sets its options once:
// with this module's broker the broker (ssebroker.MaxHistoryEvents, ...
// given to ssebroker.NewBroker; Start connects it, then serves its hub as it
// is), with any other broker the server, which makes a hub of its own (its
// settings: OwnHub) and bridges. A stream is a position in the hub's logs;
// its write path reads bounded batches of the shared frames and writes each
// with one writev.
//
// At the edges, where the open internet and the user's code meet the
// server: every hook of the user (Authorize, OnSubscribe, OnUnsubscribe)
// runs under a recover and holds no lock another connection needs; every
// request is admitted by limits with finite defaults, in all
// (MaxConnections), per client address (MaxConnectionsPerClient) and per
// connect rate (ConnectRate), with CORS as the Fetch standard has it
// (AllowedOrigins); a request that cannot be parsed or placed gets a
// refusal (the Reason constants) or the reset event, never a 500; with a
// foreign broker each topic is bridged on its own, lingers after its last
// client (BridgeLinger) and marks its gaps in the hub; Stop spreads the
// clients' return (ShutdownJitter), cuts stalled writes and returns only
// when nothing of the server runs.
//
// Observed: Stats is a snapshot of atomic counters the write path keeps
// anyway, with a publish-to-write latency histogram sampled once per write
// of live events (LatencyStats); Lag looks at every stream once, for a scrape;
// stream open, close and refusal go to the go-micro logger with structured
// fields. The Prometheus collector over them is the package server/metrics,
// so that this one needs no Prometheus.
package server
