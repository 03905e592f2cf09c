// Command gosse is the benchmark server of examples/bench served by
// github.com/tmaxmax/go-sse: its Server with the Joe provider, the topic
// taken from ?stream=, published to with Server.Publish.
//
//	gosse -addr 127.0.0.1:0    # prints the bound address on stdout
package main

import (
	"log"
	"net/http"

	gosse "github.com/tmaxmax/go-sse"

	"github.com/go-micro-sse/go-micro-sse/examples/bench/internal/contract"
)

func main() {
	flags := contract.ParseFlags()
	ctx, stop := contract.SignalContext()
	defer stop()

	s := &gosse.Server{
		Provider: &gosse.Joe{Replayer: headerReplayer{}},
		OnSession: func(_ http.ResponseWriter, r *http.Request) ([]string, bool) {
			return r.URL.Query()["stream"], true
		},
	}
	pub := contract.NewPublisher(ctx, func(data []byte) error {
		m := &gosse.Message{}
		m.AppendData(string(data))
		return s.Publish(m, contract.Topic)
	})
	mux := contract.Mux(pub)
	mux.Handle("/events", s)

	if err := contract.Serve(ctx, flags.Addr, mux); err != nil {
		log.Fatalf("gosse: %v", err)
	}
}
