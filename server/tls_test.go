package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"net/http"
	"testing"
	"time"

	"go-micro.dev/v4/server"

	"github.com/go-micro-sse/go-micro-sse/codec"
	"github.com/go-micro-sse/go-micro-sse/internal/ssetest"
	sse "github.com/go-micro-sse/go-micro-sse/server"
)

// selfSigned returns a server certificate for 127.0.0.1 and a pool that
// trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "sse test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true,

		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// TestTLS serves the events endpoint over TLS, with HTTP/2 when the client
// offers it and HTTP/1.1 when it does not.
func TestTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	s := newServer(server.TLSConfig(&tls.Config{Certificates: []tls.Certificate{cert}}))
	svc := ssetest.StartService(t, s, ssetest.ServiceOptions{})
	url := ssetest.EventsURL("https://"+svc.Addr()+"/events", "secure")

	for _, tc := range []struct {
		name  string
		h2    bool
		proto int
	}{{"h2", true, 2}, {"http1.1", false, 1}} {
		t.Run(tc.name, func(t *testing.T) {
			tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: tc.h2}
			if !tc.h2 {
				tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
			}
			defer tr.CloseIdleConnections()
			st, err := ssetest.Open(context.Background(), &http.Client{Transport: tr}, url, "")
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if st.Response.ProtoMajor != tc.proto {
				t.Fatalf("protocol = %s, want HTTP/%d", st.Response.Proto, tc.proto)
			}
			if st.Response.TLS == nil {
				t.Fatal("not TLS")
			}
			ssetest.Eventually(t, "stream open", func() bool { return s.Stats().Endpoint.Open == 1 })
			if err := s.TryPublish("secure", &codec.Event{Data: []byte(tc.name)}); err != nil {
				t.Fatal(err)
			}
			if ev := st.Next(t); string(ev.Data) != tc.name {
				t.Fatalf("event = %+v", ev)
			}
			st.Close()
			tr.CloseIdleConnections()
			ssetest.Eventually(t, "stream closed", func() bool { return s.Stats().Endpoint.Open == 0 })
		})
	}
	ns := nodes(svc.Registry, svc.Server().Options().Name)
	if len(ns) != 1 || ns[0].Metadata["secure"] != "true" {
		t.Fatalf("nodes = %+v, want secure metadata", ns)
	}
}

func TestTLSWithoutCertificate(t *testing.T) {
	s := newServer(server.TLSConfig(&tls.Config{}))
	if err := s.Start(); !errors.Is(err, sse.ErrNoCertificate) {
		s.Stop()
		t.Fatalf("Start = %v, want ErrNoCertificate", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
}
