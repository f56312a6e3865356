package tracefile

import (
	"encoding/binary"
	"math"
	"math/bits"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/rbgen/rbgen/topology"
)

// The lean JSON decoder reads OTLP JSON straight into topology's records:
// each byte once, no value tree, and strings that point into the record's
// bytes (which are never reused) instead of copies. It reads the subset of
// OTLP JSON that exporters write (camelCase keys, hex IDs, numeric
// enums, scalar attribute values); anything else, from a map-valued
// attribute to a repeated key, makes it give up on the record, and pdata,
// the reference, decodes it instead. So it never accepts what pdata
// refuses, and the differential test and fuzz targets hold it to pdata's
// answer on what it does accept.
//
// Hand-written rather than a JSON library: the cost being cut is the
// library's (jsoniter, under pdata, spends half of a read allocating a
// string per value and an object per attribute), and a tokenizer that
// still hands out tokens pays for work a reader of one known schema skips.

// errLean makes the decoder give up on a record; pdata decodes it.
type errLean struct{}

func (errLean) Error() string { return "not in the lean decoder's subset" }

type leanJSON struct {
	b   []byte
	pos int
	out []topology.ResourceRecords
	// kvs and recs back the records' attribute and span lists. A
	// scratch reuses them from one record to the next, once the records
	// before are prepared and no longer read.
	kvs  []topology.KeyValue
	recs []topology.Record
}

// scratch is what one goroutine decodes with, reused record after record.
type scratch struct {
	json  leanJSON
	proto leanProto
}

// decodeLeanJSON decodes an OTLP JSON request, ok false when pdata must.
// The records live in sc until its next use; with sc nil they are the
// caller's.
func decodeLeanJSON(b []byte, sc *scratch) (recs []topology.ResourceRecords, ok bool) {
	d := &leanJSON{}
	if sc != nil {
		d = &sc.json
	}
	*d = leanJSON{b: b, out: d.out[:0], kvs: d.kvs[:0], recs: d.recs[:0]}
	defer func() {
		if r := recover(); r != nil {
			if _, lean := r.(errLean); !lean {
				panic(r)
			}
			recs, ok = nil, false
		}
	}()
	d.request()
	d.ws()
	if d.pos != len(d.b) {
		d.fail()
	}
	return d.out, true
}

func (d *leanJSON) fail() { panic(errLean{}) }

