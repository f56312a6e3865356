package tracefile

import (
	"math"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/rbgen/rbgen/topology"
)

// The lean protobuf decoder is the lean JSON decoder's twin for OTLP
// protobuf, on protowire: it reads the fields rbgen uses, skips the ones
// it knows it does not, and gives the record to pdata on anything else
// (an unknown or repeated singular field, a wrong wire type, a map-valued
// attribute, invalid UTF-8).

// leanProto walks one message; a failure makes the record pdata's. Like
// the JSON decoder's, its span and attribute lists are runs of arenas a
// scratch reuses.
type leanProto struct {
	failed bool
	kvs    []topology.KeyValue
	recs   []topology.Record
}

// decodeLeanProto decodes an ExportTraceServiceRequest, ok false when
// pdata must. The records live in sc until its next use; with sc nil they
// are the caller's.
func decodeLeanProto(msg []byte, sc *scratch) ([]topology.ResourceRecords, bool) {
	p := &leanProto{}
	if sc != nil {
		p = &sc.proto
	}
	*p = leanProto{kvs: p.kvs[:0], recs: p.recs[:0]}
	var out []topology.ResourceRecords
	p.fields(msg, func(num protowire.Number, typ protowire.Type, b []byte) uint32 {
		if num != 1 {
			return noField
		}
		p.message(typ)
		out = append(out, p.resourceSpans(b))
		return 0 // repeated
	})
	if p.failed {
		return nil, false
	}
	return out, true
}

// fields calls field for each field of msg with its value's bytes (the
// payload of a length-delimited field, the encoding of any other). field
// returns a bit for a singular field, so one given twice fails; 0 for a
// repeated one; noField for one it does not know.
func (p *leanProto) fields(msg []byte, field func(protowire.Number, protowire.Type, []byte) uint32) {
	var seen uint32
	for len(msg) > 0 && !p.failed {
		num, typ, n := protowire.ConsumeTag(msg)
		if n < 0 {
			p.failed = true
			return
		}
		msg = msg[n:]
		var val []byte
		if typ == protowire.BytesType {
			v, m := protowire.ConsumeBytes(msg)
			if m < 0 {
				p.failed = true
				return
			}
			val, n = v, m
		} else {
			n = protowire.ConsumeFieldValue(num, typ, msg)
			if n < 0 || typ == protowire.StartGroupType || typ == protowire.EndGroupType {
				p.failed = true
				return
			}
			val = msg[:n]
		}
		msg = msg[n:]
		bit := field(num, typ, val)
		if bit == noField || bit != 0 && seen&bit != 0 {
			p.failed = true
			return
		}
		seen |= bit
	}
}

// noField marks a field the decoder does not know.
const noField = math.MaxUint32

func (p *leanProto) str(typ protowire.Type, b []byte) string {
	if typ != protowire.BytesType || !utf8.Valid(b) {
		p.failed = true
		return ""
	}
	return view(b)
}

func (p *leanProto) varint(typ protowire.Type, b []byte) uint64 {
	if typ != protowire.VarintType {
		p.failed = true
		return 0
	}
	v, _ := protowire.ConsumeVarint(b)
	return v
}

func (p *leanProto) fixed64(typ protowire.Type, b []byte) uint64 {
	if typ != protowire.Fixed64Type {
		p.failed = true
		return 0
	}
	v, _ := protowire.ConsumeFixed64(b)
	return v
}

func (p *leanProto) fixed32(typ protowire.Type) {
	if typ != protowire.Fixed32Type {
		p.failed = true
	}
}

// id copies an ID of len(dst) bytes; empty leaves it zero.
func (p *leanProto) id(typ protowire.Type, b []byte, dst []byte) {
	if typ != protowire.BytesType || len(b) != 0 && len(b) != len(dst) {
		p.failed = true
		return
	}
	copy(dst, b)
}

func (p *leanProto) resourceSpans(msg []byte) topology.ResourceRecords {
	var rr topology.ResourceRecords
	first := len(p.recs)
	p.fields(msg, func(num protowire.Number, typ protowire.Type, b []byte) uint32 {
		switch num {
		case 1: // resource
			p.message(typ)
			p.fields(b, func(num protowire.Number, typ protowire.Type, b []byte) uint32 {
				switch num {
				case 1:
					rr.Resource = p.attr(typ, b, rr.Resource)
					return 0
				case 2: // dropped_attributes_count
					p.varint(typ, b)
					return 2
				}
				return noField
			})
			return 1
		case 2: // scope_spans
			p.message(typ)
			p.scopeSpans(b)
			return 0
		case 3: // schema_url
			p.str(typ, b)
			return 4
		}
		return noField
	})
	if len(p.recs) > first {
		rr.Spans = p.recs[first:len(p.recs):len(p.recs)]
	}
	return rr
}

func (p *leanProto) message(typ protowire.Type) {
	if typ != protowire.BytesType {
		p.failed = true
	}
}

// scopeSpans reads one scope's spans onto p.recs: a resource's spans are
// one run of it.
func (p *leanProto) scopeSpans(msg []byte) {
	p.fields(msg, func(num protowire.Number, typ protowire.Type, b []byte) uint32 {
		switch num {
		case 1: // scope
			p.message(typ)
			p.fields(b, func(num protowire.Number, typ protowire.Type, b []byte) uint32 {
				switch num {
				case 1, 2: // name, version
					p.str(typ, b)
					return 1 << num
				case 3:
					p.keyValue(typ, b)
					return 0
				case 4:
					p.varint(typ, b)
					return 16
				}
				return noField
			})
			return 1
		case 2:
			p.message(typ)
			p.recs = append(p.recs, topology.Record{})
			p.span(b, &p.recs[len(p.recs)-1])
			return 0
		case 3:
			p.str(typ, b)
			return 4
		}
		return noField
	})
}

