package contract

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Serve listens on addr, announces the bound address and serves h until ctx
// ends; then it closes the server and calls each of onStop. It returns nil
// after a clean stop.
func Serve(ctx context.Context, addr string, h http.Handler, onStop ...func()) error {
	ln, err := Listen(addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second}
	Announce(ln.Addr().String())
	go func() {
		<-ctx.Done()
		_ = hs.Close()
		for _, f := range onStop {
			f()
		}
	}()
	if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
