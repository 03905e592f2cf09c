package broker

import "go-micro.dev/v4/logger"

// skipBinary counts one message whose body is not UTF-8 and that neither
// the server nor the message asked to base64-encode: it reaches in-process
// subscribers but no browser (see Publish). The first skip of a topic is
// logged as a warning with l, later ones at debug level.
func (b *sseBroker) skipBinary(topic string, l logger.Logger, cause error) {
	b.binarySkips.Skip(l, "sse broker", topic, cause)
}
