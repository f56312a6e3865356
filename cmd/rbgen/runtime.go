package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"runtime/pprof"
)

// tuneRuntime sets the collector for reading traces: a read allocates far
// more than it keeps (what it keeps is the graph, a few MB), so it
// collects at GOGC=200, as fast as 400 and a third less memory (README,
// Read speed). GOGC, when set, still decides.
func tuneRuntime(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
}

// startProfile writes a CPU profile of the whole command to path, when
// set, for performance work: make bench profiles the library, this the
// command as users run it. It returns what stops it; a profile it cannot
// write is said on stderr and does not stop the command.
func startProfile(path string, stderr io.Writer) (stop func()) {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		if err = pprof.StartCPUProfile(f); err != nil {
			f.Close()
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "rbgen: RBGEN_CPUPROFILE: %v (no profile written)\n", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
