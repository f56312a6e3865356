package generator

import (
	"fmt"
	"strings"

	"github.com/rbgen/rbgen/incident"
)

// EvidenceSentence says one piece of a suspect's evidence in words, with
// its numbers in the documents' one format. Names from trace data are
// shortened, not escaped: the caller escapes for its format.
func EvidenceSentence(e incident.Evidence) string {
	switch e.Kind {
	case incident.EvidenceSelfTime:
		return fmt.Sprintf("its own work in %s took a median %s per call (baseline %s)", clip(e.Operation), Millis(e.Window), Millis(e.Baseline))
	case incident.EvidenceWireTime:
		return fmt.Sprintf("calls from %s spent a median %s on the wire (baseline %s)", e.Caller, Millis(e.Window), Millis(e.Baseline))
	case incident.EvidenceAddedTime:
		return fmt.Sprintf("in all, its own work and the wire time of calls to it added %s per traced request", Millis(e.Window))
	case incident.EvidenceOwnErrors:
		return fmt.Sprintf("it raised %d errors of its own (%.3g per traced request, baseline %.3g), with no failing call below them", e.Count, e.Window, e.Baseline)
	case incident.EvidenceRepeats:
		return fmt.Sprintf("%s requests ran %s %.3g times each (baseline %.3g)", clip(e.Operation), describeItem(e.Step.Next), e.Window, e.Baseline)
	case incident.EvidenceStep:
		return fmt.Sprintf("%s requests %s in %.0f%% of cases (baseline %.0f%%)", clip(e.Operation), stepPhrase(e.Step), 100*e.Window, 100*e.Baseline)
	}
	return e.Kind
}

// stepPhrase is what the changed requests did, as a verb phrase.
func stepPhrase(s incident.Step) string {
	switch {
	case s.Prev == "":
		return "ran " + describeItem(s.Next)
	case s.Prev == incident.StepStart && s.Next == incident.StepEnd:
		return "ended at once, having done nothing,"
	case s.Next == incident.StepEnd:
		return "ended right after " + describeItem(s.Prev)
	case s.Prev == incident.StepStart:
		return "began with " + describeItem(s.Next)
	}
	return "went from " + describeItem(s.Prev) + " straight to " + describeItem(s.Next)
}

// SignalName says what a suspect's series measures, for its chart.
func SignalName(s incident.Signal) string {
	switch s.Kind {
	case incident.SignalSelfTime:
		return "median own time in " + clip(s.Operation) + ", ms"
	case incident.SignalWireTime:
		return "median wire time of calls to it, ms"
	case incident.SignalOwnErrors:
		return "own errors per 100 requests it served"
	case incident.SignalStepShare:
		return "requests taking the changed step, %"
	case incident.SignalRepeats:
		return "runs of the repeated step per request"
	}
	return s.Kind
}

// describeItem names a step: a call as "a call to service (operation)".
func describeItem(item string) string {
	if rest, ok := strings.CutPrefix(item, "→ "); ok {
		if svc, op, ok := strings.Cut(rest, ": "); ok {
			return fmt.Sprintf("a call to %s (%s)", clip(svc), clip(op))
		}
	}
	return clip(item)
}

// clip shortens a name from trace data inside a sentence.
func clip(s string) string { return cleanN(s, 60) }