func (p *leanProto) span(msg []byte, r *topology.Record) {
	found := false
	p.fields(msg, func(num protowire.Number, typ protowire.Type, b []byte) uint32 {
		switch num {
		case 1:
			p.id(typ, b, r.Trace[:])
		case 2:
			p.id(typ, b, r.ID[:])
		case 3: // trace_state
			p.str(typ, b)
		case 4:
			p.id(typ, b, r.Parent[:])
		case 5:
			r.Name = p.str(typ, b)
		case 6:
			r.Kind = ptrace.SpanKind(int32(p.varint(typ, b)))
		case 7:
			r.Start = p.fixed64(typ, b)
		case 8:
			r.End = p.fixed64(typ, b)
		case 9:
			r.Attrs = p.attr(typ, b, r.Attrs)
			return 0
		case 10, 12, 14: // dropped counts
			p.varint(typ, b)
		case 11:
			p.message(typ)
			p.event(b, r, &found)
			return 0
		case 13:
			p.message(typ)
			p.link(b, r)
			return 0
		case 15:
			p.message(typ)
			p.status(b, r)
		case 16: // flags
			p.fixed32(typ)
		default:
			return noField
		}
		return 1 << num
	})
}

func (p *leanProto) status(msg []byte, r *topology.Record) {
	p.fields(msg, func(num protowire.Number, typ protowire.Type, b []byte) uint32 {
		switch num {
		case 2:
			r.StatusMessage = p.str(typ, b)
			return 1
		case 3:
			r.Status = ptrace.StatusCode(int32(p.varint(typ, b)))
			return 2
		}
		return noField
	})
}

// event reads one span event, keeping the first exception's type and
// message (the first of each key, as a lookup finds it).
func (p *leanProto) event(msg []byte, r *topology.Record, found *bool) {
	var name, typ, text string
	var haveType, haveText bool
	p.fields(msg, func(num protowire.Number, wt protowire.Type, b []byte) uint32 {
		switch num {
		case 1:
			p.fixed64(wt, b)
			return 1
		case 2:
			name = p.str(wt, b)
			return 2
		case 3:
			kv := p.keyValue(wt, b)
			switch {
			case kv.Key == "exception.type" && !haveType:
				typ, haveType = kv.Value.AsString(), true
			case kv.Key == "exception.message" && !haveText:
				text, haveText = kv.Value.AsString(), true
			}
			return 0
		case 4:
			p.varint(wt, b)
			return 8
		}
		return noField
	})
	if name == "exception" && !*found {
		*found = true
		r.ExceptionType, r.ExceptionMessage = typ, text
	}
}

func (p *leanProto) link(msg []byte, r *topology.Record) {
	var l topology.Link
	p.fields(msg, func(num protowire.Number, typ protowire.Type, b []byte) uint32 {
		switch num {
		case 1:
			p.id(typ, b, l.Trace[:])
		case 2:
			p.id(typ, b, l.Span[:])
		case 3:
			p.str(typ, b)
		case 4:
			p.keyValue(typ, b)
			return 0
		case 5:
			p.varint(typ, b)
		case 6:
			p.fixed32(typ)
		default:
			return noField
		}
		return 1 << num
	})
	r.Links = append(r.Links, l)
}

// attr appends one KeyValue message to list, which is a run at the end of
// p.kvs (a list's fields may come between others', so a run that is no
// longer at the end moves there first).
func (p *leanProto) attr(typ protowire.Type, msg []byte, list topology.Attributes) topology.Attributes {
	kv := p.keyValue(typ, msg)
	if n := len(list); n > 0 && (len(p.kvs) < n || &p.kvs[len(p.kvs)-1] != &list[n-1]) {
		start := len(p.kvs)
		p.kvs = append(p.kvs, list...)
		list = p.kvs[start:]
	}
	p.kvs = append(p.kvs, kv)
	start := len(p.kvs) - len(list) - 1
	return p.kvs[start:len(p.kvs):len(p.kvs)]
}

// keyValue reads one KeyValue message.
func (p *leanProto) keyValue(typ protowire.Type, msg []byte) topology.KeyValue {
	p.message(typ)
	var kv topology.KeyValue
	p.fields(msg, func(num protowire.Number, typ protowire.Type, b []byte) uint32 {
		switch num {
		case 1:
			kv.Key = p.str(typ, b)
			return 1
		case 2:
			p.message(typ)
			kv.Value = p.value(b)
			return 2
		}
		return noField
	})
	return kv
}

// value reads an AnyValue holding one scalar, or none.
func (p *leanProto) value(msg []byte) topology.Value {
	var v topology.Value
	p.fields(msg, func(num protowire.Number, typ protowire.Type, b []byte) uint32 {
		switch num {
		case 1:
			v = topology.StrValue(p.str(typ, b))
		case 2:
			v = topology.BoolValue(p.varint(typ, b) != 0)
		case 3:
			v = topology.IntValue(int64(p.varint(typ, b)))
		case 4:
			if typ != protowire.Fixed64Type {
				p.failed = true
				return 1
			}
			bits, _ := protowire.ConsumeFixed64(b)
			v = topology.DoubleValue(math.Float64frombits(bits))
		default:
			return noField
		}
		return 1 // one of them, once
	})
	return v
}
