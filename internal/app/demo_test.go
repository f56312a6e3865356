package app

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/rbgen/rbgen/demo"
)

// TestDemoWritesIntoAPipeRatherThanReplacingIt: --out /dev/null or a FIFO
// is written to; an atomic rename would have put a file in its place.
func TestDemoWritesIntoAPipeRatherThanReplacingIt(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "traces.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	read := make(chan int64, 1)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			read <- -1
			return
		}
		defer f.Close()
		n, _ := io.Copy(io.Discard, f)
		read <- n
	}()
	st, err := Demo(fifo, nil, demo.Config{Days: 1, PeakPerHour: 5})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-read:
		if n <= 0 || st.Traces == 0 {
			t.Errorf("read %d bytes of %d traces through the pipe", n, st.Traces)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("nothing read from the pipe")
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the pipe was replaced: %v %v", fi.Mode(), err)
	}
}
