package server

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"go-micro.dev/v4/registry"
	"go-micro.dev/v4/server"
)

// go-micro RPC handlers served over HTTP.
//
// A handler struct given to Handle(NewHandler(h)) is read the way go-micro's
// rpc router reads it: every exported method of the shape
//
//	func(ctx context.Context, req *Req, rsp *Rsp) error    // unary
//	func(ctx context.Context, stream server.Stream) error  // stream
//
// is the endpoint "Service.Method" (Service is the handler's Name: the
// struct's type name). A unary method answers JSON (rpc_unary.go); a stream
// method is an SSE endpoint a browser opens with EventSource, each Send one
// event (rpc_stream.go). The request comes from the URL or the body
// (rpc_request.go). The endpoints are registered with the node, with
// go-micro's metadata ("stream": "true").

// rpcService is one handler struct mounted with Handle.
type rpcService struct {
	name      string
	rcvr      reflect.Value
	methods   map[string]*rpcMethod // by method name
	endpoints []*registry.Endpoint  // as the handler gives them (go-micro's extraction)
}

// rpcMethod is one method of a handler struct.
type rpcMethod struct {
	name    string
	fn      reflect.Value // the method's func, receiver first
	stream  bool
	reqType reflect.Type // unary: the request argument; stream: the stream parameter
	rspType reflect.Type // unary only: a pointer type
}

// typeOfStream is the stream a stream method is given.
var typeOfStream = reflect.TypeFor[*rpcStream]()

// newRPCService reads the RPC methods of h the way go-micro's router does
// and returns them, or an error wrapping ErrInvalidHandler when h has none.
func newRPCService(h server.Handler) (*rpcService, error) {
	v := reflect.ValueOf(h.Handler())
	if !v.IsValid() || v.Kind() == reflect.Pointer && v.IsNil() {
		return nil, fmt.Errorf("%w: nil", ErrNotHTTPHandler)
	}
	name := h.Name()
	if name == "" {
		name = reflect.Indirect(v).Type().Name()
	}
	if name == "" {
		return nil, fmt.Errorf("%w: %T has no type name to serve as the service name", ErrInvalidHandler, h.Handler())
	}
	svc := &rpcService{name: name, rcvr: v, methods: map[string]*rpcMethod{}}
	t := v.Type()
	for i := range t.NumMethod() {
		if m := rpcMethodOf(t.Method(i)); m != nil {
			svc.methods[m.name] = m
		}
	}
	if len(svc.methods) == 0 {
		return nil, fmt.Errorf("%w: %T has no exported method func(ctx, *Req, *Rsp) error or func(ctx, server.Stream) error", ErrInvalidHandler, h.Handler())
	}
	for _, ep := range h.Endpoints() {
		if ep == nil {
			continue
		}
		method := ep.Name[strings.LastIndex(ep.Name, ".")+1:]
		if _, ok := svc.methods[method]; ok {
			svc.endpoints = append(svc.endpoints, ep)
		}
	}
	return svc, nil
}

// rpcMethodOf returns the method if it has one of go-micro's shapes, else nil.
func rpcMethodOf(m reflect.Method) *rpcMethod {
	mt := m.Type
	if m.PkgPath != "" || mt.NumOut() != 1 || mt.Out(0) != typeOfError {
		return nil
	}
	switch mt.NumIn() {
	case 3: // receiver, ctx, stream
		if mt.In(1) != typeOfContext || !typeOfStream.AssignableTo(mt.In(2)) {
			return nil
		}
		return &rpcMethod{name: m.Name, fn: m.Func, stream: true, reqType: mt.In(2)}
	case 4: // receiver, ctx, req, rsp
		if mt.In(1) != typeOfContext || mt.In(3).Kind() != reflect.Pointer {
			return nil
		}
		return &rpcMethod{name: m.Name, fn: m.Func, reqType: mt.In(2), rspType: mt.In(3)}
	}
	return nil
}

// handleRPC mounts the RPC service of h; another service of the same name
// gives ErrHandlerExists.
func (s *Server) handleRPC(h server.Handler) error {
	svc, err := newRPCService(h)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.services[svc.name]; ok {
		return fmt.Errorf("%w: service %q", ErrHandlerExists, svc.name)
	}
	if s.services == nil {
		s.services = map[string]*rpcService{}
	}
	s.services[svc.name] = svc
	return nil
}

// rpcMethod returns the service and method of an endpoint "Service.Method".
func (s *Server) rpcMethod(endpoint string) (*rpcService, *rpcMethod) {
	service, method, ok := strings.Cut(endpoint, ".")
	if !ok {
		return nil, nil
	}
	s.mu.RLock()
	svc := s.services[service]
	s.mu.RUnlock()
	if svc == nil {
		return nil, nil
	}
	return svc, svc.methods[method]
}

// hasRPC reports whether any RPC service is mounted.
func (s *Server) hasRPC() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.services) > 0
}

// rpcEndpoints are the registry endpoints of the mounted RPC services,
// sorted by name as go-micro's rpc server registers them.
func (s *Server) rpcEndpoints() []*registry.Endpoint {
	s.mu.RLock()
	var eps []*registry.Endpoint
	for _, svc := range s.services {
		eps = append(eps, svc.endpoints...)
	}
	s.mu.RUnlock()
	sort.SliceStable(eps, func(i, j int) bool { return eps[i].Name < eps[j].Name })
	return slices.Clip(eps)
}
