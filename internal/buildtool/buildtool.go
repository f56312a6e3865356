// Package buildtool runs the repository's tools/build-*.sh scripts, which
// build real servers (Tempo, Prometheus) from the Go module proxy into a
// cache outside the repository, once per test process.
package buildtool

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

type result struct {
	once  sync.Once
	paths []string
	err   error
}

var (
	mu      sync.Mutex
	scripts = map[string]*result{}
)

// Paths runs tools/<script> from the module root (once per process) and
// returns the paths it prints, one a line.
func Paths(script string) ([]string, error) {
	mu.Lock()
	r := scripts[script]
	if r == nil {
		r = &result{}
		scripts[script] = r
	}
	mu.Unlock()
	r.once.Do(func() {
		root := ModuleRoot()
		cmd := exec.Command("bash", filepath.Join(root, "tools", script))
		cmd.Dir = root
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			r.err = fmt.Errorf("tools/%s: %v\n%s", script, err, Tail(stderr.String(), 3000))
			return
		}
		r.paths = strings.Fields(string(out))
	})
	return r.paths, r.err
}

// ModuleRoot is the repository's root folder.
func ModuleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Tail is the last n bytes of s, for quoting a long log in an error.
func Tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
