package tempo

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/tempo/pkg/tempopb"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Fakes here stand in for Tempo only to force error paths that a real
// server will not produce on demand; the integration tests use the real one.

func traceBody(t *testing.T) []byte {
	t.Helper()
	td := ptrace.NewTraces()
	s := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	s.SetTraceID([16]byte{1})
	s.SetSpanID([8]byte{1})
	raw, _ := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	var tr tempopb.Trace
	if err := tr.Unmarshal(raw); err != nil {
		t.Fatal(err)
	}
	b, err := (&tempopb.TraceByIDResponse{Trace: &tr}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func fakeClient(t *testing.T, h http.HandlerFunc, mod func(*Config)) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cfg := Config{GRPCAddr: "127.0.0.1:1", HTTPURL: srv.URL, RetryBase: time.Millisecond, Retries: 3, Tenant: "acme", Token: "s3cret"}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestFetch(t *testing.T) {
	body := traceBody(t)
	t.Run("sends tenant and token, asks for protobuf, and decodes the trace", func(t *testing.T) {
		c := fakeClient(t, func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-Scope-OrgID") != "acme" || r.Header.Get("Authorization") != "Bearer s3cret" ||
				r.Header.Get("Accept") != "application/protobuf" || !strings.HasSuffix(r.URL.Path, "/api/v2/traces/0000000000000000000000000000abcd") {
				http.Error(w, "bad request "+r.URL.String(), http.StatusBadRequest)
				return
			}
			w.Write(body)
		}, nil)
		td, err := c.fetch(context.Background(), found{id: "0000000000000000000000000000abcd"})
		if err != nil || td.SpanCount() != 1 {
			t.Fatalf("got %d spans, %v", td.SpanCount(), err)
		}
	})
	t.Run("429 and 503 are retried with backoff", func(t *testing.T) {
		var calls atomic.Int32
		c := fakeClient(t, func(w http.ResponseWriter, r *http.Request) {
			switch calls.Add(1) {
			case 1:
				http.Error(w, "slow down", http.StatusTooManyRequests)
			case 2:
				http.Error(w, "busy", http.StatusServiceUnavailable)
			default:
				w.Write(body)
			}
		}, nil)
		if _, err := c.fetch(context.Background(), found{id: "01"}); err != nil || calls.Load() != 3 {
			t.Errorf("err %v after %d calls", err, calls.Load())
		}
	})
	t.Run("a call that times out is retried", func(t *testing.T) {
		var calls atomic.Int32
		c := fakeClient(t, func(w http.ResponseWriter, r *http.Request) {
			if calls.Add(1) == 1 {
				time.Sleep(300 * time.Millisecond)
			}
			w.Write(body)
		}, func(c *Config) { c.Timeout = 100 * time.Millisecond })
		if _, err := c.fetch(context.Background(), found{id: "01"}); err != nil || calls.Load() != 2 {
			t.Errorf("err %v after %d calls", err, calls.Load())
		}
	})
	t.Run("retries are bounded", func(t *testing.T) {
		var calls atomic.Int32
		c := fakeClient(t, func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			http.Error(w, "busy", http.StatusServiceUnavailable)
		}, nil)
		_, err := c.fetch(context.Background(), found{id: "01"})
		var he *HTTPError
		if !errors.As(err, &he) || calls.Load() != 4 {
			t.Errorf("err %v after %d calls, want 503 after 4", err, calls.Load())
		}
	})
	t.Run("an unknown ID is not found: 404 on v1, an empty 200 on v2", func(t *testing.T) {
		for _, h := range []http.HandlerFunc{
			func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) },
			func(w http.ResponseWriter, r *http.Request) { w.Write(nil) },
		} {
			c := fakeClient(t, h, nil)
			if _, err := c.fetch(context.Background(), found{id: "01"}); !errors.Is(err, errNotFound) {
				t.Errorf("err = %v, want not found", err)
			}
		}
	})
	t.Run("401 ends the pull with a hint about the token and tenant", func(t *testing.T) {
		var calls atomic.Int32
		c := fakeClient(t, func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			http.Error(w, "invalid token", http.StatusUnauthorized)
		}, nil)
		_, err := c.fetch(context.Background(), found{id: "01"})
		if !fatal(err) || calls.Load() != 1 {
			t.Fatalf("err %v after %d calls: a 401 must not be retried", err, calls.Load())
		}
		msg := c.explain("fetching a trace", err).Error()
		if !strings.Contains(msg, "token") || !strings.Contains(msg, `"acme"`) || strings.Contains(msg, "s3cret") {
			t.Errorf("message %q: want the token and tenant hint, never the secret", msg)
		}
	})
}

func TestWindowsCoverTheLookbackEvenly(t *testing.T) {
	end := time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)
	c := &Client{cfg: Config{End: end, Lookback: 168 * time.Hour, Window: time.Hour, LimitPerWindow: 20}.withDefaults()}
	w := c.windows()
	if len(w) != 168 || !w[0].start.Equal(end.Add(-168*time.Hour)) || !w[167].end.Equal(end) {
		t.Errorf("%d windows from %v to %v", len(w), w[0].start, w[len(w)-1].end)
	}
	c.cfg.Window = 50 * time.Minute
	w = c.windows()
	if last := w[len(w)-1]; !last.end.Equal(end) || last.end.Sub(last.start) > 50*time.Minute {
		t.Errorf("the last window %v–%v overruns the end", last.start, last.end)
	}
}

func TestPadTraceID(t *testing.T) {
	cases := map[string]string{
		"abcd":                             "0000000000000000000000000000abcd",
		"ABCDEF0123456789abcdef0123456789": "abcdef0123456789abcdef0123456789",
	}
	for in, want := range cases {
		if got, err := PadTraceID(in); err != nil || got != want {
			t.Errorf("PadTraceID(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "xyz", strings.Repeat("a", 33)} {
		if _, err := PadTraceID(bad); err == nil {
			t.Errorf("PadTraceID(%q) accepted", bad)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{
		{HTTPURL: "http://x:3200"},
		{GRPCAddr: "x:9095"},
		{GRPCAddr: "x:9095", HTTPURL: "ftp://x"},
		{GRPCAddr: "x:9095", HTTPURL: "http://x", TLS: TLSConfig{CAFile: "/nonexistent"}},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}
