package app

import (
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/google/renameio/v2"

	"github.com/rbgen/rbgen/demo"
)

// Demo writes the demo shop's traces to out ("-" for stdout),
// gzip-compressed when out ends in .gz, atomically: a failed run leaves no
// half-written file. A fault that would change nothing is demo.ErrIdleFault.
func Demo(out string, stdout io.Writer, cfg demo.Config) (demo.Stats, error) {
	write := func(w io.Writer) (demo.Stats, error) {
		if !strings.HasSuffix(out, ".gz") {
			return demo.Write(w, cfg)
		}
		zw := gzip.NewWriter(w)
		st, err := demo.Write(zw, cfg)
		if err != nil {
			return st, err
		}
		return st, zw.Close()
	}
	if out == "-" {
		return write(stdout)
	}
	if fi, err := os.Stat(out); err == nil && !fi.Mode().IsRegular() {
		// A device or a pipe (/dev/null, a FIFO) is written to, never
		// renamed over: replacing /dev/null with a file breaks the machine.
		f, err := os.OpenFile(out, os.O_WRONLY, 0)
		if err != nil {
			return demo.Stats{}, fmt.Errorf("write %s: %w", out, err)
		}
		st, err := write(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return st, fmt.Errorf("write %s: %w", out, err)
		}
		return st, nil
	}
	f, err := renameio.NewPendingFile(out, renameio.WithPermissions(0o644))
	if err != nil {
		return demo.Stats{}, fmt.Errorf("write %s: %w", out, err)
	}
	defer f.Cleanup()
	st, err := write(f)
	if err != nil {
		return st, fmt.Errorf("write %s: %w", out, err)
	}
	if err := f.CloseAtomicallyReplace(); err != nil {
		return st, fmt.Errorf("write %s: %w", out, err)
	}
	return st, nil
}
