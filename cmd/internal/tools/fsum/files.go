package fsum

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"syscall"

	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/stages/sum"
)

// bufSize is the read buffer of a file being hashed.
const bufSize = 256 << 10

// errNotRegular is why --check refuses a FIFO, a device or a socket.
var errNotRegular = errors.New("not a regular file")

// opener opens the files that fsum hashes: in --root DIR when given (with
// os.Root, so nothing outside DIR is reachable), else anywhere.
type opener struct {
	root  *os.Root
	stdin io.Reader
}

func (f *flags) opener(env *cli.Env) (*opener, error) {
	o := &opener{stdin: env.Stdin}
	if f.given("root") {
		r, err := os.OpenRoot(f.root)
		if err != nil {
			return nil, err
		}
		o.root = r
	}
	return o, nil
}

func (o *opener) close() error {
	if o.root != nil {
		return o.root.Close()
	}
	return nil
}

// open opens name for reading. With safe, it does not block on a FIFO
// (O_NONBLOCK) and refuses anything but a regular file or a directory (a
// directory fails later, when read, as in sha256sum). "-" is standard input.
func (o *opener) open(name string, safe bool) (io.Reader, func() error, error) {
	if name == "-" {
		return o.stdin, func() error { return nil }, nil
	}
	flag := os.O_RDONLY
	if safe {
		flag |= syscall.O_NONBLOCK
	}
	var f *os.File
	var err error
	if o.root != nil {
		f, err = o.root.OpenFile(name, flag, 0)
	} else {
		f, err = os.OpenFile(name, flag, 0)
	}
	if err != nil {
		return nil, nil, err
	}
	if safe {
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, nil, err
		}
		if m := st.Mode(); !m.IsRegular() && !m.IsDir() {
			f.Close()
			return nil, nil, &fs.PathError{Op: "open", Path: name, Err: errNotRegular}
		}
	}
	return f, f.Close, nil
}

// hashReader hashes r to its end with each algorithm, checking ctx between
// reads.
func hashReader(ctx context.Context, r io.Reader, algos []sum.Algorithm, buf []byte) ([]sum.Sum, error) {
	w, err := sum.NewWriter(io.Discard, sum.Algorithms(algos...))
	if err != nil {
		return nil, err
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, err := r.Read(buf)
		w.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return w.Sums(), nil
}

// buildFiles is fsum FILE...: the sums of the files on standard output
// (or in --out), as sha256sum prints them.
func (f *flags) buildFiles(args []string, env *cli.Env, algos []sum.Algorithm) (*cli.Stage, error) {
	out, err := f.output(env)
	if err != nil {
		return nil, err
	}
	op, err := f.opener(env)
	if err != nil {
		if out != nil {
			out.Abort()
		}
		return nil, err
	}
	var w io.Writer = env.Stdout
	st := &cli.Stage{Close: op.close}
	if out != nil {
		w = out
		st.Undo = []func() error{out.Abort}
		st.Close = func() error { out.Abort(); return op.close() }
	}
	format := f.format()
	st.Job = func(ctx context.Context) error {
		buf := make([]byte, bufSize)
		var line []byte
		for _, name := range args {
			r, closeFile, err := op.open(name, false)
			if err != nil {
				env.Warn(pathErr(name, err))
				continue
			}
			sums, err := hashReader(ctx, r, algos, buf)
			closeFile()
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				env.Warn(pathErr(name, err))
				continue
			}
			line = line[:0]
			for _, s := range sums {
				line = format.AppendLine(line, s.Algorithm, s.Digest, name)
			}
			if _, err := w.Write(line); err != nil {
				return err
			}
		}
		if out != nil {
			if env.Warned() {
				out.Abort()
				return cli.ErrReported
			}
			return out.Commit()
		}
		return nil
	}
	return st, nil
}

// pathErr is an error about a named file, for Env.Warn: "name: why", the
// name quoted as coreutils quotes it.
func pathErr(name string, err error) error {
	return errors.New(quote(name) + ": " + cli.Message(unwrapPath(err)))
}
