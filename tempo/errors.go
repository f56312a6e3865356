package tempo

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// SourceError is a failure of the trace source as a whole: Tempo cannot be
// reached, refuses the credentials, or had nothing to give. Commands map it
// to their "source failed" exit code.
type SourceError struct {
	Msg string
	Err error
}

func (e *SourceError) Error() string {
	if e.Err == nil {
		return e.Msg
	}
	return e.Msg + ": " + e.Err.Error()
}

func (e *SourceError) Unwrap() error { return e.Err }

// HTTPError is a non-2xx answer from Tempo's HTTP API.
type HTTPError struct {
	Code int
	Body string
}

func (e *HTTPError) Error() string {
	msg := fmt.Sprintf("HTTP %d %s", e.Code, http.StatusText(e.Code))
	if b := strings.TrimSpace(e.Body); b != "" {
		if len(b) > 200 {
			b = b[:200] + "…"
		}
		msg += ": " + strings.Join(strings.Fields(b), " ")
	}
	return msg
}

// retryable says whether a failed call may succeed if tried again.
func retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Code == http.StatusTooManyRequests || he.Code == http.StatusBadGateway ||
			he.Code == http.StatusServiceUnavailable || he.Code == http.StatusGatewayTimeout
	}
	if s, ok := status.FromError(err); ok && s.Code() != codes.Unknown {
		switch s.Code() {
		case codes.Unavailable, codes.ResourceExhausted, codes.DeadlineExceeded, codes.Aborted:
			return true
		}
		return false
	}
	if denied(err) || badTLS(err) || noHost(err) {
		return false
	}
	var ne net.Error
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne)
}

// denied says Tempo rejected who we are. A multi-tenant Tempo answers a
// call without X-Scope-OrgID with "no org id" (gRPC code Unknown, HTTP 401).
func denied(err error) bool {
	if strings.Contains(err.Error(), "no org id") {
		return true
	}
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Code == http.StatusUnauthorized || he.Code == http.StatusForbidden
	}
	if s, ok := status.FromError(err); ok {
		return s.Code() == codes.Unauthenticated || s.Code() == codes.PermissionDenied
	}
	return false
}

func badTLS(err error) bool {
	var ce *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var rh tls.RecordHeaderError
	return errors.As(err, &ce) || errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &rh) ||
		strings.Contains(err.Error(), "tls:") || strings.Contains(err.Error(), "x509:")
}

func noHost(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de) || strings.Contains(err.Error(), "no such host")
}

func unreachable(err error) bool {
	if errors.Is(err, syscall.ECONNREFUSED) || noHost(err) {
		return true
	}
	if s, ok := status.FromError(err); ok && s.Code() == codes.Unavailable {
		return true
	}
	return strings.Contains(err.Error(), "connection refused")
}

// explain turns a failure that ends the pull into one line a person can act on.
func (c *Client) explain(what string, err error) error {
	switch {
	case denied(err):
		hint := "check the token or credentials"
		if c.cfg.Tenant == "" {
			hint += ", and whether this Tempo needs --tenant"
		} else {
			hint += fmt.Sprintf(" and the tenant %q", c.cfg.Tenant)
		}
		return &SourceError{Msg: fmt.Sprintf("Tempo refused %s (%s)", what, hint), Err: err}
	case badTLS(err):
		return &SourceError{Msg: fmt.Sprintf("TLS with Tempo failed during %s (check --tempo-ca, the server name, or --insecure-skip-verify for a test server)", what), Err: err}
	case noHost(err):
		return &SourceError{Msg: fmt.Sprintf("cannot resolve Tempo's host during %s (check --tempo and --tempo-http)", what), Err: err}
	case unreachable(err):
		return &SourceError{Msg: fmt.Sprintf("cannot reach Tempo during %s (is it running at %s / %s?)", what, c.cfg.GRPCAddr, c.base), Err: err}
	}
	if s, ok := status.FromError(err); ok && s.Code() == codes.InvalidArgument {
		if strings.Contains(s.Message(), "exceeds the maximum allowed duration") {
			return &SourceError{Msg: fmt.Sprintf("Tempo refused %s over --lookback %s: raise query_frontend.metrics.max_duration in Tempo's config to cover it (see the README)", what, c.cfg.Lookback), Err: err}
		}
		return &SourceError{Msg: fmt.Sprintf("Tempo rejected %s (check --query %q)", what, c.cfg.Query), Err: err}
	}
	return &SourceError{Msg: "Tempo " + what + " failed", Err: err}
}

// fatal says a failure will not go away for the next window or trace.
func fatal(err error) bool {
	if s, ok := status.FromError(err); ok && s.Code() == codes.InvalidArgument {
		return true
	}
	return denied(err) || badTLS(err) || noHost(err) || unreachable(err)
}
