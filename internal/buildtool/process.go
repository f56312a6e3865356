package buildtool

import (
	"bytes"
	"net"
	"net/http"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Process is a server a test runs: in its own process group, so stopping
// it by its PID stops what it started too, with its output kept for
// failure messages.
type Process struct {
	name  string
	grace time.Duration
	cmd   *exec.Cmd
	log   lockedBuffer
	done  chan struct{}
	once  sync.Once
}

// Start starts cmd (its output captured) and stops it when the test ends:
// SIGTERM, then SIGKILL after grace.
func Start(t testing.TB, name string, cmd *exec.Cmd, grace time.Duration) *Process {
	t.Helper()
	p := &Process{name: name, grace: grace, cmd: cmd, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &p.log, &p.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { cmd.Wait(); close(p.done) }()
	t.Cleanup(p.Stop)
	return p
}

// WaitReady polls url until it answers 200, failing the test with the
// process's output if it exits first or bound passes.
func (p *Process) WaitReady(t testing.TB, url string, bound time.Duration) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			t.Fatalf("%s exited during start-up:\n%s", p.name, p.Log())
		default:
		}
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s not ready after %s:\n%s", p.name, bound, p.Log())
}

// Stop ends the process group by the process's PID: SIGTERM, then SIGKILL
// after the grace period (some servers hang on SIGTERM).
func (p *Process) Stop() {
	p.once.Do(func() {
		if p.cmd.Process == nil {
			return
		}
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(p.grace):
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
	})
}

// Log is the end of what the process printed.
func (p *Process) Log() string { return Tail(p.log.String(), 4000) }

// FreePorts finds n free TCP ports on 127.0.0.1, holding them all until
// each is known so none is handed out twice.
func FreePorts(t testing.TB, n int) []int {
	t.Helper()
	var ls []net.Listener
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// lockedBuffer keeps a process's output (the last MiB or so) for several
// writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 1<<20 {
		l.b.Reset()
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
