package broker_test

import (
	"context"

	"go-micro.dev/v4/metadata"
)

// metadataContext carries headers to go-micro's client Publish.
func metadataContext(md map[string]string) context.Context {
	return metadata.NewContext(context.Background(), md)
}
