package incident

// Evidence is one measured change behind a suspect. It is data, not words:
// the documents say it (generator's evidence sentences, or a template's
// own), in one number format.
type Evidence struct {
	// Kind is what was measured: one of the Evidence* kinds.
	Kind string
	// Operation is the operation whose own time moved (EvidenceSelfTime),
	// or whose requests changed their steps (EvidenceStep, EvidenceRepeats).
	Operation string
	// Caller is the service whose calls to the node waited on the wire
	// (EvidenceWireTime).
	Caller string
	// Step is the changed step (EvidenceStep, EvidenceRepeats).
	Step Step
	// Window and Baseline are the measure in the window and the baseline,
	// in Unit; EvidenceAddedTime has only a Window.
	Window, Baseline float64
	Unit             string
	// Count is how many own errors the window held (EvidenceOwnErrors).
	Count int64
}

// The kinds of evidence.
const (
	EvidenceSelfTime  = "self-time"  // median own time per call of Operation
	EvidenceWireTime  = "wire-time"  // median wire time of Caller's calls to the node
	EvidenceAddedTime = "added-time" // own work and wire time added per traced request
	EvidenceOwnErrors = "own-errors" // own errors per traced request, with no failing call below them
	EvidenceStep      = "step"       // share of Operation's requests that took Step
	EvidenceRepeats   = "repeats"    // times each of Operation's requests ran Step.Next
)

// Units of evidence and signals.
const (
	UnitMS         = "ms"
	UnitPerRequest = "per request"
	UnitShare      = "share" // 0 to 1
	UnitRuns       = "runs"  // per request
	UnitPercent    = "%"
)

// Step is one step of the requests to an operation: running Next right
// after Prev. Items are the service's own operations by name, its calls as
// "→ service: operation", and StepStart and StepEnd; an empty Prev means
// running Next at all.
type Step struct{ Prev, Next string }

// The two ends of a request's steps.
const (
	StepStart = "(start)"
	StepEnd   = "(end)"
)

// Signal names what a suspect's series measures per minute.
type Signal struct {
	// Kind is one of the Signal* kinds.
	Kind string
	// Operation is the operation whose own time is charted (SignalSelfTime).
	Operation string
	// Unit is the series' unit.
	Unit string
}

// The signals a suspect is charted and dated by.
const (
	SignalSelfTime  = "self-time"  // median own time of Operation, ms
	SignalWireTime  = "wire-time"  // median wire time of calls to it, ms
	SignalOwnErrors = "own-errors" // own errors per 100 requests it served
	SignalStepShare = "step-share" // requests taking the changed step, %
	SignalRepeats   = "repeats"    // runs of the repeated step per request
)
