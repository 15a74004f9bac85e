// Package frate defines the frate tool: its flags, its help, and how its
// rate-limiting stage is built from its words.
package frate

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/internal/zerocopy"
	"github.com/fpipe/fpipe/stages"
	"github.com/fpipe/fpipe/stages/throttle"
	"github.com/spf13/pflag"
)

// Tool is frate's definition.
var Tool = &cli.Tool{
	Name:    "frate",
	Usage:   "[RATE]",
	Summary: "Copy standard input to standard output at no more than RATE bytes per second.",
	Details: `RATE is a SIZE per second, with or without "/s": 50MiB, 10M, 1.5G, 800K,
20MB/s; at least 1. Give it as the operand, with --rate, or in --rate-file.

The limit holds as a reader downstream sees it: N bytes take N/RATE seconds
(the first burst waits too), and no write is larger than half the burst. Idle
time saves up one burst at most. Time lost to a busy machine or a pause
(SIGSTOP of frate or of its reader) is made up, one second of it at most, no
more than 5% above the rate: never a flood.

With --rate-file, SIGHUP or SIGUSR1 makes frate read FILE again and use its
rate at once, even in the middle of a long wait; a FILE that cannot be read or
holds no valid rate is reported and the old rate kept. FILE holds one RATE;
empty lines and lines starting with # are skipped. FILE is a regular file or
a FIFO; a FIFO is read for one second at most.`,
	Define: define,
}

// rateValue is a pflag.Value for a RATE flag.
type rateValue struct {
	v     int64
	given bool
}

func (r *rateValue) String() string {
	if r == nil || !r.given {
		return ""
	}
	return cli.FormatSize(r.v)
}

func (r *rateValue) Set(s string) error {
	v, err := ParseRate(s)
	if err != nil {
		return err
	}
	r.v, r.given = v, true
	return nil
}

func (r *rateValue) Type() string { return "RATE" }

// ParseRate reads a rate in bytes per second: a SIZE (cli.ParseSize), with
// an optional "/s", at least 1.
func ParseRate(s string) (int64, error) {
	t := strings.TrimSpace(s)
	t = strings.TrimSuffix(t, "/s")
	v, err := cli.ParseSize(t)
	if err != nil {
		return 0, err
	}
	if v < 1 {
		return 0, errors.New("the rate must be at least 1 byte per second")
	}
	return v, nil
}

// maxRateFile is the most frate reads of a rate file.
const maxRateFile = 4096

// maxRateLine is the longest line that frate reads as a rate (and quotes
// in a message).
const maxRateLine = 64

// rateFileWait is how long frate waits for a FIFO rate file to be written
// and closed; without a writer it reads an empty file at once.
const rateFileWait = time.Second

// errNotRateFile is the error for a rate file that is neither a regular
// file nor a FIFO (a device, a folder, a socket).
var errNotRateFile = errors.New("not a regular file or FIFO")

// ReadRateFile reads the rate in the file at path: the first line that is
// neither empty nor a # comment. It never waits long: the file is opened
// without blocking (a FIFO without a writer reads as empty), a FIFO is read
// for at most rateFileWait, anything but a regular file or a FIFO is
// refused, and at most maxRateFile bytes are read.
func ReadRateFile(path string) (int64, error) {
	f, err := openRateFile(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, maxRateFile))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if len(line) > maxRateLine {
			return 0, fmt.Errorf("%s: a line of %d bytes or more: not a rate", path, len(line))
		}
		v, err := ParseRate(line)
		if err != nil {
			return 0, fmt.Errorf("%s: invalid rate %q: %w", path, line, err)
		}
		return v, nil
	}
	if err := sc.Err(); err != nil {
		err = unwrapPath(err)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			err = fmt.Errorf("a FIFO with no rate written to it within %v", rateFileWait)
		}
		return 0, &os.PathError{Op: "read", Path: path, Err: err}
	}
	return 0, fmt.Errorf("%s: no rate in the file", path)
}

