// Package topology is rbgen's domain core: it turns spans into a service
// dependency graph.
//
// A Builder takes batches of OTLP spans (pdata's ptrace.Traces, or Records
// a lean decoder read) in any order and any split across batches. It collects the spans of each trace in a
// bounded store keyed by trace ID and closes a trace once no span has
// arrived for it within a horizon of trace time, or at Finish. A closed
// trace is folded into per-node, per-edge and per-operation statistics and
// then forgotten, so memory grows with services, edges and operations (and
// the traces still open), never with all the spans read.
//
// The rules, in the order a reader of a trace would apply them:
//
//   - A parent→child pair whose spans belong to different services is an
//     edge from the parent's service to the child's, whatever the span
//     kinds. Kinds and attributes only decide the edge's kind.
//   - A CLIENT or PRODUCER span with no span of another service below it is
//     "unpaired": it becomes an edge to a virtual node named from its peer
//     attributes (peer.service, server.address, db.system, …), or is counted
//     as unresolved when nothing names the peer.
//   - A root SERVER span is an entry point; its caller is the virtual "user"
//     node unless peer.service names it.
//   - A CONSUMER span connects to its producer through a span link or, when
//     they share messaging.destination.name, across traces: the edge goes
//     straight from the producer's service to the consumer's.
//   - A span whose parent is not in its trace is an orphan: counted, never
//     the source of an edge.
//
// The package does no I/O; sources of spans implement Source.
package topology
