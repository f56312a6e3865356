package topology_test

import (
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/rbgen/rbgen/internal/spantest"
	"github.com/rbgen/rbgen/topology"
)

func TestPatternMasksWhatVaries(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"a message without variables stays as it is", "redis timeout", "redis timeout"},
		{"numbers are masked", "order 81723 not found", "order <n> not found"},
		{"a duration keeps its unit", "timed out after 3000ms", "timed out after <n>ms"},
		{"quoted values are masked whatever they hold", `user "bob 42" has no cart`, `user "…" has no cart`},
		{"UUIDs are masked", "cart 5f0c8f4e-3b1a-4c2e-9d7a-1b2c3d4e5f60 expired", "cart <uuid> expired"},
		{"addresses and ports are masked", "dial tcp 10.0.3.17:5432: connect: connection refused", "dial tcp <ip>: connect: connection refused"},
		{"long hex strings are masked", "no such object deadbeefcafe01", "no such object <hex>"},
		{"IDs with three digits or more are masked", "driver T758588C unavailable", "driver <id> unavailable"},
		{"short codes with a digit stay", "HTTP 503 from s3", "HTTP <n> from s3"},
		{"whitespace is collapsed", "  too   many\tconnections ", "too many connections"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := topology.Pattern(tc.in); got != tc.want {
				t.Errorf("Pattern(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestFailuresAreCountedByPatternPerOperationAndDependency(t *testing.T) {
	exc := func(typ, msg string) []spantest.Event {
		return []spantest.Event{{Name: "exception", Attrs: map[string]any{"exception.type": typ, "exception.message": msg}}}
	}
	var spans []sp
	for i, id := range []string{"1001", "1002", "1003"} {
		tr := "t" + id
		spans = append(spans,
			sp{Trace: tr, ID: "a", Svc: "checkout", Name: "POST /checkout", Kind: server, Start: float64(i * 1000), Dur: 50,
				Status: ptrace.StatusCodeError, Events: exc("PaymentDeclined", "order "+id+" declined")},
			sp{Trace: tr, ID: "b", Parent: "a", Svc: "checkout", Name: "SELECT", Kind: client, Start: float64(i*1000 + 1), Dur: 10,
				Attrs:  map[string]any{"db.system.name": "postgresql", "server.address": "orders-db"},
				Status: ptrace.StatusCodeError, Message: "connection refused by 10.0.0.7:5432"})
	}
	spans = append(spans, sp{Trace: "t9", ID: "a", Svc: "checkout", Name: "POST /checkout", Kind: server, Start: 5000, Dur: 5,
		Status: ptrace.StatusCodeUnset, Attrs: map[string]any{"http.response.status_code": 503}})
	g := build(t, topology.Options{}, spans)

	op := node(t, g, "checkout").Operations[0]
	if len(op.Failures) != 2 {
		t.Fatalf("checkout's failures: %+v", op.Failures)
	}
	first := op.Failures[0]
	if first.Pattern != "PaymentDeclined: order <n> declined" || first.Count != 3 || first.Type != "PaymentDeclined" || first.Example != "order 1001 declined" {
		t.Errorf("first pattern: %+v", first)
	}
	if first.Seen.Start.After(first.Seen.End) || first.Trace != spantest.TraceID("t1001").String() {
		t.Errorf("first pattern's seen or example trace: %+v", first)
	}
	if op.Failures[1].Pattern != "HTTP 503" || op.Failures[1].Count != 1 {
		t.Errorf("a span with only a status code: %+v", op.Failures[1])
	}
	db := edge(t, g, "checkout", "orders-db")
	if len(db.Failures) != 1 || db.Failures[0].Pattern != "connection refused by <ip>" || db.Failures[0].Count != 3 {
		t.Errorf("the database edge's failures: %+v", db.Failures)
	}
}

func TestFailurePatternsAreBounded(t *testing.T) {
	var spans []sp
	for i := 0; i < 100; i++ {
		word := string(rune('a'+i%26)) + string(rune('a'+i/26))
		spans = append(spans, sp{Trace: "t" + word, ID: "a", Svc: "api", Name: "GET /", Kind: server, Start: float64(i), Dur: 1,
			Status: ptrace.StatusCodeError, Message: "failure kind " + word})
	}
	op := node(t, build(t, topology.Options{}, spans), "api").Operations[0]
	var listed int64
	for _, f := range op.Failures {
		listed += f.Count
	}
	if len(op.Failures) != topology.MaxFailures || listed+op.OtherFailures != 100 {
		t.Errorf("%d patterns listed (%d failures) and %d other, want %d listed and 100 in all", len(op.Failures), listed, op.OtherFailures, topology.MaxFailures)
	}
}

func TestCredentialsInFailureMessagesNeverReachTheGraph(t *testing.T) {
	for _, msg := range []string{
		"dial postgres://app:hunter2@orders-db:5432/orders: connection refused",
		"login failed: password=hunter2 user=app",
		"upstream 401: Authorization: Bearer hunter2",
		"bad request token=hunter2&x=1",
	} {
		g := build(t, topology.Options{}, []sp{{Trace: "t", ID: "s", Svc: "api", Name: "GET /", Kind: server, Dur: 1,
			Status: ptrace.StatusCodeError, Message: msg}})
		f := node(t, g, "api").Operations[0].Failures
		if len(f) != 1 || strings.Contains(f[0].Example, "hunter2") || strings.Contains(f[0].Pattern, "hunter2") {
			t.Errorf("%q became %+v", msg, f)
		}
	}
}
