package tracefile

import (
	"runtime"
	"sync"

	"github.com/rbgen/rbgen/topology"
)

// Records are independent: decoding is most of a read's time, so records
// are decoded on every core and folded into the builder in input order,
// which keeps the output byte-identical to a serial read. At most
// inFlight records are decoded or waiting, so memory stays flat.

// Workers is how many records are decoded at once; 1 decodes on the
// reading goroutine, as before.
var Workers = runtime.GOMAXPROCS(0)

// item is one record on its way through the pipeline.
type item struct {
	r   rec
	b   topology.Batch
	err error
}

// job is a run of records decoded by one worker: handing each record
// between goroutines on its own cost more than decoding it (two cores,
// tens of thousands of small lines).
type job struct {
	items []item
	done  chan struct{}
}

// A job closes at jobBytes of input or jobItems records.
const (
	jobBytes = 128 << 10
	jobItems = 256
)

// pipeline decodes jobs on workers and hands their batches, in order, to
// emit.
type pipeline struct {
	work, order chan *job
	wg          sync.WaitGroup
	finished    chan struct{}
	mu          sync.Mutex
	err         error // the first error, in input order
	cur         *job  // the job being filled
	curBytes    int
}

func newPipeline(workers int, d *decoder) *pipeline {
	inFlight := 2 * workers
	p := &pipeline{work: make(chan *job, inFlight), order: make(chan *job, inFlight), finished: make(chan struct{})}
	for i := 0; i < workers; i++ {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			// Each worker owns the strings its batches keep, and reuses
			// its scratch: a batch leaves prepared, without the records
			// it was read into.
			var strings topology.Interner
			var sc scratch
			for j := range p.work {
				for k := range j.items {
					it := &j.items[k]
					if it.b, it.err = d.decodeRec(&it.r, &sc); it.err == nil {
						it.b.Prepare(&strings)
						it.b.Records = nil
					}
				}
				close(j.done)
			}
		}()
	}
	go func() {
		defer close(p.finished)
		for j := range p.order {
			<-j.done
			for k := range j.items {
				if p.failed() != nil {
					break // drain: what follows an error is not folded
				}
				it := &j.items[k]
				var err error
				if it.err != nil {
					err = d.failRec(&it.r, it.err)
				} else {
					err = d.emit(it.b)
				}
				it.b, it.r = topology.Batch{}, rec{}
				if err != nil {
					p.mu.Lock()
					p.err = err
					p.mu.Unlock()
				}
			}
		}
	}()
	return p
}

func (p *pipeline) failed() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// submit queues a record of size bytes, or returns the error that stopped
// the pipeline.
func (p *pipeline) submit(r rec) error {
	if err := p.failed(); err != nil {
		return err
	}
	if p.cur == nil {
		p.cur = &job{done: make(chan struct{})}
	}
	p.cur.items = append(p.cur.items, item{r: r})
	if p.curBytes += len(r.b); p.curBytes >= jobBytes || len(p.cur.items) >= jobItems {
		p.flush()
	}
	return nil
}

func (p *pipeline) flush() {
	if p.cur == nil {
		return
	}
	j := p.cur
	p.cur, p.curBytes = nil, 0
	p.order <- j
	p.work <- j
}

// close waits for every queued record and returns the first error.
func (p *pipeline) close() error {
	p.flush()
	close(p.work)
	close(p.order)
	p.wg.Wait()
	<-p.finished
	return p.failed()
}
