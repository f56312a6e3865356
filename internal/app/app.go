// Package app holds rbgen's use cases: generate, postmortem and publish
// each turn their inputs into a plan of files (generator.Plan), and one
// writer, Plan.Apply, refuses files edited outside keep blocks and writes
// the rest atomically. The CLI parses flags, builds sources, calls a use
// case, prints its summary and maps errors to exit codes; tests call the
// use cases directly with in-memory sources.
package app
