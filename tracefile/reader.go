package tracefile

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/rbgen/rbgen/topology"
)

// Reader is a topology.Source over trace files.
type Reader struct {
	// Paths are files, directories (read recursively, in name order),
	// glob patterns, or "-" for Stdin.
	Paths []string
	Stdin io.Reader
	// SkipBad counts malformed records in Skipped instead of failing.
	SkipBad bool
	Skipped int64
	// OnFile, if set, is told of each file as reading starts.
	OnFile func(name string)
	// OnSkip, if set, is told of each entry a directory walk passes over
	// because it is not a regular file (a FIFO would block reading
	// forever, a device never end).
	OnSkip func(name, why string)
	// MaxRecord bounds one JSON line, JSON document or protobuf message, in
	// bytes (DefaultMaxRecord when 0): a corrupt length or a file without
	// newlines cannot take all memory.
	MaxRecord int
	// Reference decodes with pdata alone, into Batch.Traces: the reference
	// the lean decoders are tested against, and the form for callers that
	// want pdata's traces. Otherwise the lean decoders fill Batch.Records,
	// valid during the callback; with more than one worker (Workers)
	// batches arrive prepared for topology.Builder and without them.
	Reference bool
}

// DefaultMaxRecord is the largest record read unless Reader.MaxRecord says
// otherwise: far above any real batch or trace, far below memory.
const DefaultMaxRecord = 128 << 20

// maxEmptyRun is how many empty records in a row end a file as not trace
// data: a gzip of zeros is endless valid empty protobuf messages.
const maxEmptyRun = 10_000

var _ topology.Source = (*Reader)(nil)

// Stream implements topology.Source.
func (r *Reader) Stream(ctx context.Context, fn func(topology.Batch) error) error {
	files, skipped, err := Expand(r.Paths)
	if err != nil {
		return err
	}
	for _, sk := range skipped {
		if r.OnSkip != nil {
			r.OnSkip(sk, "not a regular file")
		}
	}
	for _, name := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if r.OnFile != nil {
			r.OnFile(name)
		}
		if err := r.readFile(ctx, name, fn); err != nil {
			return err
		}
	}
	return nil
}

func (r *Reader) readFile(ctx context.Context, name string, fn func(topology.Batch) error) error {
	var in io.Reader
	if name == "-" {
		if r.Stdin == nil {
			return &InputError{File: name, Err: errors.New("standard input is not available")}
		}
		in = r.Stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return &InputError{File: name, Err: unwrapPathError(err)}
		}
		defer f.Close()
		in = f
	}
	max := r.MaxRecord
	if max <= 0 {
		max = DefaultMaxRecord
	}
	d := &decoder{file: name, skipBad: r.SkipBad, ctx: ctx, maxRecord: max, reference: r.Reference, emit: func(b topology.Batch) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fn(b)
	}}
	err := d.decode(in)
	r.Skipped += d.skipped
	return err
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Expand turns paths, directories and globs into a sorted-per-argument list
// of files, and the entries directory walks passed over because they are
// not regular files. A path that matches nothing is an error: a typo must
// not read as an empty week. A path named outright is read whatever it is
// (a FIFO from process substitution, say).
func Expand(paths []string) (files, skipped []string, err error) {
	var out []string
	for _, p := range paths {
		if p == "-" {
			out = append(out, p)
			continue
		}
		matches := []string{p}
		if _, err := os.Stat(p); err != nil {
			if !strings.ContainsAny(p, "*?[") {
				return nil, nil, &InputError{File: p, Err: unwrapPathError(err)}
			}
			matches, err = filepath.Glob(p)
			if err != nil {
				return nil, nil, &InputError{File: p, Err: fmt.Errorf("bad glob: %w", err)}
			}
			if len(matches) == 0 {
				return nil, nil, &InputError{File: p, Err: errors.New("no file matches this pattern")}
			}
		}
		for _, m := range matches {
			files, special, err := walk(m)
			if err != nil {
				return nil, nil, err
			}
			out = append(out, files...)
			skipped = append(skipped, special...)
		}
	}
	if len(out) == 0 {
		return nil, skipped, ErrNoInput
	}
	return out, skipped, nil
}

// traceExts are the names a directory walk picks up; a file named on the
// command line is read whatever its name.
var traceExts = []string{".json", ".jsonl", ".ndjson", ".pb", ".proto", ".protobuf", ".bin", ".otlp"}

func walk(root string) (files, special []string, err error) {
	info, err := os.Stat(root)
	if err != nil {
		return nil, nil, &InputError{File: root, Err: unwrapPathError(err)}
	}
	if !info.IsDir() {
		return []string{root}, nil, nil
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return &InputError{File: path, Err: unwrapPathError(err)}
		}
		if d.IsDir() || !isTraceFile(d.Name()) {
			return nil
		}
		if !regular(path, d) {
			special = append(special, path)
			return nil
		}
		files = append(files, path)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if len(files) == 0 {
		return nil, special, &InputError{File: root, Err: fmt.Errorf("directory holds no trace files (%s, optionally .gz)", strings.Join(traceExts, " "))}
	}
	sort.Strings(files)
	sort.Strings(special)
	return files, special, nil
}

// regular says a walked entry is a regular file, or a link to one.
func regular(path string, d fs.DirEntry) bool {
	if d.Type().IsRegular() {
		return true
	}
	if d.Type()&fs.ModeSymlink == 0 {
		return false
	}
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}

func isTraceFile(name string) bool {
	name = strings.TrimSuffix(strings.ToLower(name), ".gz")
	for _, ext := range traceExts {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// gzipMagic starts every gzip stream.
var gzipMagic = []byte{0x1f, 0x8b}

// maybeGunzip returns a reader of the decompressed stream when in is gzip.
func maybeGunzip(in *bufio.Reader) (*bufio.Reader, error) {
	head, _ := in.Peek(2)
	if !bytes.Equal(head, gzipMagic) {
		return in, nil
	}
	zr, err := gzip.NewReader(in)
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	return bufio.NewReaderSize(zr, readBuffer), nil
}
