package hub

import "context"

// Hub options travel in a go-micro Options.Context under one key: the
// broker's options (ssebroker.MaxHistoryEvents, ...) put them there, and a
// server's own hub (sse.OwnHub) reads the same options from the same key,
// so each setting is defined once, by the broker package.

type optionsKey struct{}

// ContextWithOption returns ctx (nil: context.Background) carrying o after
// the options it carries.
func ContextWithOption(ctx context.Context, o Option) context.Context {
	if ctx == nil {
		ctx = context.Background()
	}
	prev := OptionsFrom(ctx)
	return context.WithValue(ctx, optionsKey{}, append(prev[:len(prev):len(prev)], o))
}

// ContextWithOptions returns ctx carrying exactly opts.
func ContextWithOptions(ctx context.Context, opts []Option) context.Context {
	if ctx == nil {
		ctx = context.Background()
	}
	return context.WithValue(ctx, optionsKey{}, opts)
}

// OptionsFrom returns the options ctx carries, in the order given (none
// for a nil ctx).
func OptionsFrom(ctx context.Context) []Option {
	if ctx == nil {
		return nil
	}
	opts, _ := ctx.Value(optionsKey{}).([]Option)
	return opts
}
