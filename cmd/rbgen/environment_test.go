package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/rbgen/rbgen/internal/app"
	"github.com/rbgen/rbgen/internal/spantest"
	"github.com/rbgen/rbgen/internal/tempotest"
)

// twoEnvironments writes production traffic (web → api, eight traces)
// and staging traffic (web → api-next, two) into one file.
func twoEnvironments(t *testing.T) string {
	t.Helper()
	var lines bytes.Buffer
	var m ptrace.JSONMarshaler
	for i, env := range []string{"production", "production", "production", "production", "production", "production", "production", "production", "staging", "staging"} {
		api := "api"
		if env == "staging" {
			api = "api-next"
		}
		id := string(rune('a' + i))
		td := spantest.Batch(
			spantest.Span{Trace: id, ID: id + "w", Svc: "web", Name: "GET /", Kind: ptrace.SpanKindServer, Start: float64(i) * 1000, Dur: 30},
			spantest.Span{Trace: id, ID: id + "a", Parent: id + "w", Svc: api, Name: "GET /x", Kind: ptrace.SpanKindServer, Start: float64(i)*1000 + 2, Dur: 20})
		for r := 0; r < td.ResourceSpans().Len(); r++ {
			td.ResourceSpans().At(r).Resource().Attributes().PutStr("deployment.environment.name", env)
		}
		b, _ := m.MarshalTraces(td)
		lines.Write(append(b, '\n'))
	}
	path := filepath.Join(t.TempDir(), "two-envs.otlp.jsonl")
	os.WriteFile(path, lines.Bytes(), 0o644)
	return path
}

func TestEnvironmentsAreNeverMergedSilently(t *testing.T) {
	in := twoEnvironments(t)
	code, _, stderr := runCmd(t, "", "graph", "--input", in)
	if code != exitUsage || !strings.Contains(stderr, `"production" 80.0% of spans, "staging" 20.0%`) ||
		!strings.Contains(stderr, "--environment NAME") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("two environments: exit %d, %q", code, stderr)
	}
	code, stdout, stderr := runCmd(t, "", "graph", "--input", in, "--environment", "staging", "--format", "mermaid")
	if code != exitOK || !strings.Contains(stdout, "api-next") || strings.Contains(stdout, `"api"`) {
		t.Errorf("--environment staging: exit %d: %s\n%s", code, stdout, stderr)
	}
	cfg := filepath.Join(t.TempDir(), "rbgen.yaml")
	os.WriteFile(cfg, []byte("environment: production\n"), 0o644)
	code, stdout, _ = runCmd(t, "", "graph", "--input", in, "--config", cfg, "--format", "mermaid")
	if code != exitOK || strings.Contains(stdout, "api-next") {
		t.Errorf("environment: production in the config: exit %d: %s", code, stdout)
	}
	code, _, stderr = runCmd(t, "", "graph", "--input", in, "--environment", "prod")
	if code != exitUsage || !strings.Contains(stderr, `no spans of environment "prod"`) {
		t.Errorf("an environment the traces lack: exit %d, %q", code, stderr)
	}
}

func TestEnvironmentQuery(t *testing.T) {
	for _, tt := range []struct{ query, env, want string }{
		{"", "", ""},
		{"{}", "prod", `{ resource.deployment.environment.name = "prod" || resource.deployment.environment = "prod" }`},
		{`{ status = error }`, "prod", `({ status = error }) && { resource.deployment.environment.name = "prod" || resource.deployment.environment = "prod" }`},
	} {
		if got := app.EnvironmentQuery(tt.query, tt.env); got != tt.want {
			t.Errorf("EnvironmentQuery(%q, %q) = %s, want %s", tt.query, tt.env, got, tt.want)
		}
	}
}

// TestTempoPullsOneEnvironment pushes both environments into a real Tempo:
// a pull without --environment is refused with the shares, and with it
// Tempo's TraceQL filter returns that environment's traces alone.
func TestTempoPullsOneEnvironment(t *testing.T) {
	s := tempotest.Start(t, tempotest.Options{})
	now := time.Now().UTC()
	base := uint64(now.Add(-30 * time.Minute).UnixNano())
	all := ptrace.NewTraces()
	for i := 0; i < 10; i++ {
		env, api := "production", "api"
		if i >= 8 {
			env, api = "staging", "api-next"
		}
		id := fmt.Sprintf("env%02d", i)
		td := spantest.BatchFrom(base,
			spantest.Span{Trace: id, ID: id + "w", Svc: "web", Name: "GET /", Kind: ptrace.SpanKindServer, Start: float64(i) * 1000, Dur: 30},
			spantest.Span{Trace: id, ID: id + "a", Parent: id + "w", Svc: api, Name: "GET /x", Kind: ptrace.SpanKindServer, Start: float64(i)*1000 + 2, Dur: 20})
		for r := 0; r < td.ResourceSpans().Len(); r++ {
			td.ResourceSpans().At(r).Resource().Attributes().PutStr("deployment.environment.name", env)
		}
		td.ResourceSpans().MoveAndAppendTo(all.ResourceSpans())
	}
	s.Push(t, all, "")
	args := []string{"graph", "-q", "--tempo", s.GRPCAddr, "--tempo-http", s.HTTPURL, "--lookback", "2h",
		"--lookback-end", now.Format(time.RFC3339), "--format", "mermaid"}
	deadline := time.Now().Add(90 * time.Second)
	for {
		code, stdout, stderr := runWithEnv(t, now, nil, append(args, "--environment", "staging")...)
		if code == exitOK && strings.Contains(stdout, "api-next") {
			if strings.Contains(stdout, `"api"`) {
				t.Errorf("--environment staging pulled production's api:\n%s", stdout)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("staging traces not found after 90s: exit %d: %s\n%s", code, stderr, s.Log())
		}
		time.Sleep(3 * time.Second)
	}
	code, _, stderr := runWithEnv(t, now, nil, args...)
	if code != exitUsage || !strings.Contains(stderr, `"production" 80.0% of spans, "staging" 20.0%`) {
		t.Errorf("a pull of both environments: exit %d, %q", code, stderr)
	}
}

// TestTheDemoWithAStagingShareIsRefusedUntilOneIsChosen runs the demo
// command with a staging share, then generate on it.
func TestTheDemoWithAStagingShareIsRefusedUntilOneIsChosen(t *testing.T) {
	in := filepath.Join(t.TempDir(), "staging.otlp.jsonl.gz")
	if code, _, stderr := runCmd(t, "", "demo", "--days", "1", "--staging", "0.2", "--out", in); code != exitOK {
		t.Fatalf("demo --staging: exit %d: %s", code, stderr)
	}
	out := t.TempDir()
	code, _, stderr := runCmd(t, "", "generate", "--input", in, "--out", out)
	if code != exitUsage || !strings.Contains(stderr, `"production" 8`) || !strings.Contains(stderr, `"staging" 1`) {
		t.Errorf("generate on production and staging: exit %d: %s", code, stderr)
	}
	if m, _ := filepath.Glob(filepath.Join(out, "RB-*.md")); len(m) != 0 {
		t.Errorf("a refused generate wrote %v", m)
	}
	code, _, stderr = runCmd(t, "", "generate", "--input", in, "--out", out, "--environment", "production")
	if m, _ := filepath.Glob(filepath.Join(out, "RB-*.md")); code != exitOK || len(m) == 0 {
		t.Errorf("generate --environment production: exit %d, %d runbooks: %s", code, len(m), stderr)
	}
}
