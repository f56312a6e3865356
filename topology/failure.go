package topology

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Failure is one kind of failure of an operation or a dependency: spans
// whose error, with numbers, IDs and quoted values masked, reads the same.
type Failure struct {
	// Pattern is the masked message, prefixed by the exception type when
	// there is one ("TimeoutError: timed out after <n>ms").
	Pattern string `json:"pattern"`
	// Type is the exception.type, when an exception event gave one.
	Type string `json:"type,omitempty"`
	// Example is one span's message as it was, cut to maxMessage.
	Example string `json:"example"`
	Count   int64  `json:"count"`
	// Seen runs from the first such span's end to the last one's.
	Seen Window `json:"seen"`
	// Trace is an example trace ID, in hex.
	Trace string `json:"trace"`
}

// Bounds on failure patterns: memory stays flat however many messages the
// spans carry, and a runbook lists the few that matter.
const (
	maxPatternsKept = 32
	// MaxFailures is how many patterns an operation or edge lists; the
	// rest are counted in its OtherFailures.
	MaxFailures = 5
	maxMessage  = 200
)

// failure is what a failed span says about why, read while its pdata is at
// hand: nil for spans that did not fail.
type failure struct {
	typ, message string
	code         bool // the message is a status code rbgen wrote: not masked
}

// failureOf reads the exception event first (its type names the cause in
// every SDK), then the status message, then the HTTP status or gRPC code.
func failureOf(s *Record, attrs keyed) *failure {
	f := &failure{typ: s.ExceptionType, message: s.ExceptionMessage}
	if f.message == "" {
		f.message = s.StatusMessage
	}
	if f.message == "" {
		f.message = str(attrs, "error.message")
	}
	if f.message == "" && f.typ == "" {
		f.typ = str(attrs, "error.type")
	}
	if f.message == "" && f.typ == "" {
		if code, ok := intAttr(attrs, attrHTTPStatus); ok && code >= 400 {
			f.message, f.code = "HTTP "+strconv.FormatInt(code, 10), true
		} else if code, ok := intAttr(attrs, attrGRPCStatus); ok && code != 0 {
			f.message, f.code = "gRPC "+grpcCodeName(code), true
		}
	}
	f.typ, f.message = cut(validUTF8(f.typ)), scrub(cut(validUTF8(f.message)))
	return f
}

// Secrets that error messages are known to carry: credentials in URLs
// and key=value pairs. Runbooks are committed and published; these never
// reach them.
var (
	urlCredentials = regexp.MustCompile(`://[^/\s:@]+:[^@\s]+@`)
	secretPairs    = regexp.MustCompile(`(?i)\b(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|authorization)(\s*[=:]\s*)(bearer\s+)?[^\s,;&"']+`)
)

// scrub replaces credentials in a message with ***.
func scrub(msg string) string {
	msg = urlCredentials.ReplaceAllString(msg, "://***@")
	return secretPairs.ReplaceAllString(msg, "$1$2***")
}

// grpcCodes are the gRPC status code names, by number.
var grpcCodes = []string{"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
	"ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
	"OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"}

func grpcCodeName(code int64) string {
	if code >= 0 && code < int64(len(grpcCodes)) {
		return grpcCodes[code]
	}
	return strconv.FormatInt(code, 10)
}

// cut bounds a message to maxMessage bytes on a rune boundary and on one
// line: stack traces in messages are noise in a runbook.
func cut(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSpace(s)
	if len(s) <= maxMessage {
		return s
	}
	n := maxMessage
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// quoted matches quoted values, masked first: they may hold anything.
var (
	quoted = regexp.MustCompile(`"[^"]*"|'[^']*'|` + "`[^`]*`")
	token  = regexp.MustCompile(`[A-Za-z0-9_.:-]*[0-9][A-Za-z0-9_.:-]*`)
	uuid   = regexp.MustCompile(`^(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	ip     = regexp.MustCompile(`^\d{1,3}(\.\d{1,3}){3}(:\d+)?$`)
	number = regexp.MustCompile(`^[-+]?\d+([.,:]\d+)*([A-Za-zµ%]{1,3})?$`)
	hex    = regexp.MustCompile(`^(0x)?[0-9a-fA-F]{8,}$`)
)

// Pattern masks what varies between occurrences of the same failure, so
// "order 81723 not found" and "order 90211 not found" are one pattern:
// quoted values, UUIDs, IP addresses, numbers (keeping a unit such as
// "ms"), long hex strings and other tokens with three digits or more.
func Pattern(message string) string {
	message = quoted.ReplaceAllString(message, `"…"`)
	message = token.ReplaceAllStringFunc(message, maskToken)
	return strings.Join(strings.Fields(message), " ")
}

func maskToken(t string) string {
	trail := ""
	for strings.HasSuffix(t, ".") || strings.HasSuffix(t, ":") || strings.HasSuffix(t, ",") {
		trail, t = t[len(t)-1:]+trail, t[:len(t)-1]
	}
	switch {
	case uuid.MatchString(t):
		t = "<uuid>"
	case ip.MatchString(t):
		t = "<ip>"
	case number.MatchString(t):
		t = "<n>" + strings.TrimLeft(t, "+-0123456789.,:")
	case hex.MatchString(t):
		t = "<hex>"
	case digits(t) >= 3:
		t = "<id>"
	}
	return t + trail
}

func digits(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n
}

// failAcc counts a tally's failure patterns, keeping at most
// maxPatternsKept; failures past that, or that say nothing, are counted
// in other.
type failAcc struct {
	patterns map[string]*failEntry
	other    int64
}

type failEntry struct {
	Failure
	first, last uint64
}

func (f *failAcc) add(trace pcommon.TraceID, s *Span) {
	if s.fail == nil {
		return
	}
	key := s.fail.message
	if !s.fail.code {
		key = Pattern(key)
	}
	if s.fail.typ != "" {
		key = strings.TrimSuffix(s.fail.typ+": "+key, ": ")
	}
	if key == "" {
		key = "(no message)"
	}
	e := f.patterns[key]
	if e == nil {
		if len(f.patterns) >= maxPatternsKept {
			f.other++
			return
		}
		if f.patterns == nil {
			f.patterns = map[string]*failEntry{}
		}
		e = &failEntry{Failure: Failure{Pattern: key, Type: s.fail.typ, Example: s.fail.message, Trace: trace.String()}}
		f.patterns[key] = e
	}
	e.Count++
	if e.first == 0 || s.End < e.first {
		e.first = s.End
	}
	if s.End > e.last {
		e.last = s.End
	}
}

// export lists the MaxFailures most frequent patterns and counts the rest.
func (f *failAcc) export() ([]Failure, int64) {
	var out []Failure
	for _, e := range f.patterns {
		x := e.Failure
		x.Seen = Window{Start: unixNano(e.first), End: unixNano(e.last)}
		out = append(out, x)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Pattern < out[j].Pattern
	})
	other := f.other
	if len(out) > MaxFailures {
		for _, x := range out[MaxFailures:] {
			other += x.Count
		}
		out = out[:MaxFailures]
	}
	return out, other
}
