// Package tracefile reads OTLP traces from files, directories, globs and
// standard input, one batch at a time.
//
// Formats are recognised from the content, not the name:
//
//   - OTLP JSON lines, one ExportTraceServiceRequest per line (the
//     OpenTelemetry Collector file exporter);
//   - a single OTLP JSON document, pretty-printed or not;
//   - Tempo's trace-by-ID JSON: {"batches": […]} (API v1) and
//     {"trace": {…}} (API v2), with hex or base64 IDs;
//   - OTLP protobuf: the file exporter's 4-byte length-prefixed messages,
//     or one bare ExportTraceServiceRequest;
//   - any of these gzip-compressed.
//
// OTLP JSON and protobuf are read by lean decoders straight into
// topology's records, on every core, folded in input order; what they do
// not read (the rarer shapes of OTLP, Tempo's JSON) pdata decodes, and
// Reader.Reference decodes everything with pdata, the reference the lean
// decoders are tested against.
//
// A malformed record is an *InputError naming the file and the line (or
// byte offset); with SkipBad the reader counts it and goes on.
package tracefile
