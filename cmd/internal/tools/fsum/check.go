package fsum

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"runtime/debug"

	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/internal/term"
	"github.com/fpipe/fpipe/stages/sum"
)

// buildCheck is fsum --check SUMFILE...: sha256sum -c.
func (f *flags) buildCheck(args []string, env *cli.Env, algos []sum.Algorithm, explicit bool) (*cli.Stage, error) {
	switch {
	case f.tag:
		return nil, cli.Usagef("the --tag option is meaningless when verifying checksums")
	case f.zero:
		return nil, cli.Usagef("the --zero option is not supported when verifying checksums")
	case f.binary || f.text:
		return nil, cli.Usagef("the --binary and --text options are meaningless when verifying checksums")
	case len(algos) > 1:
		return nil, cli.Usagef("--check takes at most one --algo (tagged lines name their own)")
	}
	for _, fl := range []string{"out", "name", "verify", "no-sync"} {
		if f.given(fl) {
			return nil, cli.Usagef("--%s does not apply to --check", fl)
		}
	}
	if len(args) == 0 {
		args = []string{"-"}
	}
	op, err := f.opener(env)
	if err != nil {
		return nil, err
	}
	c := &checker{
		flags: f, env: env, op: op, def: algos[0], explicit: explicit,
		tty: term.IsTerminal(env.Stdout), buf: make([]byte, bufSize), sumFiles: args,
	}
	return &cli.Stage{Job: c.run, Close: op.close}, nil
}

type checker struct {
	*flags
	env      *cli.Env
	op       *opener
	def      sum.Algorithm
	explicit bool
	tty      bool
	buf      []byte
	line     []byte
	failed   bool
	hashes   map[sum.Algorithm]hash.Hash // one per algorithm, reset per file
	digested []byte
	sumFiles []string
}

// checkGCPercent is the garbage collector's target while fsum --check
// runs. Each checked line leaves some garbage (the open file or the open
// error); at the default (100), the heap grows to 4 MiB between two
// collections and fsum's peak RSS to 10 MiB on a long sum file. At 25 it
// stays under the 8 MiB of a plain tool, at no cost that can be measured
// (200,000 lines of missing files: 0.65 s either way). --check is a job of
// the fsum binary alone (fpipe does not run it), so the setting is its own.
const checkGCPercent = 25

func (c *checker) run(ctx context.Context) error {
	defer debug.SetGCPercent(debug.SetGCPercent(checkGCPercent))
	for _, name := range c.sumFiles {
		if err := c.checkFile(ctx, name); err != nil {
			return err
		}
	}
	if c.failed {
		return cli.ErrReported
	}
	return nil
}

// warn prints "fsum: msg" without marking the run as failed.
func (c *checker) warn(format string, a ...any) {
	fmt.Fprintf(c.env.Stderr, "%s: %s\n", c.env.Tool, fmt.Sprintf(format, a...))
}

func (c *checker) print(name, result string) error {
	c.line = append(c.line[:0], checkName(name, c.tty)...)
	c.line = append(c.line, ": "...)
	c.line = append(c.line, result...)
	c.line = append(c.line, '\n')
	_, err := c.env.Stdout.Write(c.line)
	if err != nil {
		return &fs.PathError{Op: "write", Path: "/dev/stdout", Err: unwrapPath(err)}
	}
	return nil
}

