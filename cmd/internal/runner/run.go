// Package runner is fpipe: it runs a whole pipeline, written as in sh, in
// one process where it can, all or nothing. fpipe's own tools run in-process
// from the same definitions their binaries use, stacked so that a run of
// them is one copy; other commands run as child processes joined by pipes.
// The sink (and any other stage's committed output, such as fsum -o's sum
// file) commits only after every stage, in-process or child, has finished
// cleanly.
package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/cmd/internal/tools"
	"github.com/fpipe/fpipe/stages"
	"golang.org/x/sys/unix"
)

// maxPipelineFile bounds what -f reads: a pipeline, not data.
const maxPipelineFile = 1 << 20

// stage is one command of the pipeline.
type stage struct {
	n    int
	name string // "stage 2 (fgz -d)"
	cmd  Command
	tool *cli.Tool
	st   *cli.Stage // in-process
	proc *exec.Cmd  // child

	status string      // for -v
	exited atomic.Bool // the child has been waited for
}

func (s *stage) inProcess() bool { return s.tool != nil }

type pipeline struct {
	opts   options
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	stages []*stage

	ctx      context.Context
	cancel   context.CancelFunc
	gate     *gate
	closers  []io.Closer // pipe ends the parent holds, closed on failure
	mu       sync.Mutex
	finished chan struct{} // closed when every stage has ended
	// sigs, when set, receives the fatal signals from the command line's
	// catcher (cli.Stage.Signal), which caught them since before the
	// pipeline was built; when nil, run catches them itself.
	sigs chan os.Signal

	groups  bool      // each child leads its own process group
	stopped time.Time // when stopAll first ran (under mu)

	// delivers tell the in-process stages that report the outcome (fpv's
	// last line) how the whole pipeline ended, in pipeline order.
	delivers []func(stages.Outcome)
}

func (p *pipeline) run(cmds []Command) int {
	p.ctx, p.cancel = context.WithCancel(context.Background())
	defer p.cancel()
	p.finished = make(chan struct{})
	p.newStages(cmds)

	// Catch signals before anything is created that a signal must undo.
	sigs := p.sigs
	if sigs == nil {
		sigs = make(chan os.Signal, 1)
		signal.Notify(sigs, cli.Signals()...)
		defer signal.Stop(sigs)
	}

	if code := p.build(); code != cli.ExitOK {
		p.undoAll()
		return code
	}
	p.warnNotAtomic()
	p.gate = newGate()
	var wg sync.WaitGroup
	if err := p.start(&wg); err != nil {
		p.gate.fail(-1, err)
	}
	p.gate.seal()
	defer close(p.finished)
	sigCh, signaled := p.watchSignals(sigs)
	var sig syscall.Signal
	select {
	case sig = <-sigCh:
	case <-p.gate.settled:
	}
	if p.gate.err() != nil {
		p.stopAll()
	}
	stuck := p.waitStages(&wg, sigCh, &sig)
	p.killGroups()
	if sig == 0 { // arrived as the stages ended
		sig = syscall.Signal(signaled.Load())
	}
	p.conclude(sig)
	p.closeStages(stuck)
	return p.report(sig)
}

// conclude tells the stages that report the outcome how the pipeline
// ended, before fpipe's own last line: the first cause, a signal, or
// success, with whether anything was committed (an fsink, or fsum -o).
func (p *pipeline) conclude(sig syscall.Signal) {
	err := p.gate.err()
	if err == nil && sig != 0 {
		err = fmt.Errorf("%s: stopped, nothing committed", cli.SignalName(sig))
	}
	publishes := false
	for _, s := range p.stages {
		if s.inProcess() && (s.st.Sink != nil || len(s.st.Undo) > 0) {
			publishes = true
		}
	}
	o := stages.Outcome{Err: err, Committed: err == nil && publishes}
	for _, d := range p.delivers {
		d(o)
	}
}

// newStages makes the stages of cmds: fpipe's tools in-process, the rest
// children.
func (p *pipeline) newStages(cmds []Command) {
	for i, c := range cmds {
		s := &stage{n: i + 1, cmd: c, name: fmt.Sprintf("stage %d (%s)", i+1, c.Text), status: "ok"}
		if t, ok := tools.All[c.Args[0]]; ok {
			s.tool = t
		}
		p.stages = append(p.stages, s)
	}
}

// warnNotAtomic says once that a pipeline not ending in fsink commits
// nothing atomically, unless -q.
func (p *pipeline) warnNotAtomic() {
	last := p.stages[len(p.stages)-1]
	if !(last.inProcess() && last.st.Sink != nil) && !p.opts.quiet {
		fmt.Fprintf(p.stderr, "fpipe: the last stage is not fsink: its output cannot be made atomic\n")
	}
}

