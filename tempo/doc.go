// Package tempo pulls traces from Grafana Tempo: a topology.Source.
//
// Discovery uses Tempo's streaming gRPC search (tempopb.StreamingQuerier),
// window by window across the lookback, so the sample is spread evenly over
// the week rather than bunched at one end: Tempo returns at most limit
// traces per search, an arbitrary subset when there are more, and has no
// paging. A window that comes back full is halved (down to a floor), each
// half with half the budget. Each trace is then fetched whole over HTTP
// (/api/v2/traces/<id>, protobuf), streamed into the graph builder and
// dropped.
//
// Every call carries the tenant (X-Scope-OrgID) and credentials; transient
// failures (ResourceExhausted, Unavailable, 429, 5xx, timeouts) are retried
// with exponential backoff and jitter, a bounded number of times. A window
// whose search fails is counted and skipped; a Coverage says what was
// searched and fetched.
package tempo
