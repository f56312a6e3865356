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
// A malformed record is an *InputError naming the file and the line (or
// byte offset); with SkipBad the reader counts it and goes on.
package tracefile
