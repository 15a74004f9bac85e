package stages

import (
	"io"
	"sync"
)

// HoldOutcome returns f with the outcome of its stage held back, for one
// Run: Run tells a stage that the returned filter builds and that is an
// [OutcomeWatcher] to watch, as always, but never how the run ended;
// deliver tells it, once, to every stage built so far. It is for a caller
// whose Run is one part of a larger decision (fpipe runs several chains
// and children as one pipeline; a tool in a shell pipe learns afterwards
// whether the tools after it committed): it must call deliver after Run
// returned, or the stage never makes its last report. deliver is safe for
// concurrent use; later calls do nothing.
func HoldOutcome(f Filter) (held Filter, deliver func(Outcome)) {
	h := &holder{}
	held = f
	if f.Writer != nil {
		held.Writer = func(dst io.Writer) (io.WriteCloser, error) {
			w, err := f.Writer(dst)
			if err == nil {
				h.add(w)
			}
			return w, err
		}
	}
	if f.Reader != nil {
		held.Reader = func(src io.Reader) (io.ReadCloser, error) {
			r, err := f.Reader(src)
			if err == nil {
				h.add(r)
			}
			return r, err
		}
	}
	held.held = h
	return held, h.deliver
}

// holder keeps the stages whose outcome is held.
type holder struct {
	mu        sync.Mutex
	watchers  []OutcomeWatcher
	delivered bool
}

func (h *holder) add(stage any) {
	if ow, ok := stage.(OutcomeWatcher); ok {
		h.mu.Lock()
		if !h.delivered {
			h.watchers = append(h.watchers, ow)
		}
		h.mu.Unlock()
	}
}

func (h *holder) deliver(o Outcome) {
	h.mu.Lock()
	ws := h.watchers
	h.watchers, h.delivered = nil, true
	h.mu.Unlock()
	for _, w := range ws {
		w.Outcome(o)
	}
}

// watcher returns the OutcomeWatcher of a built filter's writer, if it is
// one: the stage itself, or the reader stage behind a PipeWriter.
func watcher(w io.WriteCloser) (OutcomeWatcher, bool) {
	w = unnamed(w)
	if pw, ok := w.(*pipeWriter); ok {
		ow, ok := pw.stage.(OutcomeWatcher)
		return ow, ok
	}
	ow, ok := w.(OutcomeWatcher)
	return ow, ok
}

// conclude tells the OutcomeWatcher filters, in chain order, how the run
// ended, except those of a filter from HoldOutcome.
func (r *run) conclude(err error) {
	o := Outcome{Err: err, Committed: err == nil && r.publishes()}
	for i, w := range r.writers {
		if w == nil {
			continue
		}
		if r.c.Filters[i].held != nil {
			continue // the holder tells it
		}
		if ow, ok := watcher(w); ok {
			ow.Outcome(o)
		}
	}
}

// publishes tells whether the chain has an output that publishes
// something: a sink that is not a StdoutSink, or a Committer filter.
func (r *run) publishes() bool {
	for _, w := range r.writers {
		if _, ok := committer(w); ok {
			return true
		}
	}
	s := r.c.Sink
	for {
		in, ok := s.(interface{ wrapped() Sink })
		if !ok {
			break
		}
		s = in.wrapped()
	}
	_, plain := s.(writerSink)
	return !plain
}
