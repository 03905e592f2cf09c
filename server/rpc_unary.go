package server

import (
	"context"
	"net/http"
	"reflect"

	merrors "go-micro.dev/v4/errors"
	"go-micro.dev/v4/server"
)

// serveRPCUnary serves one call of a unary method: the request decoded
// (rpc_request.go), the method called through the handler wrappers, the
// response answered as JSON (200, application/json; go-micro's JSON
// codec's format, so proto messages as protojson). An error is answered as the
// go-micro error in JSON with its code as the HTTP status (500 for a code
// outside 400-599), a request that does not decode as 400.
func (s *Server) serveRPCUnary(ctx context.Context, e *endpoint, w http.ResponseWriter, hr *http.Request, opts server.Options, svc *rpcService, m *rpcMethod, req *rpcRequest) {
	if rf := e.enter(); rf != nil {
		e.refuse(w, hr, rf)
		return
	}
	defer e.wg.Done()

	var argv reflect.Value
	if m.reqType.Kind() == reflect.Pointer {
		argv = reflect.New(m.reqType.Elem())
	} else {
		argv = reflect.New(m.reqType)
	}
	if err := req.decode(argv.Interface()); err != nil {
		writeRPCError(w, opts.Name, merrors.BadRequest(opts.Name, "%v", err))
		return
	}
	if m.reqType.Kind() != reflect.Pointer {
		argv = argv.Elem()
	}
	req.decoded = argv.Interface()
	rsp := reflect.New(m.rspType.Elem()).Interface()
	if err := s.callRPC(ctx, opts, svc, m, req, rsp); err != nil {
		writeRPCError(w, opts.Name, err)
		return
	}
	b, err := marshalJSON(rsp)
	if err != nil {
		writeRPCError(w, opts.Name, merrors.InternalServerError(opts.Name, "encode response: %v", err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// writeRPCError answers err as a go-micro error in JSON.
func writeRPCError(w http.ResponseWriter, service string, err error) {
	b := errorJSON(service, err)
	code := int(merrors.FromError(err).Code)
	if code < 400 || code > 599 {
		code = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}