// watchSignals acts on a signal at once, on its own goroutine: the gate
// fails and every sink is told to abort (a commit under way then stops
// before its rename), whatever the main loop is waiting for. The signal is
// then sent on the returned channel, and kept in signaled.
func (p *pipeline) watchSignals(sigs <-chan os.Signal) (<-chan syscall.Signal, *atomic.Int32) {
	sigCh := make(chan syscall.Signal, 1)
	signaled := new(atomic.Int32)
	go func() {
		select {
		case s := <-sigs:
			sg := s.(syscall.Signal)
			signaled.Store(int32(sg))
			p.gate.fail(-1, fmt.Errorf("%s: stopped, nothing committed", cli.SignalName(sg)))
			p.undoAll()
			sigCh <- sg
		case <-p.finished:
		}
	}()
	return sigCh, signaled
}

// waitStages waits for every stage to end. After a failure or a signal
// (kept in *sig) it waits no longer than waitLimit: a stage blocked reading
// a FIFO or terminal that nobody writes to cannot be interrupted, and
// everything that could commit was aborted already. It reports whether it
// gave up.
func (p *pipeline) waitStages(wg *sync.WaitGroup, sigCh <-chan syscall.Signal, sig *syscall.Signal) (stuck bool) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	var giveUp <-chan time.Time
	if p.gate.err() != nil {
		giveUp = time.After(p.waitLimit())
	}
	for {
		select {
		case <-done:
			return false
		case sg := <-sigCh:
			if *sig == 0 {
				*sig = sg
				p.stopAll()
				giveUp = time.After(p.waitLimit())
			}
		case <-giveUp:
			return true
		}
	}
}

// closeStages releases what in-process stages hold, unless some stage is
// stuck and may still use it.
func (p *pipeline) closeStages(stuck bool) {
	for _, s := range p.stages {
		if s.inProcess() && s.st.Close != nil && !stuck {
			s.st.Close()
		}
	}
}

// report prints the statuses (-v) and the cause, and returns the exit
// status.
func (p *pipeline) report(sig syscall.Signal) int {
	if p.opts.verbose {
		for _, s := range p.stages {
			fmt.Fprintf(p.stderr, "fpipe: %s: %s\n", s.name, s.status)
		}
	}
	if sig != 0 {
		fmt.Fprintf(p.stderr, "fpipe: %s: stopped, nothing committed\n", cli.SignalName(sig))
		return 128 + int(sig)
	}
	if err := p.gate.err(); err != nil {
		fmt.Fprintf(p.stderr, "fpipe: %s\n", cli.Message(err))
		return cli.ExitFailure
	}
	return cli.ExitOK
}

// build parses every in-process stage's flags and builds it; it checks
// that sources come first and sinks last, and finds the children.
func (p *pipeline) build() int {
	n := len(p.stages)
	p.groups = !inForeground()
	for i, s := range p.stages {
		if !s.inProcess() {
			path, err := exec.LookPath(s.cmd.Args[0])
			if err != nil {
				fmt.Fprintf(p.stderr, "fpipe: %s: %s\n", s.name, cli.Message(errors.Unwrap(err)))
				return cli.ExitFailure
			}
			s.proc = exec.Command(path, s.cmd.Args[1:]...)
			s.proc.Args[0] = s.cmd.Args[0]
			s.proc.Stderr = p.childStderr()
			if p.groups {
				s.proc.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			}
			continue
		}
		build, fs, help, version, err := s.tool.Parse(s.cmd.Args[1:], p.stderr)
		if err == nil && (help || version) {
			err = errors.New("--help and --version are not for a pipeline stage")
		}
		if err != nil {
			return usage(p.stderr, fmt.Errorf("%s: %v", s.name, err))
		}
		env := &cli.Env{Ctx: p.ctx, Stderr: p.stderr, Tool: "fpipe: " + s.name, Sink: p.sinkAfter(i)}
		if i == 0 {
			env.Stdin = p.stdin
		}
		if i == n-1 {
			env.Stdout = p.stdout
		}
		st, err := build(fs.Args(), env)
		if err != nil {
			var ue *cli.UsageError
			if errors.As(err, &ue) {
				return usage(p.stderr, fmt.Errorf("%s: %v", s.name, err))
			}
			fmt.Fprintf(p.stderr, "fpipe: %s: %s\n", s.name, cli.Message(err))
			return cli.ExitFailure
		}
		s.st = st
		switch {
		case st.Job != nil:
			return usage(p.stderr, fmt.Errorf("%s: this form of %s is not a stream stage", s.name, s.tool.Name))
		case st.Source != nil && i != 0:
			return usage(p.stderr, fmt.Errorf("%s: %s reads no input, so it must be the first stage", s.name, s.tool.Name))
		case st.Sink != nil && i != n-1:
			return usage(p.stderr, fmt.Errorf("%s: %s writes no output, so it must be the last stage", s.name, s.tool.Name))
		}
	}
	return cli.ExitOK
}

