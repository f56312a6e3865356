// Package generator writes the documents rbgen derives from a graph: the
// graph itself (JSON, Mermaid, Graphviz DOT), and later runbooks,
// postmortems, tables of contents and an HTML site.
//
// Every name that reaches a document came from trace data, which is
// untrusted: writers escape for the format they write.
package generator
