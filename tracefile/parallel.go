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

// job is one record on its way through the pipeline.
type job struct {
	decode func() (topology.Batch, error)
	// fail turns a decode error into the decoder's answer (nil when the
	// record is skipped), called in input order.
	fail func(error) error
	b    topology.Batch
	err  error
	done chan struct{}
}

// pipeline decodes jobs on workers and hands them, in order, to emit.
type pipeline struct {
	work, order chan *job
	wg          sync.WaitGroup
	finished    chan struct{}
	mu          sync.Mutex
	err         error // the first error, in input order
}

func newPipeline(workers int, emit func(topology.Batch) error) *pipeline {
	inFlight := 4 * workers
	p := &pipeline{work: make(chan *job, inFlight), order: make(chan *job, inFlight), finished: make(chan struct{})}
	for i := 0; i < workers; i++ {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			// Each worker owns the strings its batches keep.
			var strings topology.Interner
			for j := range p.work {
				j.b, j.err = j.decode()
				if j.err == nil {
					j.b.Prepare(&strings)
				}
				close(j.done)
			}
		}()
	}
	go func() {
		defer close(p.finished)
		for j := range p.order {
			<-j.done
			if p.failed() != nil {
				continue // drain: what follows an error is not folded
			}
			var err error
			if j.err != nil {
				err = j.fail(j.err)
			} else {
				err = emit(j.b)
			}
			if err != nil {
				p.mu.Lock()
				p.err = err
				p.mu.Unlock()
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

// submit queues a record, or returns the error that stopped the pipeline.
func (p *pipeline) submit(decode func() (topology.Batch, error), fail func(error) error) error {
	if err := p.failed(); err != nil {
		return err
	}
	j := &job{decode: decode, fail: fail, done: make(chan struct{})}
	p.order <- j
	p.work <- j
	return nil
}

// close waits for every queued record and returns the first error.
func (p *pipeline) close() error {
	close(p.work)
	close(p.order)
	p.wg.Wait()
	<-p.finished
	return p.failed()
}