// childStderr is what children write their messages to: the file under
// fpipe's stderr when it is wrapped (lastLine). exec copies what a child
// writes to anything but a file through a pipe, and its Wait then waits
// until every holder of that pipe has closed it: a grandchild left running
// (sh -c 'sleep 60 &', ssh -f) would keep fpipe waiting after the child
// exited, past --grace and forever.
func (p *pipeline) childStderr() io.Writer {
	if l, ok := p.stderr.(*lastLine); ok {
		return l.w
	}
	return p.stderr
}

// waitLimit is how long fpipe waits for its stages after stopping them:
// the children's grace period and a second, or 300 ms with no children.
func (p *pipeline) waitLimit() time.Duration {
	for _, s := range p.stages {
		if s.proc != nil {
			return p.opts.grace + time.Second
		}
	}
	return 300 * time.Millisecond
}

// undoAll takes back what built stages prepared (temporary files).
func (p *pipeline) undoAll() {
	for _, s := range p.stages {
		if s.inProcess() && s.st != nil {
			for _, u := range s.st.Undo {
				u()
			}
		}
	}
}

// stopAll stops everything after a failure: undo committed outputs not yet
// committed, close the parent's pipe ends, and terminate children (SIGTERM,
// then SIGKILL after the grace period), with their process groups when they
// lead one.
func (p *pipeline) stopAll() {
	p.cancel()
	p.undoAll()
	p.mu.Lock()
	for _, c := range p.closers {
		c.Close()
	}
	if p.stopped.IsZero() {
		p.stopped = time.Now()
	}
	p.mu.Unlock()
	for _, s := range p.stages {
		s.signal(syscall.SIGTERM)
	}
	go func() {
		timer := time.NewTimer(p.opts.grace)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-p.finished:
			return
		}
		for _, s := range p.stages {
			s.signal(syscall.SIGKILL)
		}
	}()
}

// signal sends sig to the child s, and to its process group when it leads
// one: what the child started gets it too. A child that has been waited
// for is signalled only through its group (its pid may be reused; the
// group's number is not, while the group has members).
func (s *stage) signal(sig syscall.Signal) {
	if s.proc == nil || s.proc.Process == nil {
		return
	}
	pid := s.proc.Process.Pid
	if s.proc.SysProcAttr != nil && s.proc.SysProcAttr.Setpgid {
		syscall.Kill(-pid, sig)
		return
	}
	if !s.exited.Load() {
		s.proc.Process.Signal(sig)
	}
}

// killGroups ends, after a stop, the process groups of children that still
// have members (what a child started and left behind, or one that ignores
// SIGTERM): it waits for the rest of the grace period, then sends SIGKILL.
func (p *pipeline) killGroups() {
	p.mu.Lock()
	stopped := p.stopped
	p.mu.Unlock()
	if stopped.IsZero() {
		return
	}
	for _, s := range p.stages {
		if s.proc == nil || s.proc.Process == nil || s.proc.SysProcAttr == nil || !s.proc.SysProcAttr.Setpgid {
			continue
		}
		for syscall.Kill(-s.proc.Process.Pid, 0) == nil && time.Since(stopped) < p.opts.grace {
			time.Sleep(10 * time.Millisecond)
		}
		syscall.Kill(-s.proc.Process.Pid, syscall.SIGKILL)
	}
}

// inForeground reports whether fpipe runs in the foreground process group
// of a terminal (its standard input, output or error, or its controlling
// terminal). Its children then stay in fpipe's group: one in a group of its
// own that reads the terminal (cat, a password prompt) would be stopped by
// SIGTTIN, and Ctrl-C reaches the whole foreground group, grandchildren
// included, through the terminal anyway.
func inForeground() bool {
	me := unix.Getpgrp()
	for fd := 0; fd < 3; fd++ {
		if pg, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP); err == nil {
			return pg == me
		}
	}
	tty, err := unix.Open("/dev/tty", unix.O_RDONLY|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(tty)
	pg, err := unix.IoctlGetInt(tty, unix.TIOCGPGRP)
	return err == nil && pg == me
}

