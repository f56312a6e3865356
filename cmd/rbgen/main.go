// Command rbgen turns distributed traces into operations docs: a service
// dependency graph, runbooks, postmortems and a docs site.
//
// Run `rbgen --help` for the commands, `rbgen graph --demo` for a first look.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	tuneRuntime(os.Getenv)
	stopProfile := startProfile(os.Getenv("RBGEN_CPUPROFILE"), os.Stderr)
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
	stopProfile()
	os.Exit(code)
}

func isTerminal(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
