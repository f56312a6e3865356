package topology

import (
	"sync"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// A batch is folded in two steps. Preparing reads each span's facts from
// its attributes, which depends on nothing but the span and its resource,
// so decoding workers do it in parallel; folding files them into the
// builder's shared state, in input order, on one goroutine.

// prepared is a batch made ready to fold. Its arrays are flat and come
// from a pool: the builder gives them back once folded, and allocating
// them afresh for every batch was a third of preparing.
type prepared struct {
	resources []preparedResource
	spans     []preparedSpan
	// attrs backs every resource's and span's attribute lists; keys
	// backs their intern keys.
	attrs []Attr
	keys  []byte
	// gen counts the times p went back to the pool, so that a batch
	// folded twice is caught rather than read from a reused p.
	gen uint64
}

var preparedPool = sync.Pool{New: func() any { return new(prepared) }}

// release gives p back to the pool, once nothing reads it.
func (p *prepared) release() {
	clear(p.spans) // drop what the spans point to
	clear(p.attrs)
	*p = prepared{resources: p.resources[:0], spans: p.spans[:0], attrs: p.attrs[:0], keys: p.keys[:0], gen: p.gen + 1}
	preparedPool.Put(p)
}

type preparedResource struct {
	env     string // deployment environment, "" for none
	release releaseFacts
	res     span32 // telling resource attributes, in attrs
	// spans are the resource's, in prepared.spans.
	first, n int
}

// span32 is a run of prepared.attrs, sorted, and its intern key in
// prepared.keys.
type span32 struct{ at, n, key, keyEnd int32 }

type preparedSpan struct {
	trace pcommon.TraceID
	sp    Span
	tags  span32 // for spans that serve
}

// Prepare reads the batch's spans for folding, using in to own the strings
// they keep. A source that decodes on several goroutines calls it on each,
// with an Interner of its own; the builder prepares what arrives unprepared.
func (b *Batch) Prepare(in *Interner) {
	if b.prep != nil {
		return
	}
	recs := b.Records
	if b.Traces != (ptrace.Traces{}) && b.Traces.ResourceSpans().Len() > 0 {
		recs = append(RecordsOf(b.Traces), recs...)
	}
	b.prep = prepare(recs, in)
	b.prepGen = b.prep.gen
}

// prepared returns the batch's prepared spans; a batch is folded once.
func (b *Batch) prepared() *prepared {
	if b.prep.gen != b.prepGen {
		panic("topology: a prepared batch was added twice")
	}
	return b.prep
}

func prepare(rrs []ResourceRecords, in *Interner) *prepared {
	p := preparedPool.Get().(*prepared)
	for i := range rrs {
		rr := &rrs[i]
		res := index(rr.Resource)
		pr := preparedResource{env: in.Own(first(res, attrEnvironment)), first: len(p.spans), n: len(rr.Spans)}
		if len(rr.Spans) > 0 {
			pr.release = releaseOf(res, in)
			pr.res = p.add(func(buf []Attr) []Attr { return tellingResource(buf, rr.Resource) })
			svc, ns := in.Own(validUTF8(serviceName(res))), in.Own(validUTF8(str(res, "service.namespace")))
			for j := range rr.Spans {
				s := &rr.Spans[j]
				p.spans = append(p.spans, preparedSpan{trace: s.Trace, sp: newSpan(svc, ns, s, in)})
				ps := &p.spans[len(p.spans)-1]
				ps.sp.own(in)
				if receives(s.Kind) || s.Kind == ptrace.SpanKindUnspecified {
					ps.tags = p.add(func(buf []Attr) []Attr { return tellingTags(buf, s.Attrs) })
				}
			}
		}
		p.resources = append(p.resources, pr)
	}
	return p
}

// add appends what fill appends to the batch's attributes and returns
// where it went.
func (p *prepared) add(fill func([]Attr) []Attr) span32 {
	at, key := len(p.attrs), len(p.keys)
	p.attrs = fill(p.attrs)
	p.keys = internKey(p.keys, p.attrs[at:])
	return span32{at: int32(at), n: int32(len(p.attrs) - at), key: int32(key), keyEnd: int32(len(p.keys))}
}

func (p *prepared) list(s span32) []Attr { return p.attrs[s.at : s.at+s.n : s.at+s.n] }

func (p *prepared) key(s span32) []byte { return p.keys[s.key:s.keyEnd] }

// own replaces every string the span keeps with in's copy: decoders'
// strings may point into the record they came from. Service and
// namespace are owned already.
func (s *Span) own(in *Interner) {
	for _, p := range []*string{&s.Op, &s.caller, &s.dest} {
		*p = in.Own(*p)
	}
	if s.Peer != nil {
		pe := s.Peer
		pe.Name, pe.ip, pe.addr, pe.system = in.Own(pe.Name), in.Own(pe.ip), in.Own(pe.addr), in.Own(pe.system)
		for i := range pe.match {
			pe.match[i] = Attr{Key: in.Own(pe.match[i].Key), Value: in.Own(pe.match[i].Value)}
		}
	}
	if s.fail != nil {
		// Messages are often unique: copied, not interned.
		s.fail.typ, s.fail.message = in.Own(s.fail.typ), string([]byte(s.fail.message))
	}
}
