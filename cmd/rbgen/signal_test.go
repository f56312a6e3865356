package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rbgen/rbgen/demo"
)

// TestSIGTERMStopsARunAndLeavesNothing builds rbgen, starts it on ten
// weeks of traces, sends SIGTERM mid-read and requires that it stops,
// says so, exits non-zero and leaves no output folder and no temporary
// file behind. The wait is only a guard against a hang.
func TestSIGTERMStopsARunAndLeavesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "rbgen")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	in := filepath.Join(dir, "weeks.jsonl")
	f, err := os.Create(in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Write(f, demo.Config{Days: 70}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out := filepath.Join(dir, "runbooks")
	cmd := exec.Command(bin, "generate", "-i", in, "--out", out, "--config", "/dev/null")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitUntilReading(t, cmd.Process.Pid, in)
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() == 0 || !strings.Contains(stderr.String(), "stopped by a signal before writing anything") {
			t.Errorf("after SIGTERM: %v, stderr %q", err, stderr.String())
		}
		t.Logf("stopped %v after SIGTERM", time.Since(sent).Round(time.Millisecond))
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("rbgen did not stop on SIGTERM")
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the output folder exists after the stopped run: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// waitUntilReading waits until process pid has file open (its signal
// handler is set up long before), so the signal lands mid-read on a slow
// machine too.
func waitUntilReading(t *testing.T, pid int, file string) {
	t.Helper()
	fds := filepath.Join("/proc", strconv.Itoa(pid), "fd")
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		entries, err := os.ReadDir(fds)
		if err != nil {
			t.Skipf("cannot see the process's open files: %v", err)
		}
		for _, e := range entries {
			if target, _ := os.Readlink(filepath.Join(fds, e.Name())); target == file {
				return
			}
		}
	}
	t.Fatal("rbgen never opened its input")
}