// openRateFile opens path for ReadRateFile.
func openRateFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	switch {
	case err != nil:
	case st.Mode().IsRegular():
		return f, nil
	case st.Mode().Type() == fs.ModeNamedPipe:
		if err = f.SetReadDeadline(time.Now().Add(rateFileWait)); err == nil {
			return f, nil
		}
	default:
		err = &os.PathError{Op: "open", Path: path, Err: errNotRateFile}
	}
	f.Close()
	return nil, err
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func define(fs *pflag.FlagSet) cli.Build {
	var rateFlag rateValue
	fs.VarP(&rateFlag, "rate", "r", "bytes per second, as the RATE operand")
	var burst cli.Size
	fs.Var(&burst, "burst", "most bytes sent at once (default: a tenth of a second of the rate, at most 64KiB)")
	rateFile := fs.String("rate-file", "", "read the rate from `FILE`, at the start and again on each SIGHUP or SIGUSR1")
	return func(args []string, env *cli.Env) (*cli.Stage, error) {
		rate, given := rateFlag.v, rateFlag.given
		switch {
		case len(args) > 1:
			return nil, cli.Usagef("expected one RATE, got %d operands", len(args))
		case len(args) == 1 && given:
			return nil, cli.Usagef("give the rate once: as the operand or with --rate")
		case len(args) == 1:
			v, err := ParseRate(args[0])
			if err != nil {
				return nil, cli.Usagef("invalid rate %q: %v", args[0], err)
			}
			rate, given = v, true
		}
		if !given && *rateFile == "" {
			return nil, cli.Usagef("missing RATE (bytes per second, like 50MiB)")
		}
		if !given {
			v, err := ReadRateFile(*rateFile)
			if err != nil {
				var pe *os.PathError
				if errors.As(err, &pe) {
					return nil, err // cannot read it: a runtime failure
				}
				return nil, cli.Usagef("%v", err)
			}
			rate = v
		}
		var opts []throttle.Option
		if burst.Given {
			if burst.V < 1 {
				return nil, cli.Usagef("invalid argument %q for \"--burst\" flag: the burst must be at least 1 byte", cli.FormatSize(burst.V))
			}
			opts = append(opts, throttle.Burst(burst.V))
		}
		if err := throttle.Check(rate, opts...); err != nil {
			return nil, cli.Usagef("%v", err)
		}
		if env.Ctx != nil {
			opts = append(opts, throttle.Context(env.Ctx))
		}
		opts = append(opts, throttle.BufferSize(zerocopy.PipeSize))
		ctl := &control{rate: rate, opts: opts}
		st := &cli.Stage{Filter: &stages.Filter{Writer: func(dst io.Writer) (io.WriteCloser, error) {
			return ctl.newWriter(dst)
		}}}
		if *rateFile != "" {
			st.Close = ctl.watch(*rateFile, env)
			st.Handles = ReloadSignals
		}
		return st, nil
	}
}

// control holds the rate a reload signal last read and the writer it applies to.
type control struct {
	mu   sync.Mutex
	rate int64
	opts []throttle.Option
	w    *throttle.Writer
}

func (c *control) newWriter(dst io.Writer) (io.WriteCloser, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	w, err := throttle.NewWriter(dst, c.rate, c.opts...)
	if err != nil {
		return nil, err
	}
	c.w = w
	return w, nil
}

func (c *control) setRate(rate int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := throttle.Check(rate, c.opts...); err != nil {
		return err
	}
	if c.w != nil {
		if err := c.w.SetRate(rate); err != nil {
			return err
		}
	}
	c.rate = rate
	return nil
}

// ReloadSignals make frate --rate-file read its file again. With
// --rate-file frate handles them itself, so the shared command-line code
// does not stop it on SIGHUP; under fpipe, where SIGHUP stops the whole
// pipeline, use SIGUSR1.
var ReloadSignals = []os.Signal{syscall.SIGHUP, syscall.SIGUSR1}

// watch re-reads path on each reload signal until the returned stop is called.
// A problem is reported on stderr and does not change the exit status: the
// stream goes on at the old rate.
func (c *control) watch(path string, env *cli.Env) (stop func() error) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, ReloadSignals...)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-ch:
				rate, err := ReadRateFile(path)
				if err == nil {
					err = c.setRate(rate)
				}
				if err != nil {
					c.mu.Lock()
					old := c.rate
					c.mu.Unlock()
					fmt.Fprintf(env.Stderr, "%s: %s; keeping %s/s\n", env.Tool, cli.Message(err), cli.FormatSize(old))
				}
			case <-done:
				return
			}
		}
	}()
	var once sync.Once
	return func() error {
		once.Do(func() {
			signal.Stop(ch)
			close(done)
			<-finished
		})
		return nil
	}
}
