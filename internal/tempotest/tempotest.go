// Package tempotest runs a real Grafana Tempo for integration tests: the
// server binary built from the Go module proxy at the version go.mod pins
// (tools/build-tempo.sh, cached outside the repository), started in
// monolithic mode with every listener on 127.0.0.1, a temporary data
// directory, and settings that make pushed traces searchable in seconds.
//
// There is no skip: if Tempo cannot be built or started the test fails and
// says why.
package tempotest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/rbgen/rbgen/internal/buildtool"
)

// Server is a running Tempo.
type Server struct {
	// GRPCAddr serves search (tempopb.StreamingQuerier); HTTPURL the HTTP
	// API; OTLPAddr receives OTLP over gRPC.
	GRPCAddr, HTTPURL, OTLPAddr string
	MultiTenant                 bool

	proc *buildtool.Process
}

// Options shape the server.
type Options struct {
	// MultiTenant makes Tempo require X-Scope-OrgID on every call.
	MultiTenant bool
	// RemoteWrite, when set, runs the metrics-generator's span-metrics
	// and service-graphs processors, remote-writing to this URL every
	// few seconds.
	RemoteWrite string
	// Metrics runs the metrics-generator's local-blocks processor, which
	// TraceQL metrics queries (MetricsQueryRange) read at this version,
	// and accepts backdated spans into it.
	Metrics bool
}

// Binary builds (or finds in the cache) the Tempo server and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	paths, err := buildtool.Paths("build-tempo.sh")
	if err != nil {
		t.Fatal(err)
	}
	return paths[0]
}

const configTemplate = `target: all
stream_over_http_enabled: true
multitenancy_enabled: {{ .MultiTenant }}
usage_report:
  reporting_enabled: false
server:
  http_listen_address: 127.0.0.1
  http_listen_port: {{ .HTTP }}
  grpc_listen_address: 127.0.0.1
  grpc_listen_port: {{ .GRPC }}
  log_level: warn
memberlist:
  bind_addr: [127.0.0.1]
  bind_port: {{ .Memberlist }}
  advertise_addr: 127.0.0.1
distributor:
  receivers:
    otlp:
      protocols:
        grpc:
          endpoint: 127.0.0.1:{{ .OTLP }}
ingester:
  lifecycler:
    address: 127.0.0.1
    ring:
      kvstore:
        store: inmemory
      replication_factor: 1
    final_sleep: 0s
    min_ready_duration: 0s
  trace_idle_period: 2s
  max_block_duration: 30s
  flush_check_period: 2s
query_frontend:
  # Tempo's default of 50 shards a trace lookup for a cluster; one small
  # local server fetches 15 % faster with 2.
  trace_by_id:
    query_shards: 2
  search:
    query_backend_after: 1m
    query_ingesters_until: 2m
    max_duration: 400h
{{- if .Metrics }}
  metrics:
    max_duration: 400h
    query_backend_after: 1m
{{- end }}
storage:
  trace:
    backend: local
    local:
      path: {{ .Dir }}/blocks
    wal:
      path: {{ .Dir }}/wal
      ingestion_time_range_slack: 400h
    blocklist_poll: 5s
{{- if or .RemoteWrite .Metrics }}
metrics_generator:
  ring:
    kvstore:
      store: inmemory
    instance_addr: 127.0.0.1
{{- if .Metrics }}
  metrics_ingestion_time_range_slack: 400h
{{- end }}
  processor:
    service_graphs:
      wait: 2s
{{- if .Metrics }}
    local_blocks:
      flush_to_storage: true
      filter_server_spans: false
      flush_check_period: 2s
      trace_idle_period: 2s
      max_block_duration: 20s
      complete_block_timeout: 400h
{{- end }}
  registry:
    collection_interval: 2s
  storage:
    path: {{ .Dir }}/generator/wal
{{- if .RemoteWrite }}
    remote_write:
      - url: {{ .RemoteWrite }}
{{- end }}
  traces_storage:
    path: {{ .Dir }}/generator/traces
{{- if .Metrics }}
    ingestion_time_range_slack: 400h
{{- end }}
{{- end }}
overrides:
  defaults:
    ingestion:
      rate_limit_bytes: 200000000
      burst_size_bytes: 400000000
      max_traces_per_user: 0
{{- if or .RemoteWrite .Metrics }}
    metrics_generator:
      processors: [{{ if .RemoteWrite }}service-graphs, span-metrics{{ end }}{{ if and .RemoteWrite .Metrics }}, {{ end }}{{ if .Metrics }}local-blocks{{ end }}]
      collection_interval: 2s
{{- end }}
`

