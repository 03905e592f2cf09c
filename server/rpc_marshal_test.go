package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	merrors "go-micro.dev/v4/errors"
	"go-micro.dev/v4/server"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// Words answers and streams protobuf messages, as generated code does.
type Words struct{ count int }

// Say streams Count messages "<req>-000001", ... and ends with a go-micro
// error whose detail names the request.
func (w Words) Say(ctx context.Context, stream server.Stream) error {
	req := new(wrapperspb.StringValue)
	if err := stream.Recv(req); err != nil {
		return err
	}
	for n := 1; n <= w.count; n++ {
		if err := stream.Send(wrapperspb.String(fmt.Sprintf("%s-%06d", req.Value, n))); err != nil {
			return err
		}
	}
	return merrors.Conflict("words", "%s done", req.Value)
}

// Echo answers its request, or fails with it as the error's detail when it
// ends in an odd digit.
func (Words) Echo(ctx context.Context, req, rsp *wrapperspb.StringValue) error {
	if last := req.Value[len(req.Value)-1]; (last-'0')%2 == 1 {
		return merrors.Conflict("words", "%s", req.Value)
	}
	rsp.Value = req.Value
	return nil
}

// TestRPCClientsGetOnlyTheirOwnData: with many protobuf streams and unary
// calls at once, every event, answer and error body a client gets is its
// own. go-micro's JSON marshaler hands back the bytes of a pooled buffer
// it has already put back; bytes kept from it carried another stream's
// message (and the race detector saw it).
func TestRPCClientsGetOnlyTheirOwnData(t *testing.T) {
	const streams, perStream, unary = 16, 3000, 600
	srv := newServer()
	if err := srv.Handle(srv.NewHandler(Words{count: perStream})); err != nil {
		t.Fatal(err)
	}
	svc := ssetest.StartService(t, srv, ssetest.ServiceOptions{Name: "words"})

	var wg sync.WaitGroup
	var mu sync.Mutex
	var wrong []string
	report := func(format string, a ...any) {
		mu.Lock()
		wrong = append(wrong, fmt.Sprintf(format, a...))
		mu.Unlock()
	}
	for i := range streams {
		name := fmt.Sprintf("s%02d", i)
		st := ssetest.OpenT(t, svc.URL("/rpc/Words.Say?req="+url.QueryEscape(strconv.Quote(name))), "")
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := 0
			for ev := range st.Events {
				if ev.Event == sse.EventError {
					var me merrors.Error
					if err := json.Unmarshal(ev.Data, &me); err != nil || me.Detail != name+" done" || me.Code != 409 {
						report("%s: error body %q", name, ev.Data)
					}
					break
				}
				n++
				if want := fmt.Sprintf(`"%s-%06d"`, name, n); string(ev.Data) != want || ev.ID != strconv.Itoa(n) {
					report("%s: event %s data %s, want %s", name, ev.ID, ev.Data, want)
				}
			}
			if n != perStream {
				report("%s: %d events, want %d (%v)", name, n, perStream, st.Err())
			}
		}()
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	defer client.CloseIdleConnections()
	for i := range unary {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("u%03d", i)
			resp, err := client.Post(svc.URL("/rpc/Words.Echo"), "application/json", strings.NewReader(strconv.Quote(name)))
			if err != nil {
				report("%s: %v", name, err)
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if i%2 == 1 {
				var me merrors.Error
				if resp.StatusCode != http.StatusConflict || json.Unmarshal(body, &me) != nil || me.Detail != name {
					report("%s: error answer %d %q", name, resp.StatusCode, body)
				}
				return
			}
			if resp.StatusCode != http.StatusOK || !bytes.Equal(body, []byte(strconv.Quote(name))) {
				report("%s: answer %d %q", name, resp.StatusCode, body)
			}
		}()
	}
	wg.Wait()
	if len(wrong) > 0 {
		t.Fatalf("%d answers or events were not the client's own, e.g.\n%s", len(wrong), strings.Join(wrong[:min(len(wrong), 10)], "\n"))
	}
}
