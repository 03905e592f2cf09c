package broker

import "go-micro.dev/v4/util/cmd"

// init makes the broker selectable as --broker=sse or MICRO_BROKER=sse.
func init() {
	cmd.DefaultBrokers["sse"] = NewBroker
}
