// Package templates holds rbgen's default document templates. They are
// embedded in the binary; `--templates DIR` replaces any of them by file
// name. An embed pattern cannot reach outside its package, hence this tiny
// package.
package templates

import "embed"

// FS holds runbook.md.tmpl, toc.md.tmpl and postmortem.md.tmpl.
//
//go:embed *.tmpl
var FS embed.FS
