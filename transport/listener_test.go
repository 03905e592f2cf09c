package transport

import (
	"bufio"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go-micro.dev/v4/transport"
)

// openRaw opens a session with a plain HTTP GET and returns its id and the
// stream.
func openRaw(t *testing.T, p *pair) (string, *bufio.Reader, transport.Socket) {
	t.Helper()
	rsp, err := http.Get("http://" + p.l.Addr() + "/")
	require.NoError(t, err)
	t.Cleanup(func() { rsp.Body.Close() })
	require.Equal(t, http.StatusOK, rsp.StatusCode)
	assert.Equal(t, "text/event-stream", rsp.Header.Get("Content-Type"))
	assert.Equal(t, "no-cache", rsp.Header.Get("Cache-Control"))
	r := bufio.NewReader(rsp.Body)
	line, err := r.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "event: open\n", line)
	line, err = r.ReadString('\n')
	require.NoError(t, err)
	id, _, ok := strings.Cut(strings.TrimPrefix(line, "data: "), " ")
	require.True(t, ok, line)
	return id, r, <-p.sockets
}

func post(t *testing.T, p *pair, query, body string) int {
	t.Helper()
	rsp, err := http.Post("http://"+p.l.Addr()+"/?"+query, "text/event-stream", strings.NewReader(body))
	require.NoError(t, err)
	rsp.Body.Close()
	return rsp.StatusCode
}

func TestPostProtocol(t *testing.T) {
	p := serve(t)
	id, _, s := openRaw(t, p)
	frame := "event: t\ndata: k=v\ndata: hello\n\n"
	assert.Equal(t, http.StatusNotFound, post(t, p, "s=unknown&q=0&n=1", frame))
	assert.Equal(t, http.StatusBadRequest, post(t, p, "s="+id+"&q=x&n=1", frame))
	assert.Equal(t, http.StatusNoContent, post(t, p, "s="+id+"&q=0&n=1", frame))
	assert.Equal(t, http.StatusNoContent, post(t, p, "s="+id+"&q=1&n=2", frame+frame))
	var m transport.Message
	for i := 0; i < 3; i++ {
		require.NoError(t, s.Recv(&m))
		assert.Equal(t, "hello", string(m.Body))
		assert.Equal(t, "v", m.Header["k"])
	}
	// A POST out of sequence ends the session.
	assert.Equal(t, http.StatusConflict, post(t, p, "s="+id+"&q=7&n=1", frame))
	require.ErrorIs(t, s.Recv(&m), ErrConnectionLost)
}

func TestPostCountMismatchEndsSession(t *testing.T) {
	p := serve(t)
	id, r, s := openRaw(t, p)
	assert.Equal(t, http.StatusBadRequest, post(t, p, "s="+id+"&q=0&n=2", "event: t\ndata: \ndata: x\n\n"))
	var m transport.Message
	require.NoError(t, s.Recv(&m), "the message that came is delivered")
	require.ErrorIs(t, s.Recv(&m), ErrConnectionLost)
	// The stream ends with an error event.
	var rest strings.Builder
	for {
		line, err := r.ReadString('\n')
		rest.WriteString(line)
		if err != nil {
			break
		}
	}
	assert.Contains(t, rest.String(), "event: error\ndata: lost ")
}

func TestMethodAndPath(t *testing.T) {
	p := serve(t)
	req, err := http.NewRequest(http.MethodPut, "http://"+p.l.Addr()+"/", nil)
	require.NoError(t, err)
	rsp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	rsp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, rsp.StatusCode)
	rsp, err = http.Get("http://" + p.l.Addr() + "/other")
	require.NoError(t, err)
	rsp.Body.Close()
	assert.Equal(t, http.StatusNotFound, rsp.StatusCode)
}