// Start runs a Tempo and stops it when the test ends.
func Start(t testing.TB, opt Options) *Server {
	t.Helper()
	bin := Binary(t)
	dir := t.TempDir()
	ports := buildtool.FreePorts(t, 4)
	vals := map[string]any{"HTTP": ports[0], "GRPC": ports[1], "OTLP": ports[2], "Memberlist": ports[3],
		"Dir": dir, "MultiTenant": opt.MultiTenant, "RemoteWrite": opt.RemoteWrite, "Metrics": opt.Metrics}
	var cfg bytes.Buffer
	template.Must(template.New("tempo").Parse(configTemplate)).Execute(&cfg, vals)
	cfgPath := filepath.Join(dir, "tempo.yaml")
	if err := os.WriteFile(cfgPath, cfg.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &Server{
		GRPCAddr:    fmt.Sprintf("127.0.0.1:%d", ports[1]),
		HTTPURL:     fmt.Sprintf("http://127.0.0.1:%d", ports[0]),
		OTLPAddr:    fmt.Sprintf("127.0.0.1:%d", ports[2]),
		MultiTenant: opt.MultiTenant,
	}
	cmd := exec.Command(bin, "-config.file="+cfgPath)
	cmd.Dir = dir
	cmd.Env = cleanEnv()
	// This Tempo often hangs on SIGTERM: a short grace before SIGKILL.
	s.proc = buildtool.Start(t, "Tempo", cmd, 5*time.Second)
	s.proc.WaitReady(t, s.HTTPURL+"/ready", 60*time.Second)
	return s
}

// cleanEnv drops OTEL_* variables: with them Tempo traces itself into the
// data under test.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OTEL_") {
			env = append(env, kv)
		}
	}
	return env
}

// Stop ends Tempo by its PID.
func (s *Server) Stop() { s.proc.Stop() }

// Log returns what Tempo printed, for failure messages.
func (s *Server) Log() string { return s.proc.Log() }

// Push sends traces over OTLP gRPC, in batches the receiver accepts.
func (s *Server) Push(t testing.TB, td ptrace.Traces, tenant string) {
	t.Helper()
	conn, err := grpc.NewClient(s.OTLPAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := ptraceotlp.NewGRPCClient(conn)
	ctx := context.Background()
	if tenant != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "x-scope-orgid", tenant)
	}
	for _, part := range split(td, 2000) {
		req := ptraceotlp.NewExportRequestFromTraces(part)
		var lastErr error
		for attempt := 0; attempt < 5; attempt++ {
			cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			_, lastErr = client.Export(cctx, req)
			cancel()
			if lastErr == nil {
				break
			}
			time.Sleep(time.Duration(attempt+1) * 500 * time.Millisecond)
		}
		if lastErr != nil {
			t.Fatalf("push to Tempo: %v\n%s", lastErr, s.Log())
		}
	}
}

// split cuts td into pieces of about n spans, keeping resources whole.
func split(td ptrace.Traces, n int) []ptrace.Traces {
	var out []ptrace.Traces
	cur := ptrace.NewTraces()
	count := 0
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		rs.CopyTo(cur.ResourceSpans().AppendEmpty())
		for j := 0; j < rs.ScopeSpans().Len(); j++ {
			count += rs.ScopeSpans().At(j).Spans().Len()
		}
		if count >= n {
			out = append(out, cur)
			cur, count = ptrace.NewTraces(), 0
		}
	}
	if cur.ResourceSpans().Len() > 0 {
		out = append(out, cur)
	}
	return out
}