func (p *pipeline) hold(c io.Closer) {
	p.mu.Lock()
	p.closers = append(p.closers, c)
	p.mu.Unlock()
}

// start wires the stages together and starts them: each run of in-process
// stages becomes one stages.Run in a goroutine; children start with pipes.
func (p *pipeline) start(wg *sync.WaitGroup) error {
	n := len(p.stages)
	// in[i] is what stage i reads (nil: fpipe's stdin), out[i] what it writes.
	in := make([]*os.File, n)
	out := make([]*os.File, n)
	for i := 0; i+1 < n; i++ {
		if p.stages[i].inProcess() && p.stages[i+1].inProcess() {
			continue // same segment
		}
		r, w, err := os.Pipe()
		if err != nil {
			return err
		}
		out[i], in[i+1] = w, r
		p.hold(r)
		p.hold(w)
	}
	// Children.
	for i, s := range p.stages {
		if s.proc == nil {
			continue
		}
		if in[i] != nil {
			s.proc.Stdin = in[i]
		} else {
			s.proc.Stdin = p.stdin
		}
		if out[i] != nil {
			s.proc.Stdout = out[i]
		} else {
			s.proc.Stdout = p.stdout
		}
		id := p.gate.add()
		if err := s.proc.Start(); err != nil {
			s.status = cli.Message(err)
			p.gate.fail(id, stages.Named(s.name, err))
			continue
		}
		// The child has its own copies of its pipe ends.
		if in[i] != nil {
			in[i].Close()
		}
		if out[i] != nil {
			out[i].Close()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.proc.Wait()
			s.exited.Store(true)
			if err == nil {
				p.gate.done(id)
				return
			}
			s.status = childStatus(s.proc.ProcessState)
			p.gate.failChild(id, stages.Named(s.name, errors.New(s.status)), s.proc.ProcessState)
		}()
	}
	// Segments of in-process stages.
	for i := 0; i < n; {
		if !p.stages[i].inProcess() {
			i++
			continue
		}
		j := i
		for j+1 < n && p.stages[j+1].inProcess() {
			j++
		}
		p.startSegment(wg, i, j, in[i], out[j])
		i = j + 1
	}
	return nil
}

func childStatus(ps *os.ProcessState) string {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return "killed by " + cli.SignalName(ws.Signal())
	}
	return fmt.Sprintf("exited with status %d", ps.ExitCode())
}

// startSegment runs stages i..j (all in-process) as one chain.
func (p *pipeline) startSegment(wg *sync.WaitGroup, i, j int, in, out *os.File) {
	first, last := p.stages[i], p.stages[j]
	part := p.gate.add()
	var outOnce sync.Once
	finish := func() {
		outOnce.Do(func() {
			if out != nil {
				out.Close() // the next child sees the end of its input
			}
		})
	}
	arrive := func() error {
		finish()
		p.gate.done(part)
		return p.gate.wait()
	}
	c := stages.Chain{SourceName: first.name, SinkName: last.name}
	switch {
	case first.st.Source != nil:
		c.Source = first.st.Source
	case in != nil:
		c.Source = in
	default:
		c.Source = p.stdin
	}
	switch {
	case last.st.Sink != nil:
		c.Sink = gateSink(last.st.Sink, p.gate, arrive)
	case out != nil:
		c.Sink = stages.StdoutSink(out)
	default:
		c.Sink = stages.StdoutSink(p.stdout)
	}
	for k := i; k <= j; k++ {
		if f := p.stages[k].st.Filter; f != nil {
			g := gateWriter(f, p.gate, arrive)
			g.Name = p.stages[k].name
			// The segment's Run ends before the pipeline's decision when
			// children or other segments follow: the pipeline tells the
			// outcome itself (conclude).
			g, deliver := stages.HoldOutcome(g)
			p.delivers = append(p.delivers, deliver)
			c.Filters = append(c.Filters, g)
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, err := stages.Run(p.ctx, c)
		finish()
		if err != nil {
			for k := i; k <= j; k++ {
				p.stages[k].status = "stopped"
			}
			var se *stages.Error
			if errors.As(err, &se) {
				for k := i; k <= j; k++ {
					if p.stages[k].name == se.Stage {
						p.stages[k].status = "failed: " + cli.Message(se.Err)
					}
				}
			}
			p.gate.fail(part, err)
			return
		}
		p.gate.done(part)
	}()
}
