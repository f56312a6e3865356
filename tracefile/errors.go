package tracefile

import (
	"errors"
	"fmt"
)

// InputError is bad input at a known place. Commands map it to exit code 2.
type InputError struct {
	File string // "-" for standard input
	// Line is 1-based for text formats; 0 when Offset locates the error.
	Line   int
	Offset int64
	Err    error
}

func (e *InputError) Error() string {
	switch {
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	case e.Offset > 0:
		return fmt.Sprintf("%s: at byte %d: %v", e.File, e.Offset, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *InputError) Unwrap() error { return e.Err }

// ErrNoInput says the paths named no readable trace file.
var ErrNoInput = errors.New("no trace files found")
