package transport

import (
	"crypto/tls"
	"fmt"
	"net"

	"go-micro.dev/v4/transport"
	maddr "go-micro.dev/v4/util/addr"
	mls "go-micro.dev/v4/util/tls"
)

// serverTLS is the listener's TLS configuration: a clone of TLSConfig, or
// with Secure and no TLSConfig a self-signed certificate for the listen
// address (as go-micro's HTTP transport does), or nil for plain HTTP.
func serverTLS(o transport.Options, addr string) (*tls.Config, error) {
	if o.TLSConfig != nil {
		c := o.TLSConfig.Clone()
		c.NextProtos = []string{"http/1.1"}
		return c, nil
	}
	if !o.Secure {
		return nil, nil
	}
	hosts := []string{addr}
	if host, _, err := net.SplitHostPort(addr); err == nil {
		if host == "" || host == "0.0.0.0" || host == "::" {
			hosts = maddr.IPs()
		} else {
			hosts = []string{host}
		}
	}
	cert, err := mls.Certificate(hosts...)
	if err != nil {
		return nil, fmt.Errorf("sse transport: self-signed certificate: %w", err)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"http/1.1"},
	}, nil
}

// clientTLS is the dialer's TLS configuration: a clone of TLSConfig, or
// with Secure and no TLSConfig one that accepts the server's self-signed
// certificate (go-micro's documented meaning of Secure), or nil.
func clientTLS(o transport.Options, d transport.DialOptions) *tls.Config {
	var c *tls.Config
	switch {
	case o.TLSConfig != nil:
		c = o.TLSConfig.Clone()
	case o.Secure:
		c = &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12} //nolint:gosec // go-micro's Secure means self-signed
	default:
		return nil
	}
	if d.InsecureSkipVerify {
		c.InsecureSkipVerify = true
	}
	c.NextProtos = []string{"http/1.1"}
	return c
}