// checkFile checks one sum file. It returns only errors that end the run
// (writing standard output, cancellation); the rest is counted and printed.
func (c *checker) checkFile(ctx context.Context, sumFile string) error {
	var r io.Reader
	display := sumFile
	isStdin := sumFile == "-"
	if isStdin {
		r, display = c.env.Stdin, "standard input"
	} else {
		fh, err := os.Open(sumFile)
		if err != nil {
			c.warn("%s", pathErr(sumFile, err))
			c.failed = true
			return nil
		}
		defer fh.Close()
		r = fh
	}
	sc := sum.NewScanner(r, sum.NewParser(c.def, c.explicit))
	var formatted, misformatted, unreadable, mismatched, matched int
	var b3 blake3Hint
	for {
		l, err := sc.NextRaw()
		if err == io.EOF {
			break
		}
		if err == nil && isStdin && string(l.Name) == "-" {
			err = sum.ErrMalformed
		}
		if errors.Is(err, sum.ErrMalformed) {
			misformatted++
			switch {
			case c.flags.warn && errors.Is(err, sum.ErrLongLine):
				c.warn("%s: %d: line longer than %d bytes: improperly formatted", quote(display), sc.Line(), sum.MaxLineLength)
			case c.flags.warn:
				c.warn("%s: %d: improperly formatted %s checksum line", quote(display), sc.Line(), c.def.Tag())
			}
			continue
		}
		if err != nil {
			c.warn("%s", pathErr(display, err))
			c.failed = true
			return nil
		}
		formatted++
		if err := ctx.Err(); err != nil {
			return err
		}
		name := string(l.Name)
		rd, closeFile, err := c.op.open(name, true)
		var got []byte
		if err == nil {
			got, err = c.digest(ctx, rd, l.Algorithm)
			closeFile()
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
		switch {
		case err != nil && c.ignoreMissing && errors.Is(err, fs.ErrNotExist):
			continue
		case errors.Is(err, errNotRegular):
			unreadable++
			if !c.status {
				if err := c.print(name, "FAILED not a regular file"); err != nil {
					return err
				}
			}
		case err != nil:
			unreadable++
			c.warn("%s", pathErr(name, err))
			if !c.status {
				if err := c.print(name, "FAILED open or read"); err != nil {
					return err
				}
			}
		case !bytes.Equal(got, l.Digest):
			mismatched++
			b3.count(c.explicit, l, false)
			if !c.status {
				if err := c.print(name, "FAILED"); err != nil {
					return err
				}
			}
		default:
			matched++
			b3.count(c.explicit, l, true)
			if !c.status && !c.quiet {
				if err := c.print(name, "OK"); err != nil {
					return err
				}
			}
		}
	}
	if formatted == 0 {
		c.warn("%s: no properly formatted checksum lines found", quote(display))
		c.failed = true
		return nil
	}
	if !c.status {
		if misformatted > 0 {
			c.warn("WARNING: %s", plural(misformatted, "line is", "lines are", "improperly formatted"))
		}
		if unreadable > 0 {
			c.warn("WARNING: %s", plural(unreadable, "listed file", "listed files", "could not be read"))
		}
		if mismatched > 0 {
			c.warn("WARNING: %s", plural(mismatched, "computed checksum", "computed checksums", "did NOT match"))
		}
		if b3.show() {
			c.warn("WARNING: %s: no 64-digit sum matched as SHA256; if they are BLAKE3 sums (b3sum), pass -a blake3", quote(display))
		}
		if c.ignoreMissing && matched+mismatched == 0 {
			c.warn("%s: no file was verified", quote(display))
		}
	}
	if matched == 0 || mismatched > 0 || unreadable > 0 || (c.strict && misformatted > 0) {
		c.failed = true
	}
	return nil
}

// blake3Hint counts, in one sum file, the untagged 64-digit lines checked
// as SHA256 because no --algo was given: SHA256 and BLAKE3 digests have
// the same length, and b3sum writes lines that look like sha256sum's.
type blake3Hint struct{ failed, matched int }

func (h *blake3Hint) count(explicit bool, l sum.RawLine, ok bool) {
	if explicit || l.Tagged || l.Algorithm != sum.SHA256 {
		return
	}
	if ok {
		h.matched++
	} else {
		h.failed++
	}
}

// show reports whether to suggest -a blake3: some lines failed and none
// matched (one matching line shows that the file holds SHA256 sums, and
// the rest changed files).
func (h *blake3Hint) show() bool { return h.failed > 0 && h.matched == 0 }

// digest hashes r to its end with a, checking ctx between reads. The
// result is valid until the next call.
func (c *checker) digest(ctx context.Context, r io.Reader, a sum.Algorithm) ([]byte, error) {
	h := c.hashes[a]
	if h == nil {
		if c.hashes == nil {
			c.hashes = map[sum.Algorithm]hash.Hash{}
		}
		h = a.New()
		c.hashes[a] = h
	}
	h.Reset()
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, err := r.Read(c.buf)
		h.Write(c.buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	c.digested = h.Sum(c.digested[:0])
	return c.digested, nil
}

func plural(n int, one, many, rest string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s %s", n, one, rest)
	}
	return fmt.Sprintf("%d %s %s", n, many, rest)
}