func (d *leanJSON) ws() {
	for d.pos < len(d.b) {
		switch d.b[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// peek returns the next significant byte, 0 at the end.
func (d *leanJSON) peek() byte {
	if d.pos < len(d.b) && d.b[d.pos] > ' ' {
		return d.b[d.pos] // compact JSON: no white space to skip
	}
	d.ws()
	if d.pos == len(d.b) {
		return 0
	}
	return d.b[d.pos]
}

func (d *leanJSON) expect(c byte) {
	if d.peek() != c {
		d.fail()
	}
	d.pos++
}

// object calls field for each key of an object; seen catches a key given
// twice, which pdata reads in ways not worth copying.
func (d *leanJSON) object(field func(key string) uint32) {
	d.expect('{')
	if d.peek() == '}' {
		d.pos++
		return
	}
	var seen uint32
	for {
		key := d.str()
		d.expect(':')
		bit := field(key)
		if bit == 0 || seen&bit != 0 {
			d.fail()
		}
		seen |= bit
		switch d.peek() {
		case ',':
			d.pos++
		case '}':
			d.pos++
			return
		default:
			d.fail()
		}
	}
}

// array calls elem for each element.
func (d *leanJSON) array(elem func()) {
	d.expect('[')
	if d.peek() == ']' {
		d.pos++
		return
	}
	for {
		elem()
		switch d.peek() {
		case ',':
			d.pos++
		case ']':
			d.pos++
			return
		default:
			d.fail()
		}
	}
}

// str reads a string. Without escapes it points into the record's bytes.
func (d *leanJSON) str() string {
	d.expect('"')
	start := d.pos
	if end, ok := plainEnd(d.b, start); ok {
		d.pos = end + 1
		return view(d.b[start:end])
	}
	return d.slowStr(start)
}

// plainEnd finds the quote that ends a string starting at i, eight bytes
// at a time (SWAR: compares in one word). It says false at anything else
// first: an escape, a control character or a byte of a multi-byte rune,
// which the slow path reads. The lowest flagged byte is always a real
// match, whatever borrows flag above it.
func plainEnd(b []byte, i int) (int, bool) {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(b); i += 8 {
		v := binary.LittleEndian.Uint64(b[i:])
		q := v ^ ('"' * lo)
		e := v ^ ('\\' * lo)
		m := v&hi | (v-0x20*lo)&^v&hi | (q-lo)&^q&hi | (e-lo)&^e&hi
		if m != 0 {
			j := i + bits.TrailingZeros64(m)/8
			return j, b[j] == '"'
		}
	}
	for ; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return i, true
		case c < 0x20 || c == '\\' || c >= utf8.RuneSelf:
			return i, false
		}
	}
	return i, false
}

// slowStr reads a string with escapes or non-ASCII bytes in it.
func (d *leanJSON) slowStr(start int) string {
	for d.pos < len(d.b) {
		c := d.b[d.pos]
		switch {
		case c == '"':
			s := d.b[start:d.pos]
			d.pos++
			return view(s)
		case c == '\\':
			return d.escaped(start)
		case c < 0x20:
			d.fail()
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRune(d.b[d.pos:])
			if r == utf8.RuneError && n == 1 {
				d.fail()
			}
			d.pos += n
			continue
		}
		d.pos++
	}
	d.fail()
	return ""
}

// escaped finishes a string with escapes into a new buffer.
func (d *leanJSON) escaped(start int) string {
	buf := append([]byte(nil), d.b[start:d.pos]...)
	for d.pos < len(d.b) {
		c := d.b[d.pos]
		switch {
		case c == '"':
			d.pos++
			return view(buf)
		case c < 0x20:
			d.fail()
		case c != '\\':
			if c >= utf8.RuneSelf {
				r, n := utf8.DecodeRune(d.b[d.pos:])
				if r == utf8.RuneError && n == 1 {
					d.fail()
				}
				buf = append(buf, d.b[d.pos:d.pos+n]...)
				d.pos += n
				continue
			}
			buf = append(buf, c)
			d.pos++
			continue
		}
		if d.pos+1 >= len(d.b) {
			d.fail()
		}
		e := d.b[d.pos+1]
		d.pos += 2
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r := d.hex4()
			if utf16.IsSurrogate(r) {
				d.fail() // pairs and lone halves: pdata decides
			}
			buf = utf8.AppendRune(buf, r)
		default:
			d.fail()
		}
	}
	d.fail()
	return ""
}

func (d *leanJSON) hex4() rune {
	if d.pos+4 > len(d.b) {
		d.fail()
	}
	n, err := strconv.ParseUint(view(d.b[d.pos:d.pos+4]), 16, 32)
	if err != nil {
		d.fail()
	}
	d.pos += 4
	return rune(n)
}

// view is a string over b without a copy: the decoder's input is never
// written again, and what the builder keeps it copies (topology.Interner).
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// digits reads a run of ASCII digits, with no leading zero unless alone,
// and returns its value: at most 19 digits, so it cannot overflow.
func (d *leanJSON) digits() uint64 {
	start := d.pos
	var n uint64
	for d.pos < len(d.b) && d.b[d.pos] >= '0' && d.b[d.pos] <= '9' {
		n = n*10 + uint64(d.b[d.pos]-'0')
		d.pos++
	}
	k := d.pos - start
	if k == 0 || k > 1 && d.b[start] == '0' || k > 19 {
		d.fail()
	}
	return n
}

