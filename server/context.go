package server

import "context"

// MetadataLastEventID is the go-micro metadata key under which an RPC
// handler's context carries the Last-Event-ID a reconnecting browser sent
// (the header, or the LastEventIDParam query parameter):
// metadata.Get(ctx, "Last-Event-Id"). LastEventID(ctx) returns the same.
const MetadataLastEventID = "Last-Event-Id"

// lastEventIDKey is the context key of LastEventID.
type lastEventIDKey struct{}

func withLastEventID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, lastEventIDKey{}, id)
}

// LastEventID returns the Last-Event-ID of the browser a handler serves:
// the id of the last event it received on the stream it resumes, or "" on
// a first connection. A stream handler resumes its own stream from it. It
// is set in the context of RPC handlers served by this server (stream and
// unary).
func LastEventID(ctx context.Context) string {
	id, _ := ctx.Value(lastEventIDKey{}).(string)
	return id
}
