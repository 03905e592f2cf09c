package server

import (
	"go-micro.dev/v4/server"
	"go-micro.dev/v4/util/cmd"
)

// init registers the server in go-micro's command line as "sse", so that
// --server=sse or MICRO_SERVER=sse selects it in any service that calls
// svc.Init().
func init() {
	cmd.DefaultServers["sse"] = func(o ...server.Option) server.Server { return NewServer(o...) }
}
