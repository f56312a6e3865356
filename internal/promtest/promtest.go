// Package promtest gives tests the real Prometheus server and promtool,
// built from the Go module proxy by tools/build-prometheus.sh and cached
// outside the repository.
package promtest

import (
	"os/exec"
	"testing"

	"github.com/rbgen/rbgen/internal/buildtool"
)

// Promtool builds (or finds in the cache) promtool and returns its path.
func Promtool(t testing.TB) string {
	t.Helper()
	return paths(t)[1]
}

// Prometheus builds (or finds in the cache) the Prometheus server and
// returns its path.
func Prometheus(t testing.TB) string {
	t.Helper()
	return paths(t)[0]
}

func paths(t testing.TB) []string {
	t.Helper()
	p, err := buildtool.Paths("build-prometheus.sh")
	if err != nil {
		t.Fatal(err)
	}
	if len(p) != 2 {
		t.Fatalf("tools/build-prometheus.sh printed %v, want the server and promtool", p)
	}
	return p
}

// Run runs promtool with args in dir and fails the test, quoting its
// output, when it does not exit 0. It returns what promtool printed.
func Run(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(Promtool(t), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %v: %v\n%s", args, err, out)
	}
	return string(out)
}
