package demo

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

type attr struct {
	key string
	val any // string or int
}

type span struct {
	trace      pcommon.TraceID
	id, parent pcommon.SpanID
	service    string
	name       string
	kind       ptrace.SpanKind
	start, end time.Time
	attrs      []attr
	failed     bool
	message    string
	link       *pcommon.SpanID // producer span in linkTrace
	linkTrace  pcommon.TraceID
	rel        *release
	exception  string // exception.type of an exception event, with message
}

func (s *span) put(out ptrace.Span) {
	out.SetTraceID(s.trace)
	out.SetSpanID(s.id)
	out.SetParentSpanID(s.parent)
	out.SetName(s.name)
	out.SetKind(s.kind)
	out.SetStartTimestamp(pcommon.NewTimestampFromTime(s.start))
	out.SetEndTimestamp(pcommon.NewTimestampFromTime(s.end))
	for _, a := range s.attrs {
		switch v := a.val.(type) {
		case int:
			out.Attributes().PutInt(a.key, int64(v))
		case string:
			out.Attributes().PutStr(a.key, v)
		}
	}
	if s.failed {
		out.Status().SetCode(ptrace.StatusCodeError)
		out.Status().SetMessage(s.message)
	}
	if s.exception != "" {
		ev := out.Events().AppendEmpty()
		ev.SetName("exception")
		ev.SetTimestamp(pcommon.NewTimestampFromTime(s.end))
		ev.Attributes().PutStr("exception.type", s.exception)
		ev.Attributes().PutStr("exception.message", s.message)
	}
	if s.link != nil {
		l := out.Links().AppendEmpty()
		l.SetTraceID(s.linkTrace)
		l.SetSpanID(*s.link)
	}
}
