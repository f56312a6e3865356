// Package rbgen holds what the whole module shares: the bundled demo week.
//
// The commands live in cmd/rbgen; the graph model in topology; the readers
// of trace files in tracefile; the writers of docs in generator.
package rbgen

import _ "embed"

// DemoWeek is testdata/demo-week.otlp.jsonl.gz: a week of traces from a
// twelve-service shop, written by the demo package (`make demo` rewrites
// it). It is embedded so that `rbgen graph --demo` works from any
// directory, installed or not.
//
//go:embed testdata/demo-week.otlp.jsonl.gz
var DemoWeek []byte
