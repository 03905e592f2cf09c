package contract

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
)

// Flags are the command line of a benchmark server.
type Flags struct {
	// Addr is the address to listen on; the port may be 0.
	Addr string
}

// ParseFlags parses the command line: -addr (default 127.0.0.1:0).
func ParseFlags() Flags {
	var f Flags
	flag.StringVar(&f.Addr, "addr", "127.0.0.1:0", "address to listen on (port 0: any free port)")
	flag.Parse()
	return f
}

// Listen listens on addr (TCP).
func Listen(addr string) (net.Listener, error) {
	return net.Listen("tcp", addr)
}

// Announce prints the bound address as the first line on stdout: the load
// generator that started the server reads it.
func Announce(addr string) {
	fmt.Fprintln(os.Stdout, addr)
}

// SignalContext is a context ended by SIGINT or SIGTERM.
func SignalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}
