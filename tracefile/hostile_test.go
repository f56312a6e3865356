package tracefile_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rbgen/rbgen/topology"
	"github.com/rbgen/rbgen/tracefile"
)

func TestAFIFOInAFolderIsSkippedNotWaitedFor(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "b.jsonl", otlpJSON(t, sample("shop", 2)))
	fifo := filepath.Join(dir, "a.json")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	var skipped []string
	r := &tracefile.Reader{Paths: []string{dir}, OnSkip: func(name, why string) { skipped = append(skipped, name+": "+why) }}
	done := make(chan error, 1)
	go func() {
		_, err := read(t, r)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil || len(skipped) != 1 || !strings.Contains(skipped[0], "a.json: not a regular file") {
			t.Errorf("err %v, skipped %v", err, skipped)
		}
	case <-time.After(30 * time.Second):
		// Only a hang guard: opening the FIFO would block forever.
		t.Fatal("reading the folder blocked on the FIFO")
	}
}

func TestEmptyRecordsInARowAreNotTraceData(t *testing.T) {
	dir := t.TempDir()
	cases := []struct{ name, file string }{
		{"a gzip of zeros is endless empty protobuf messages", write(t, dir, "zeros.pb.gz", gz(t, make([]byte, 1<<20)))},
		{"a record followed by a sea of blank lines", write(t, dir, "blank.jsonl",
			append(append(otlpJSON(t, sample("shop", 1)), '\n'), bytes.Repeat([]byte("\n"), 50_000)...))},
	}
	for _, c := range cases {
		_, err := read(t, &tracefile.Reader{Paths: []string{c.file}})
		var ie *tracefile.InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), "empty records in a row") {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

func TestARecordOverTheLimitNamesItsFileAndLine(t *testing.T) {
	dir := t.TempDir()
	line := otlpJSON(t, sample("shop", 1))
	long := append(append(append([]byte{}, line...), '\n'), append(bytes.Repeat([]byte(" "), 4096), line...)...)
	path := write(t, dir, "long.jsonl", long)
	_, err := read(t, &tracefile.Reader{Paths: []string{path}, MaxRecord: 2048})
	if !errors.Is(err, tracefile.ErrRecordTooLarge) || !strings.Contains(err.Error(), "long.jsonl:2") {
		t.Errorf("got %v", err)
	}
}

func TestAReadThatEmitsNothingStillStopsWhenCancelled(t *testing.T) {
	dir := t.TempDir()
	path := write(t, dir, "blank.jsonl.gz", gz(t, append(append(otlpJSON(t, sample("shop", 1)), '\n'), bytes.Repeat([]byte("\n"), 5000)...)))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Cancelled after the one record: the blank lines after it emit
	// nothing, so only a check per record can see it.
	err := (&tracefile.Reader{Paths: []string{path}}).Stream(ctx, func(topology.Batch) error { cancel(); return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v", err)
	}
}
