package generator

import (
	"fmt"
	"regexp"
	"strings"
)

// MD escapes text from trace data for Markdown prose, headings and table
// cells. Characters that open inline syntax anywhere (links, emphasis,
// code, raw HTML and comments, entities, table cells) are backslash-escaped
// wherever they are; those that only matter at the start of a line (lists,
// headings, block quotes) when the text starts with them. CommonMark allows
// a backslash before any ASCII punctuation, so the result renders as the
// original text and reads cleanly in a terminal.
func MD(s string) string { return md(Clean(s)) }

// MDSentence is MD for a sentence of evidence, which may be longer than a
// name.
func MDSentence(s string) string { return md(cleanN(s, maxSentence)) }

func md(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '{' || r == '}':
			// As character references, braces show as braces in every
			// Markdown renderer, and Hugo shortcodes, Jinja (MkDocs
			// macros) and MDX expressions never see one.
			fmt.Fprintf(&b, "&#%d;", r)
			continue
		case r < 0x80 && (strings.ContainsRune(inlineSyntax, r) || i == 0 && strings.ContainsRune(lineStartSyntax, r)):
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	out := b.String()
	// "1. x" and "1) x" at the start of a line would start an ordered list.
	if m := orderedRE.FindStringIndex(out); m != nil {
		out = out[:m[1]-1] + "\\" + out[m[1]-1:]
	}
	return out
}

const (
	inlineSyntax    = "\\`*_[]<>|!&~"
	lineStartSyntax = "#+-=>:"
)

var orderedRE = regexp.MustCompile(`^[0-9]+[.)]`)

// Code renders text as an inline code span, with a fence longer than any
// run of backticks inside so the text cannot close it. Pipes are escaped
// for use in table cells.
func Code(s string) string {
	s = Clean(s)
	if templateSyntax(s) {
		// Hugo and Jinja read their delimiters inside code spans too;
		// as escaped text the name shows the same and runs nothing.
		return md(s)
	}
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || s == "" {
		pad = " "
	}
	return fence + pad + strings.ReplaceAll(s, "|", "\\|") + pad + fence
}

// Fence renders a fenced code block. The fence is longer than any backtick
// run in the body, so generated content cannot end the block early.
func Fence(lang, body string) string {
	fence := strings.Repeat("`", max(3, longestRun(body, '`')+1))
	return fence + lang + "\n" + strings.TrimRight(body, "\n") + "\n" + fence
}

func longestRun(s string, c rune) int {
	best, n := 0, 0
	for _, r := range s {
		if r == c {
			n++
			best = max(best, n)
		} else {
			n = 0
		}
	}
	return best
}

// Slug makes a file-name-safe slug: lowercase letters, digits and dashes.
func Slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.TrimSuffix(b.String(), "-")
	if len(out) > 60 {
		out = strings.TrimSuffix(out[:60], "-")
	}
	if out == "" {
		out = "node"
	}
	return out
}
