// Package tlsconf builds the TLS settings rbgen's clients share (Tempo,
// Prometheus) from files named on the command line or in rbgen.yaml.
package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// Files are a client's TLS settings; Flag names them in errors (--tempo
// gives --tempo-ca, --tempo-cert and --tempo-key).
type Files struct {
	Enabled            bool
	CAFile             string
	CertFile, KeyFile  string
	InsecureSkipVerify bool
	ServerName         string
	Flag               string
}

// Build is the tls.Config, or nil when nothing asks for TLS.
func (f Files) Build() (*tls.Config, error) {
	if !f.Enabled && f.CAFile == "" && f.CertFile == "" && !f.InsecureSkipVerify {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: f.InsecureSkipVerify, ServerName: f.ServerName}
	if f.CAFile != "" {
		pem, err := os.ReadFile(f.CAFile)
		if err != nil {
			return nil, fmt.Errorf("%s-ca: %w", f.Flag, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s-ca %s: no PEM certificates in it", f.Flag, f.CAFile)
		}
		cfg.RootCAs = pool
	}
	if f.CertFile != "" || f.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("%s-cert/%s-key: %w", f.Flag, f.Flag, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}
