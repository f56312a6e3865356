package tempo

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/grafana/tempo/pkg/tempopb"

	"github.com/rbgen/rbgen/topology"
)

// fakeSearch answers searches from a function: a stand-in for Tempo's
// search API to force the failures a real server will not produce on
// demand (a window that keeps failing, a full page, split messages).
type fakeSearch struct {
	tempopb.UnimplementedStreamingQuerierServer
	mu     sync.Mutex
	calls  []*tempopb.SearchRequest
	tenant []string
	answer func(req *tempopb.SearchRequest) ([]*tempopb.SearchResponse, error)
}

func (f *fakeSearch) Search(req *tempopb.SearchRequest, srv tempopb.StreamingQuerier_SearchServer) error {
	f.mu.Lock()
	f.calls = append(f.calls, req)
	md, _ := metadata.FromIncomingContext(srv.Context())
	f.tenant = append(f.tenant, strings.Join(md.Get("x-scope-orgid"), ","))
	f.mu.Unlock()
	resps, err := f.answer(req)
	for _, r := range resps {
		if err := srv.Send(r); err != nil {
			return err
		}
	}
	return err
}

func startFake(t *testing.T, f *fakeSearch, creds credentials.TransportCredentials) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opts := []grpc.ServerOption{grpc.ForceServerCodecV2(gogoCodec{})}
	if creds != nil {
		opts = append(opts, grpc.Creds(creds))
	}
	srv := grpc.NewServer(opts...)
	tempopb.RegisterStreamingQuerierServer(srv, f)
	go srv.Serve(l)
	t.Cleanup(srv.Stop)
	return l.Addr().String()
}

func traces(ids ...string) *tempopb.SearchResponse {
	r := &tempopb.SearchResponse{}
	for _, id := range ids {
		r.Traces = append(r.Traces, &tempopb.TraceSearchMetadata{TraceID: id, StartTimeUnixNano: 1})
	}
	return r
}

func searchClient(t *testing.T, addr, httpURL string, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{GRPCAddr: addr, HTTPURL: httpURL, End: time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC),
		Lookback: 6 * time.Hour, RetryBase: time.Millisecond, Retries: 2, Timeout: 5 * time.Second, Tenant: "acme"}
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

