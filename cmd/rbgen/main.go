// Command rbgen turns distributed traces into operations docs: a service
// dependency graph, runbooks, postmortems and a docs site.
//
// Run `rbgen --help` for the commands, `rbgen graph --demo` for a first look.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"syscall"
	"time"
)

func main() {
	// A whole-process CPU profile, for performance work (make bench
	// profiles the library; this profiles the command as users run it).
	if path := os.Getenv("RBGEN_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	// A read allocates far more than it keeps (what it keeps is the graph,
	// a few MB), so the collector runs less often than Go's default;
	// GOGC, when set, still decides.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], &env{
		stdin:  os.Stdin,
		stdout: os.Stdout,
		stderr: os.Stderr,
		now:    time.Now,
		getenv: os.Getenv,
		isTTY:  isTerminal(os.Stderr),
	})
	stop()
	pprof.StopCPUProfile()
	os.Exit(code)
}

func isTerminal(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
