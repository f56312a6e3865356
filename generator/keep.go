package generator

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"

	"github.com/rbgen/rbgen/document"
)

// Keep blocks hold people's text inside generated files:
//
//	<!-- rbgen:keep notes -->
//	anything
//	<!-- /rbgen:keep -->
//
// Markers count only on lines of their own. Names from trace data never
// start a line in generated output (Clean strips newlines), so hostile data
// cannot forge one.
var keepRE = regexp.MustCompile(`(?ms)^<!-- rbgen:keep ([a-z0-9-]+) -->\n(.*?)^<!-- /rbgen:keep -->$`)

// keepBlocks returns the blocks of a document by name, in order.
func keepBlocks(doc string) (map[string]string, []string) {
	blocks := map[string]string{}
	var order []string
	for _, m := range keepRE.FindAllStringSubmatch(doc, -1) {
		if _, dup := blocks[m[1]]; !dup {
			order = append(order, m[1])
		}
		blocks[m[1]] += m[2]
	}
	return blocks, order
}

// carryOver puts the old document's keep-block contents into the new one.
// A block the new template no longer has is appended to the last block, so
// nothing a person wrote is lost.
func carryOver(newDoc, oldDoc string) string {
	old, order := keepBlocks(oldDoc)
	if len(old) == 0 {
		return newDoc
	}
	fresh, freshOrder := keepBlocks(newDoc)
	var orphans strings.Builder
	for _, name := range order {
		if _, ok := fresh[name]; !ok && strings.TrimSpace(old[name]) != "" {
			orphans.WriteString("<!-- carried over from the former keep block " + name + " -->\n" + old[name])
		}
	}
	last := ""
	if len(freshOrder) > 0 {
		last = freshOrder[len(freshOrder)-1]
	}
	return keepRE.ReplaceAllStringFunc(newDoc, func(block string) string {
		m := keepRE.FindStringSubmatch(block)
		body, ok := old[m[1]]
		if !ok {
			body = m[2]
		}
		if m[1] == last {
			body += orphans.String()
		}
		return "<!-- rbgen:keep " + m[1] + " -->\n" + body + "<!-- /rbgen:keep -->"
	})
}

// hashLine and observedLine are front-matter lines left out of the content
// hash: the hash itself, and the traces' dates, which change weekly.
const (
	hashKey     = document.KeyHash + ": "
	observedKey = document.KeyObserved + ": "
)

// contentHash fingerprints what rbgen generated: the document without keep
// block contents and without the hash and observed lines. A mismatch with
// the stored hash means someone edited outside the keep blocks.
func contentHash(doc string) string {
	doc = keepRE.ReplaceAllStringFunc(doc, func(block string) string {
		m := keepRE.FindStringSubmatch(block)
		return "<!-- rbgen:keep " + m[1] + " -->"
	})
	var b strings.Builder
	for _, line := range strings.SplitAfter(doc, "\n") {
		if strings.HasPrefix(line, hashKey) || strings.HasPrefix(line, observedKey) {
			continue
		}
		b.WriteString(line)
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:8])
}

// seal stamps a document with its content hash.
func seal(doc string) string {
	return document.Set(doc, document.KeyHash, contentHash(doc))
}

// edited says whether a sealed document was changed outside keep blocks.
func edited(doc string) bool {
	fm, _, err := document.Read(doc)
	return err != nil || fm.Hash == "" || fm.Hash != contentHash(doc)
}