// uint reads an unsigned integer written as a number or a string of
// digits, as OTLP writes 64-bit numbers; limit bounds it.
func (d *leanJSON) uint(limit uint64) uint64 {
	quoted := d.peek() == '"'
	if quoted {
		d.pos++
	}
	n := d.digits()
	if n > limit {
		d.fail()
	}
	if quoted {
		d.expect('"')
	}
	d.numberEnds()
	return n
}

// numberEnds refuses a number that goes on as a fraction or exponent.
func (d *leanJSON) numberEnds() {
	if d.pos < len(d.b) {
		switch d.b[d.pos] {
		case '.', 'e', 'E', '-', '+':
			d.fail()
		}
	}
}

func (d *leanJSON) int64() int64 {
	quoted := d.peek() == '"'
	if quoted {
		d.pos++
	}
	neg := d.pos < len(d.b) && d.b[d.pos] == '-'
	if neg {
		d.pos++
	}
	n := d.digits()
	if n > math.MaxInt64 {
		d.fail()
	}
	if quoted {
		d.expect('"')
	}
	d.numberEnds()
	if neg {
		if n == 0 {
			d.fail()
		}
		return -int64(n)
	}
	return int64(n)
}

// double reads a plain JSON number.
func (d *leanJSON) double() float64 {
	d.ws()
	start := d.pos
	if d.pos < len(d.b) && d.b[d.pos] == '-' {
		d.pos++
	}
	for d.pos < len(d.b) {
		c := d.b[d.pos]
		if c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-' {
			d.pos++
			continue
		}
		break
	}
	num := d.b[start:d.pos]
	// JSON's grammar, which ParseFloat is wider than: no leading zeros,
	// no bare dot, no hex, no inf.
	if len(num) == 0 || !validNumber(num) {
		d.fail()
	}
	f, err := strconv.ParseFloat(view(num), 64)
	if err != nil {
		d.fail()
	}
	return f
}