func okHTTP(t *testing.T) string {
	body := traceBody(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(body) }))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestSearch(t *testing.T) {
	t.Run("streamed messages are merged by trace ID and IDs padded", func(t *testing.T) {
		f := &fakeSearch{answer: func(*tempopb.SearchRequest) ([]*tempopb.SearchResponse, error) {
			return []*tempopb.SearchResponse{traces("a1"), traces("a1", "b2")}, nil
		}}
		c := searchClient(t, startFake(t, f, nil), okHTTP(t), nil)
		got, err := c.searchOnce(context.Background(), window{start: c.cfg.End.Add(-time.Hour), end: c.cfg.End, budget: 20})
		if err != nil || len(got) != 2 || got[0].id != strings.Repeat("0", 30)+"a1" {
			t.Errorf("got %+v, %v", got, err)
		}
		if f.tenant[0] != "acme" {
			t.Errorf("tenant header %q", f.tenant[0])
		}
	})
	t.Run("a full window is halved, each half asking for half", func(t *testing.T) {
		f := &fakeSearch{answer: func(req *tempopb.SearchRequest) ([]*tempopb.SearchResponse, error) {
			var ids []string
			for i := uint32(0); i < req.Limit; i++ {
				ids = append(ids, fmt.Sprintf("%x%08x", req.Start, i))
			}
			return []*tempopb.SearchResponse{traces(ids...)}, nil
		}}
		c := searchClient(t, startFake(t, f, nil), okHTTP(t), func(c *Config) { c.LimitPerWindow = 8 })
		w := window{start: c.cfg.End.Add(-time.Hour), end: c.cfg.End, budget: 8}
		_, full, err := c.searchWindow(context.Background(), w)
		if err != nil {
			t.Fatal(err)
		}
		if !full {
			t.Error("a window whose every search came back full is not marked full: the pull would not say it is a sample")
		}
		if len(f.calls) != 7 || f.calls[1].Limit != 4 || f.calls[1].End-f.calls[1].Start != 1800 {
			t.Errorf("%d searches, second %+v; want 1 + 2 halves + 4 quarters", len(f.calls), f.calls[1])
		}
	})
	t.Run("a window whose search keeps failing is counted and skipped", func(t *testing.T) {
		f := &fakeSearch{answer: func(req *tempopb.SearchRequest) ([]*tempopb.SearchResponse, error) {
			if time.Unix(int64(req.Start), 0).UTC().Hour() == 20 {
				return nil, status.Error(codes.ResourceExhausted, "too many jobs")
			}
			return []*tempopb.SearchResponse{traces(fmt.Sprintf("%x", req.Start))}, nil
		}}
		c := searchClient(t, startFake(t, f, nil), okHTTP(t), nil)
		err := c.Stream(context.Background(), func(topology.Batch) error { return nil })
		if err != nil || c.Coverage.WindowsFailed != 1 || c.Coverage.WindowsSearched != 5 || !c.Coverage.Partial() {
			t.Errorf("err %v, coverage %s", err, c.Coverage)
		}
		if !strings.Contains(c.Coverage.String(), "(1 failed)") {
			t.Errorf("coverage line %q does not show the failure", c.Coverage)
		}
	})
	t.Run("a rejected query ends the pull and names --query", func(t *testing.T) {
		f := &fakeSearch{answer: func(*tempopb.SearchRequest) ([]*tempopb.SearchResponse, error) {
			return nil, status.Error(codes.InvalidArgument, "parse error at line 1")
		}}
		c := searchClient(t, startFake(t, f, nil), okHTTP(t), func(c *Config) { c.Query = "{ nonsense" })
		err := c.Stream(context.Background(), func(topology.Batch) error { return nil })
		var se *SourceError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), "--query") || len(f.calls) != 1 {
			t.Errorf("err %v after %d calls", err, len(f.calls))
		}
	})
}

func TestConnectionFailures(t *testing.T) {
	t.Run("a host that does not resolve is named as such", func(t *testing.T) {
		c := searchClient(t, "tempo.invalid:9095", "http://tempo.invalid:3200", nil)
		err := c.Stream(context.Background(), func(topology.Batch) error { return nil })
		var se *SourceError
		if !errors.As(err, &se) || !(strings.Contains(err.Error(), "resolve") || strings.Contains(err.Error(), "cannot reach")) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("a certificate nobody vouches for is a TLS error with a hint", func(t *testing.T) {
		srv := httptest.NewUnstartedServer(nil)
		srv.StartTLS() // only for its self-signed certificate
		cert := srv.TLS.Certificates[0]
		srv.Close()
		f := &fakeSearch{answer: func(*tempopb.SearchRequest) ([]*tempopb.SearchResponse, error) { return nil, nil }}
		addr := startFake(t, f, credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert}}))
		c := searchClient(t, addr, okHTTP(t), func(c *Config) { c.TLS.Enabled = true })
		err := c.Stream(context.Background(), func(topology.Batch) error { return nil })
		if err == nil || !strings.Contains(err.Error(), "TLS") || !strings.Contains(err.Error(), "--tempo-ca") {
			t.Errorf("err = %v", err)
		}
		ok := searchClient(t, addr, okHTTP(t), func(c *Config) { c.TLS.InsecureSkipVerify = true })
		if err := ok.Stream(context.Background(), func(topology.Batch) error { return nil }); err == nil || strings.Contains(err.Error(), "TLS") {
			t.Errorf("with --insecure-skip-verify: %v (want only 'no traces fetched')", err)
		}
	})
}