func validNumber(n []byte) bool {
	i := 0
	if n[i] == '-' {
		i++
	}
	digits := func() int {
		j := i
		for i < len(n) && n[i] >= '0' && n[i] <= '9' {
			i++
		}
		return i - j
	}
	start := i
	if k := digits(); k == 0 || k > 1 && n[start] == '0' {
		return false
	}
	if i < len(n) && n[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(n) && (n[i] == 'e' || n[i] == 'E') {
		i++
		if i < len(n) && (n[i] == '+' || n[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(n)
}

func (d *leanJSON) boolean() bool {
	d.ws()
	switch {
	case hasPrefix(d.b[d.pos:], "true"):
		d.pos += 4
		return true
	case hasPrefix(d.b[d.pos:], "false"):
		d.pos += 5
		return false
	}
	d.fail()
	return false
}

func hasPrefix(b []byte, s string) bool { return len(b) >= len(s) && string(b[:len(s)]) == s }

// id reads a hex ID of len(dst) bytes; "" leaves it zero. Only lower
// case: pdata decides the rest.
func (d *leanJSON) id(dst []byte) {
	d.expect('"')
	if d.pos < len(d.b) && d.b[d.pos] == '"' {
		d.pos++
		return
	}
	end := d.pos + 2*len(dst)
	if end >= len(d.b) || d.b[end] != '"' {
		d.fail()
	}
	for i := range dst {
		h, l := hexval[d.b[d.pos+2*i]], hexval[d.b[d.pos+2*i+1]]
		if h|l > 0x0f {
			d.fail()
		}
		dst[i] = h<<4 | l
	}
	d.pos = end + 1
}

// hexval maps a lower-case hex digit to its value, anything else to 0xff.
var hexval = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c - 'a' + 10)
	}
	return t
}()

func (d *leanJSON) request() {
	found := false
	d.object(func(key string) uint32 {
		if key != "resourceSpans" {
			return 0
		}
		d.array(d.resourceSpans)
		found = true
		return 1
	})
	if !found {
		d.fail() // DecodeJSON says why an object without it is not traces
	}
}

func (d *leanJSON) resourceSpans() {
	rr := topology.ResourceRecords{}
	first := len(d.recs)
	d.object(func(key string) uint32 {
		switch key {
		case "resource":
			d.object(func(key string) uint32 {
				switch key {
				case "attributes":
					rr.Resource = d.attributes()
					return 1
				case "droppedAttributesCount":
					d.uint(math.MaxUint32)
					return 2
				}
				return 0
			})
			return 1
		case "scopeSpans":
			d.array(d.scopeSpans)
			return 2
		case "schemaUrl":
			d.str()
			return 4
		}
		return 0
	})
	if len(d.recs) > first {
		rr.Spans = d.recs[first:len(d.recs):len(d.recs)]
	}
	d.out = append(d.out, rr)
}

// scopeSpans reads one scope's spans onto d.recs: a resource's spans are
// one run of it.
func (d *leanJSON) scopeSpans() {
	d.object(func(key string) uint32 {
		switch key {
		case "scope":
			d.object(func(key string) uint32 {
				switch key {
				case "name":
					d.str()
					return 1
				case "version":
					d.str()
					return 2
				case "attributes":
					d.attributes()
					return 4
				case "droppedAttributesCount":
					d.uint(math.MaxUint32)
					return 8
				}
				return 0
			})
			return 1
		case "spans":
			d.array(func() {
				d.recs = append(d.recs, topology.Record{})
				d.span(&d.recs[len(d.recs)-1])
			})
			return 2
		case "schemaUrl":
			d.str()
			return 4
		}
		return 0
	})
}

func (d *leanJSON) span(r *topology.Record) {
	d.object(func(key string) uint32 {
		switch key {
		case "traceId":
			d.id(r.Trace[:])
			return 1 << 0
		case "spanId":
			d.id(r.ID[:])
			return 1 << 1
		case "parentSpanId":
			d.id(r.Parent[:])
			return 1 << 2
		case "traceState":
			d.str()
			return 1 << 3
		case "name":
			r.Name = d.str()
			return 1 << 4
		case "kind":
			r.Kind = ptrace.SpanKind(d.uint(math.MaxInt32))
			return 1 << 5
		case "startTimeUnixNano":
			r.Start = d.uint(math.MaxUint64)
			return 1 << 6
		case "endTimeUnixNano":
			r.End = d.uint(math.MaxUint64)
			return 1 << 7
		case "attributes":
			r.Attrs = d.attributes()
			return 1 << 8
		case "droppedAttributesCount":
			d.uint(math.MaxUint32)
			return 1 << 9
		case "events":
			found := false
			d.array(func() { d.event(r, &found) })
			return 1 << 10
		case "droppedEventsCount":
			d.uint(math.MaxUint32)
			return 1 << 11
		case "links":
			d.array(func() { d.link(r) })
			return 1 << 12
		case "droppedLinksCount":
			d.uint(math.MaxUint32)
			return 1 << 13
		case "status":
			d.status(r)
			return 1 << 14
		case "flags":
			d.uint(math.MaxUint32)
			return 1 << 15
		}
		return 0
	})
}

func (d *leanJSON) status(r *topology.Record) {
	d.object(func(key string) uint32 {
		switch key {
		case "message":
			r.StatusMessage = d.str()
			return 1
		case "code":
			r.Status = ptrace.StatusCode(d.uint(math.MaxInt32))
			return 2
		}
		return 0
	})
}

// event reads one span event, keeping the first exception's type and
// message.
func (d *leanJSON) event(r *topology.Record, found *bool) {
	var name string
	var attrs topology.Attributes
	d.object(func(key string) uint32 {
		switch key {
		case "timeUnixNano":
			d.uint(math.MaxUint64)
			return 1
		case "name":
			name = d.str()
			return 2
		case "attributes":
			attrs = d.attributes()
			return 4
		case "droppedAttributesCount":
			d.uint(math.MaxUint32)
			return 8
		}
		return 0
	})
	if name == "exception" && !*found {
		*found = true
		r.ExceptionType, r.ExceptionMessage = asString(attrs, "exception.type"), asString(attrs, "exception.message")
	}
}

func asString(a topology.Attributes, key string) string {
	if v, ok := a.Get(key); ok {
		return v.AsString()
	}
	return ""
}

func (d *leanJSON) link(r *topology.Record) {
	var l topology.Link
	d.object(func(key string) uint32 {
		switch key {
		case "traceId":
			d.id(l.Trace[:])
			return 1
		case "spanId":
			d.id(l.Span[:])
			return 2
		case "traceState":
			d.str()
			return 4
		case "attributes":
			d.attributes()
			return 8
		case "droppedAttributesCount":
			d.uint(math.MaxUint32)
			return 16
		case "flags":
			d.uint(math.MaxUint32)
			return 32
		}
		return 0
	})
	r.Links = append(r.Links, l)
}

// attributes reads a list of attributes, a run of d.kvs.
func (d *leanJSON) attributes() topology.Attributes {
	start := len(d.kvs)
	d.array(func() {
		var kv topology.KeyValue
		if d.keyValue(&kv) {
			d.kvs = append(d.kvs, kv)
			return
		}
		d.object(func(key string) uint32 {
			switch key {
			case "key":
				kv.Key = d.str()
				return 1
			case "value":
				kv.Value = d.value()
				return 2
			}
			return 0
		})
		d.kvs = append(d.kvs, kv)
	})
	if len(d.kvs) == start {
		return nil
	}
	return d.kvs[start:len(d.kvs):len(d.kvs)]
}

// keyValue reads an attribute as exporters write it, compact with its
// keys in order ({"key":"k","value":{"stringValue":"v"}}), without the
// general object walk: attributes are most of a file. Anything else, it
// leaves to the walk, from where it started.
func (d *leanJSON) keyValue(kv *topology.KeyValue) bool {
	start := d.pos
	if !hasPrefix(d.b[d.pos:], `{"key":"`) {
		return false
	}
	d.pos += len(`{"key":`)
	key := d.str()
	if !hasPrefix(d.b[d.pos:], `,"value":{"`) {
		d.pos = start
		return false
	}
	d.pos += len(`,"value":{`)
	rest := d.b[d.pos:]
	var v topology.Value
	switch {
	case hasPrefix(rest, `"stringValue":`):
		d.pos += len(`"stringValue":`)
		v = topology.StrValue(d.str())
	case hasPrefix(rest, `"intValue":`):
		d.pos += len(`"intValue":`)
		v = topology.IntValue(d.int64())
	case hasPrefix(rest, `"boolValue":`):
		d.pos += len(`"boolValue":`)
		v = topology.BoolValue(d.boolean())
	case hasPrefix(rest, `"doubleValue":`):
		d.pos += len(`"doubleValue":`)
		v = topology.DoubleValue(d.double())
	default:
		d.pos = start
		return false
	}
	if !hasPrefix(d.b[d.pos:], `}}`) {
		d.pos = start
		return false
	}
	d.pos += 2
	*kv = topology.KeyValue{Key: key, Value: v}
	return true
}

// value reads an AnyValue with one scalar in it, or none.
func (d *leanJSON) value() topology.Value {
	var v topology.Value
	d.object(func(key string) uint32 {
		switch key {
		case "stringValue":
			v = topology.StrValue(d.str())
		case "intValue":
			v = topology.IntValue(d.int64())
		case "doubleValue":
			v = topology.DoubleValue(d.double())
		case "boolValue":
			v = topology.BoolValue(d.boolean())
		default:
			return 0
		}
		return 1 // one of them, once
	})
	return v
}
