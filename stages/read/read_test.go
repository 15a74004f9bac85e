package read_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/iotest"
	"time"

	"github.com/fpipe/fpipe/internal/stagetest"
	"github.com/fpipe/fpipe/stages/read"
)

// readerFrom is an io.ReaderFrom that is not a file; it records whether
// ReadFrom was used.
type readerFrom struct {
	buf   bytes.Buffer
	calls int
}

func (w *readerFrom) Write(p []byte) (int, error) { return w.buf.Write(p) }
func (w *readerFrom) ReadFrom(r io.Reader) (int64, error) {
	w.calls++
	return io.Copy(stagetest.OnlyWriter(&w.buf), stagetest.OnlyReader(r))
}

// pattern returns n bytes in which every 8-byte group differs from its
// neighbours, tagged with seed so that files differ from each other.
func pattern(seed byte, n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i>>3) ^ byte(i*7) ^ seed
	}
	return p
}

// files writes each content to its own file in a new folder and returns the
// names.
func files(t *testing.T, contents ...[]byte) []string {
	t.Helper()
	dir := t.TempDir()
	names := make([]string, len(contents))
	for i, c := range contents {
		names[i] = filepath.Join(dir, fmt.Sprintf("f%d", i))
		if err := os.WriteFile(names[i], c, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return names
}

func newReader(t *testing.T, names []string, opts ...read.Option) *read.Reader {
	t.Helper()
	r, err := read.NewReader(names, opts...)
	if err != nil {
		t.Fatalf("NewReader(%q) = %v", names, err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// window is what Offset and Length leave of all.
func window(all []byte, offset, length int64) []byte {
	if offset >= int64(len(all)) {
		return nil
	}
	all = all[offset:]
	if length >= 0 && length < int64(len(all)) {
		all = all[:length]
	}
	return all
}

// drains are the ways a Reader is read in the chunking tests; each returns
// what it read and the final error (nil for a clean end). slow ones do one
// system call per byte and get small inputs only.
var drains = []struct {
	name string
	slow bool
	do   func(t *testing.T, r *read.Reader) ([]byte, error)
}{
	{"Read", false, func(t *testing.T, r *read.Reader) ([]byte, error) {
		return io.ReadAll(stagetest.OnlyReader(r))
	}},
	{"OneByteReader", true, func(t *testing.T, r *read.Reader) ([]byte, error) {
		return io.ReadAll(iotest.OneByteReader(r))
	}},
	{"HalfReader", false, func(t *testing.T, r *read.Reader) ([]byte, error) {
		return io.ReadAll(iotest.HalfReader(r))
	}},
	{"DataErrReader", false, func(t *testing.T, r *read.Reader) ([]byte, error) {
		return io.ReadAll(iotest.DataErrReader(r))
	}},
	{"CopyBuffer/1", true, func(t *testing.T, r *read.Reader) ([]byte, error) {
		var b bytes.Buffer
		_, err := io.CopyBuffer(stagetest.OnlyWriter(&b), stagetest.OnlyReader(r), make([]byte, 1))
		return b.Bytes(), err
	}},
	{"CopyBuffer/4093", false, func(t *testing.T, r *read.Reader) ([]byte, error) {
		var b bytes.Buffer
		_, err := io.CopyBuffer(stagetest.OnlyWriter(&b), stagetest.OnlyReader(r), make([]byte, 4093))
		return b.Bytes(), err
	}},
	{"WriteTo/bytes.Buffer", false, func(t *testing.T, r *read.Reader) ([]byte, error) {
		var b bytes.Buffer
		n, err := r.WriteTo(&b)
		if n != int64(b.Len()) {
			t.Errorf("WriteTo(bytes.Buffer) = %d, but %d bytes arrived", n, b.Len())
		}
		return b.Bytes(), err
	}},
	{"WriteTo/Writer", false, func(t *testing.T, r *read.Reader) ([]byte, error) {
		var b bytes.Buffer
		n, err := r.WriteTo(stagetest.OnlyWriter(&b))
		if n != int64(b.Len()) {
			t.Errorf("WriteTo(Writer) = %d, but %d bytes arrived", n, b.Len())
		}
		return b.Bytes(), err
	}},
	{"WriteTo/ReaderFrom", false, func(t *testing.T, r *read.Reader) ([]byte, error) {
		var w readerFrom
		n, err := r.WriteTo(&w)
		if n != int64(w.buf.Len()) {
			t.Errorf("WriteTo(ReaderFrom) = %d, but %d bytes arrived", n, w.buf.Len())
		}
		if n > 0 && w.calls == 0 {
			t.Errorf("WriteTo(ReaderFrom) of files never called ReadFrom, want the file handed over")
		}
		return w.buf.Bytes(), err
	}},
	{"WriteTo/file", false, func(t *testing.T, r *read.Reader) ([]byte, error) {
		name := filepath.Join(t.TempDir(), "out")
		f, err := os.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		n, err := r.WriteTo(f)
		got, rerr := os.ReadFile(name)
		if rerr != nil {
			t.Fatal(rerr)
		}
		if n != int64(len(got)) {
			t.Errorf("WriteTo(file) = %d, but the file has %d bytes", n, len(got))
		}
		return got, err
	}},
	{"WriteTo/file after a header", false, func(t *testing.T, r *read.Reader) ([]byte, error) {
		name := filepath.Join(t.TempDir(), "out")
		f, err := os.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		f.WriteString("HEADER")
		_, err = r.WriteTo(f)
		got, rerr := os.ReadFile(name)
		if rerr != nil {
			t.Fatal(rerr)
		}
		if !bytes.HasPrefix(got, []byte("HEADER")) {
			t.Fatalf("WriteTo(file) overwrote what was in the file before: %.10q", got)
		}
		return got[len("HEADER"):], err
	}},
	{"WriteTo/append file", false, func(t *testing.T, r *read.Reader) ([]byte, error) {
		name := filepath.Join(t.TempDir(), "out")
		os.WriteFile(name, []byte("OLD"), 0o644)
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		_, err = r.WriteTo(f)
		got, _ := os.ReadFile(name)
		if !bytes.HasPrefix(got, []byte("OLD")) {
			t.Fatalf("WriteTo(append file) overwrote what was in the file before: %.10q", got)
		}
		return got[len("OLD"):], err
	}},
	{"WriteTo/os.Pipe", false, func(t *testing.T, r *read.Reader) ([]byte, error) {
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		out := stagetest.Drain(pr)
		n, err := r.WriteTo(pw)
		pw.Close()
		got := <-out
		if n != int64(len(got)) {
			t.Errorf("WriteTo(pipe) = %d, but %d bytes arrived", n, len(got))
		}
		return got, err
	}},
	{"WriteTo/blocking pipe", false, func(t *testing.T, r *read.Reader) ([]byte, error) {
		pr, pw := stagetest.BlockingPipe(t)
		out := stagetest.Drain(pr)
		n, err := r.WriteTo(pw)
		pw.Close()
		got := <-out
		if n != int64(len(got)) {
			t.Errorf("WriteTo(pipe) = %d, but %d bytes arrived", n, len(got))
		}
		return got, err
	}},
	{"Read then WriteTo", false, func(t *testing.T, r *read.Reader) ([]byte, error) {
		head := make([]byte, 3)
		n, err := io.ReadFull(r, head)
		if err != nil {
			return head[:n], nil // the stream is shorter than 3 bytes
		}
		var b bytes.Buffer
		_, err = r.WriteTo(&b)
		return append(head, b.Bytes()...), err
	}},
}

// TestConcat checks that every way of reading a Reader gives the same
// bytes: its inputs one after another, cut by Offset and Length.
func TestConcat(t *testing.T) {
	t.Parallel()
	small := [][]byte{pattern(1, 1000), {}, pattern(2, 9000), pattern(3, 1)}
	large := [][]byte{pattern(4, 100<<10), pattern(5, 1<<20+3), pattern(6, 5)}
	smallNames := files(t, small...)
	largeNames := files(t, large...)
	smallAll := bytes.Join(small, nil)
	largeAll := bytes.Join(large, nil)

	tests := []struct {
		name           string
		large          bool
		offset, length int64 // -1: option not given
		noCache        bool
		buffer         int // 0: default
	}{
		{"whole", false, -1, -1, false, 0},
		{"offset 0", false, 0, -1, false, 0},
		{"offset in the first file", false, 10, -1, false, 0},
		{"offset at the end of the first file", false, 1000, -1, false, 0},
		{"offset inside the second non-empty file", false, 1500, -1, false, 0},
		{"offset at the last byte", false, int64(len(smallAll)) - 1, -1, false, 0},
		{"offset at the end", false, int64(len(smallAll)), -1, false, 0},
		{"offset past the end", false, 1 << 40, -1, false, 0},
		{"length 0", false, -1, 0, false, 0},
		{"length 1", false, -1, 1, false, 0},
		{"length within the first file", false, -1, 999, false, 0},
		{"length across files", false, 900, 2000, false, 0},
		{"offset and length in the third file", false, 1100, 2500, false, 0},
		{"length past the end", false, -1, 1 << 40, false, 0},
		{"odd buffer", false, 3, -1, false, 7},
		{"nocache", false, -1, -1, true, 0},
		{"large whole", true, -1, -1, false, 0},
		{"large offset in the second file", true, 200 << 10, -1, false, 0},
		{"large length across files", true, 100_001, 1<<20 + 17, false, 0}, // > one splice
		{"large length across files nocache", true, 100_001, 1<<20 + 17, true, 4093},
		{"large length 0", true, 5, 0, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			names, all := smallNames, smallAll
			if tt.large {
				names, all = largeNames, largeAll
			}
			want := window(all, max(tt.offset, 0), tt.length)
			for _, d := range drains {
				if d.slow && len(want) > 4000 {
					continue
				}
				t.Run(d.name, func(t *testing.T) {
					var opts []read.Option
					if tt.offset >= 0 {
						opts = append(opts, read.Offset(tt.offset))
					}
					if tt.length >= 0 {
						opts = append(opts, read.Length(tt.length))
					}
					if tt.noCache {
						opts = append(opts, read.NoCache())
					}
					if tt.buffer > 0 {
						opts = append(opts, read.Buffer(tt.buffer))
					}
					r := newReader(t, names, opts...)
					got, err := d.do(t, r)
					if err != nil {
						t.Errorf("%s: error %v, want nil", d.name, err)
					}
					if !bytes.Equal(got, want) {
						t.Errorf("%s: got %d bytes, want %d (first difference at %d)", d.name, len(got), len(want), firstDiff(got, want))
					}
					// The end is sticky.
					if n, err := r.Read(make([]byte, 10)); n != 0 || err != io.EOF {
						t.Errorf("Read after the end = %d, %v, want 0, EOF", n, err)
					}
					if n, err := r.WriteTo(io.Discard); n != 0 || err != nil {
						t.Errorf("WriteTo after the end = %d, %v, want 0, nil", n, err)
					}
				})
			}
		})
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestNonSeekable checks Offset and Length on inputs that cannot seek: an
// io.Reader as standard input, an os.Pipe, and a FIFO by name. The offset
// is then read and discarded.
func TestNonSeekable(t *testing.T) {
	t.Parallel()
	in := pattern(9, 200_000)
	after := files(t, []byte("after"))[0]
	tests := []struct {
		name           string
		offset, length int64
	}{
		{"whole", 0, -1},
		{"offset", 12345, -1},
		{"offset and length", 12345, 100_000},
		{"offset to the end", int64(len(in)), -1},
		{"offset past the end", int64(len(in)) + 3, -1},
		{"length 0", 7, 0},
	}
	type source struct {
		name string
		open func(t *testing.T) (names []string, opts []read.Option)
	}
	feed := func(t *testing.T, w *os.File) {
		go func() {
			w.Write(in)
			w.Close()
		}()
	}
	sources := []source{
		{"io.Reader", func(t *testing.T) ([]string, []read.Option) {
			return []string{"-", after}, []read.Option{read.Input(stagetest.OnlyReader(bytes.NewReader(in)))}
		}},
		{"os.Pipe", func(t *testing.T) ([]string, []read.Option) {
			pr, pw, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { pr.Close() })
			feed(t, pw)
			return []string{"-", after}, []read.Option{read.Input(pr)}
		}},
		{"blocking pipe", func(t *testing.T) ([]string, []read.Option) {
			pr, pw := stagetest.BlockingPipe(t)
			t.Cleanup(func() { pr.Close() })
			feed(t, pw)
			return []string{"-", after}, []read.Option{read.Input(pr)}
		}},
		{"FIFO", func(t *testing.T) ([]string, []read.Option) {
			name := filepath.Join(t.TempDir(), "fifo")
			if err := syscall.Mkfifo(name, 0o600); err != nil {
				t.Skip("mkfifo:", err)
			}
			go func() {
				w, err := os.OpenFile(name, os.O_WRONLY, 0)
				if err != nil {
					return
				}
				w.Write(in)
				w.Close()
			}()
			return []string{name, after}, nil
		}},
	}
	for _, tt := range tests {
		want := window(append(append([]byte{}, in...), "after"...), tt.offset, tt.length)
		for _, src := range sources {
			for _, how := range []string{"Read", "WriteTo/bytes.Buffer", "WriteTo/file", "WriteTo/os.Pipe"} {
				t.Run(tt.name+"/"+src.name+"/"+how, func(t *testing.T) {
					t.Parallel()
					names, opts := src.open(t)
					opts = append(opts, read.Offset(tt.offset))
					if tt.length >= 0 {
						opts = append(opts, read.Length(tt.length))
					}
					r := newReader(t, names, opts...)
					var d func(*testing.T, *read.Reader) ([]byte, error)
					for _, dd := range drains {
						if dd.name == how {
							d = dd.do
						}
					}
					got, err := d(t, r)
					if err != nil || !bytes.Equal(got, want) {
						t.Errorf("%s: %d bytes, %v, want %d bytes, nil (first difference at %d)", how, len(got), err, len(want), firstDiff(got, want))
					}
				})
			}
		}
	}
}

// TestSeekableStdin checks that a regular file as standard input is read
// from where its offset stands, and that Offset seeks from there.
func TestSeekableStdin(t *testing.T) {
	t.Parallel()
	data := pattern(3, 10_000)
	name := files(t, data)[0]
	for _, how := range []string{"Read", "WriteTo/file", "WriteTo/os.Pipe"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			f, err := os.Open(name)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			f.Seek(100, io.SeekStart) // what a shell's earlier command consumed
			r := newReader(t, nil, read.Input(f), read.Offset(50), read.Length(1000))
			var got []byte
			for _, d := range drains {
				if d.name == how {
					got, err = d.do(t, r)
				}
			}
			if want := data[150:1150]; err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s: %d bytes, %v, want data[150:1150], nil", how, len(got), err)
			}
			// Standard input is not closed by the Reader.
			if _, err := f.Seek(0, io.SeekCurrent); err != nil {
				t.Errorf("stdin after the stream: Seek = %v, want it still open", err)
			}
		})
	}
}

// readWays are the two ways a stream ends: Read until an error, and WriteTo.
var readWays = []struct {
	name string
	do   func(r *read.Reader) ([]byte, error)
}{
	{"Read", func(r *read.Reader) ([]byte, error) {
		var b bytes.Buffer
		buf := make([]byte, 1000)
		for {
			n, err := r.Read(buf)
			b.Write(buf[:n])
			if err == io.EOF {
				return b.Bytes(), nil
			}
			if err != nil {
				return b.Bytes(), err
			}
		}
	}},
	{"WriteTo", func(r *read.Reader) ([]byte, error) {
		var b bytes.Buffer
		_, err := r.WriteTo(&b)
		return b.Bytes(), err
	}},
	{"WriteTo/Writer", func(r *read.Reader) ([]byte, error) {
		var b bytes.Buffer
		_, err := r.WriteTo(stagetest.OnlyWriter(&b))
		return b.Bytes(), err
	}},
	{"WriteTo/file", func(r *read.Reader) ([]byte, error) {
		f, err := os.CreateTemp("", "read-test-")
		if err != nil {
			panic(err)
		}
		defer os.Remove(f.Name())
		defer f.Close()
		_, err = r.WriteTo(f)
		got, _ := os.ReadFile(f.Name())
		return got, err
	}},
}

// TestErrors checks inputs that cannot be read, with and without Report.
func TestErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := filepath.Join(dir, "a")
	c := filepath.Join(dir, "c")
	out := filepath.Join(dir, "out")
	os.WriteFile(a, []byte("alpha\n"), 0o644)
	os.WriteFile(c, []byte("charlie\n"), 0o644)
	os.WriteFile(out, []byte("output\n"), 0o644)
	link := filepath.Join(dir, "hardlink-to-out")
	if err := os.Link(out, link); err != nil {
		t.Fatal(err)
	}
	nope := filepath.Join(dir, "nope")
	nope2 := filepath.Join(dir, "nope2")
	outInfo, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("device on fire")

	tests := []struct {
		name    string
		names   []string
		opts    func() []read.Option // fresh for each run: an Input is consumed
		want    string               // the output
		reports []string             // the errors reported, with Report
		wantErr string               // the final error without Report
	}{
		{"missing file in the middle", []string{a, nope, c}, nil,
			"alpha\ncharlie\n", []string{"open " + nope + ": no such file or directory"},
			"open " + nope + ": no such file or directory"},
		{"two missing files", []string{nope, a, nope2, c}, nil,
			"alpha\ncharlie\n", []string{"open " + nope + ": no such file or directory", "open " + nope2 + ": no such file or directory"},
			"open " + nope + ": no such file or directory"},
		{"directory", []string{a, dir, c}, nil,
			"alpha\ncharlie\n", []string{"read " + dir + ": is a directory"},
			"read " + dir + ": is a directory"},
		{"input is output", []string{a, out, c}, func() []read.Option { return []read.Option{read.NotSameAs(outInfo)} },
			"alpha\ncharlie\n", []string{"read " + out + ": input file is output file"},
			"read " + out + ": input file is output file"},
		{"input is a hard link to output", []string{a, link, c}, func() []read.Option { return []read.Option{read.NotSameAs(outInfo)} },
			"alpha\ncharlie\n", []string{"read " + link + ": input file is output file"},
			"read " + link + ": input file is output file"},
		{"no standard input", []string{a, "-", c}, nil,
			"alpha\ncharlie\n", []string{"stdin: no standard input"},
			"stdin: no standard input"},
		{"stdin fails halfway", []string{a, "-", c},
			func() []read.Option {
				return []read.Option{read.Input(io.MultiReader(strings.NewReader("std"), iotest.ErrReader(boom)))}
			},
			"alpha\nstdcharlie\n", []string{"read stdin: device on fire"},
			"read stdin: device on fire"},
	}
	for _, tt := range tests {
		for _, way := range readWays {
			t.Run(tt.name+"/"+way.name+"/Report", func(t *testing.T) {
				t.Parallel()
				var mu sync.Mutex
				var reports []string
				opts := append([]read.Option{read.Report(func(err error) {
					mu.Lock()
					defer mu.Unlock()
					reports = append(reports, err.Error())
				})}, options(tt.opts)...)
				r := newReader(t, tt.names, opts...)
				got, err := way.do(r)
				if string(got) != tt.want {
					t.Errorf("output %q, want %q", got, tt.want)
				}
				if strings.Join(reports, "\n") != strings.Join(tt.reports, "\n") {
					t.Errorf("reported %q, want %q", reports, tt.reports)
				}
				var se *read.SkippedError
				if !errors.As(err, &se) || se.N != len(tt.reports) || !se.Reported() {
					t.Fatalf("final error %v (%T), want a *SkippedError with N = %d", err, err, len(tt.reports))
				}
				want := fmt.Sprintf("%d inputs could not be read", len(tt.reports))
				if len(tt.reports) == 1 {
					want = "1 input could not be read"
				}
				if err.Error() != want {
					t.Errorf("final error %q, want %q", err, want)
				}
				// The end is sticky.
				if n, err2 := r.Read(make([]byte, 1)); n != 0 || err2 != err {
					t.Errorf("Read after the end = %d, %v, want 0, %v", n, err2, err)
				}
			})
			t.Run(tt.name+"/"+way.name, func(t *testing.T) {
				t.Parallel()
				r := newReader(t, tt.names, options(tt.opts)...)
				got, err := way.do(r)
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("final error %v, want %q", err, tt.wantErr)
				}
				if !strings.HasPrefix(tt.want, string(got)) || strings.Contains(string(got), "charlie") {
					t.Errorf("output %q, want a prefix of %q without what follows the error", got, tt.want)
				}
				// The error is sticky.
				if n, err2 := r.Read(make([]byte, 1)); n != 0 || err2 == nil || err2.Error() != tt.wantErr {
					t.Errorf("Read after the error = %d, %v, want 0, %q", n, err2, tt.wantErr)
				}
			})
		}
	}

	t.Run("error kinds", func(t *testing.T) {
		t.Parallel()
		r := newReader(t, []string{nope})
		_, err := r.Read(make([]byte, 1))
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("missing file: %v, want errors.Is fs.ErrNotExist", err)
		}
		r = newReader(t, []string{dir})
		_, err = r.Read(make([]byte, 1))
		var pe *fs.PathError
		if !errors.As(err, &pe) || pe.Path != dir || !errors.Is(err, syscall.EISDIR) {
			t.Errorf("directory: %#v, want an *fs.PathError naming it, with EISDIR", err)
		}
		r = newReader(t, []string{out}, read.NotSameAs(outInfo))
		_, err = r.Read(make([]byte, 1))
		if !errors.Is(err, read.ErrSameFile) {
			t.Errorf("input is output: %v, want errors.Is ErrSameFile", err)
		}
	})
}

func options(f func() []read.Option) []read.Option {
	if f == nil {
		return nil
	}
	return f()
}

func TestOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opt  read.Option
		want string
	}{
		{"negative offset", read.Offset(-1), "negative offset -1"},
		{"negative length", read.Length(-5), "negative length -5"},
		{"zero buffer", read.Buffer(0), "buffer size 0 is not positive"},
		{"negative buffer", read.Buffer(-1), "buffer size -1 is not positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := read.NewReader(nil, tt.opt)
			if r != nil || err == nil || err.Error() != tt.want {
				t.Errorf("NewReader(nil, %s) = %v, %v, want nil, %q", tt.name, r, err, tt.want)
			}
		})
	}
	// No names means standard input.
	r := newReader(t, nil, read.Input(strings.NewReader("from stdin")))
	if got, err := io.ReadAll(r); string(got) != "from stdin" || err != nil {
		t.Errorf("NewReader(nil) read %q, %v, want %q, nil", got, err, "from stdin")
	}
}

func TestIotest(t *testing.T) {
	t.Parallel()
	a, b := pattern(1, 5000), pattern(2, 3)
	names := files(t, a, b, []byte{})
	tests := []struct {
		name  string
		names []string
		opts  []read.Option
		want  []byte
	}{
		{"one file", names[:1], nil, a},
		{"three files", names, nil, append(append([]byte{}, a...), b...)},
		{"offset and length", names, []read.Option{read.Offset(4000), read.Length(1001)}, append(append([]byte{}, a[4000:]...), b[:1]...)},
		{"stdin", []string{"-", names[1]}, []read.Option{read.Input(strings.NewReader("in"))}, append([]byte("in"), b...)},
		{"empty", names[2:], nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newReader(t, tt.names, tt.opts...)
			done := make(chan error, 1)
			go func() { done <- iotest.TestReader(r, tt.want) }()
			select {
			case err := <-done:
				if err != nil {
					t.Error(err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("iotest.TestReader did not return within 10 s (Read(nil) loops?)")
			}
		})
	}
}

// blockingWriter blocks its first Write until released.
type blockingWriter struct {
	started chan struct{}
	release chan struct{}
	once    sync.Once
	n       int
}

func (w *blockingWriter) Write(p []byte) (int, error) {
	w.once.Do(func() {
		close(w.started)
		<-w.release
	})
	w.n += len(p)
	return len(p), nil
}

// openFDs counts this process's descriptors open on name.
func openFDs(t *testing.T, name string) int {
	t.Helper()
	name, err := filepath.EvalSymlinks(name)
	if err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	n := 0
	for _, e := range ents {
		if l, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && l == name {
			n++
		}
	}
	return n
}

// TestClose checks that Close from another goroutine stops the stream at
// the next chunk and that the input file is then closed.
func TestClose(t *testing.T) {
	t.Parallel()
	// Each subtest has a file of its own, for openFDs.
	data := pattern(7, 1<<20)

	t.Run("WriteTo within a chunk", func(t *testing.T) {
		t.Parallel()
		name := files(t, data)[0]
		const chunk = 4096
		r := newReader(t, []string{name}, read.Buffer(chunk))
		w := &blockingWriter{started: make(chan struct{}), release: make(chan struct{})}
		type result struct {
			n   int64
			err error
		}
		done := make(chan result, 1)
		go func() {
			n, err := r.WriteTo(stagetest.OnlyWriter(w))
			done <- result{n, err}
		}()
		<-w.started
		if err := r.Close(); err != nil {
			t.Errorf("Close() = %v, want nil", err)
		}
		close(w.release)
		res := <-done
		if res.n != chunk || !errors.Is(res.err, os.ErrClosed) {
			t.Errorf("WriteTo after Close = %d, %v, want %d (one chunk), os.ErrClosed", res.n, res.err, chunk)
		}
		if n := openFDs(t, name); n != 0 {
			t.Errorf("%d descriptors still open on the input after WriteTo returned, want 0", n)
		}
	})

	t.Run("Read", func(t *testing.T) {
		t.Parallel()
		name := files(t, data)[0]
		r := newReader(t, []string{name})
		buf := make([]byte, 100)
		if _, err := io.ReadFull(r, buf); err != nil {
			t.Fatal(err)
		}
		closed := make(chan struct{})
		go func() { r.Close(); close(closed) }()
		<-closed
		for range 2 {
			if n, err := r.Read(buf); n != 0 || !errors.Is(err, os.ErrClosed) {
				t.Errorf("Read after Close = %d, %v, want 0, os.ErrClosed", n, err)
			}
		}
		if n := openFDs(t, name); n != 0 {
			t.Fatalf("%d descriptors still open on the input after Read returned os.ErrClosed, want 0 (Read returns at its closed check without closeCur)", n)
		}
	})

	t.Run("before any read", func(t *testing.T) {
		t.Parallel()
		name := files(t, data)[0]
		r := newReader(t, []string{name})
		r.Close()
		if n, err := r.Read(make([]byte, 10)); n != 0 || !errors.Is(err, os.ErrClosed) {
			t.Errorf("Read after Close = %d, %v, want 0, os.ErrClosed", n, err)
		}
		if n, err := r.WriteTo(io.Discard); n != 0 || !errors.Is(err, os.ErrClosed) {
			t.Errorf("WriteTo after Close = %d, %v, want 0, os.ErrClosed", n, err)
		}
		if n := openFDs(t, name); n != 0 {
			t.Fatalf("%d descriptors open on the input after Close and a Read, want 0 (open() opens the next input before the closed check, and nothing closes it)", n)
		}
	})

	t.Run("standard input is not closed", func(t *testing.T) {
		t.Parallel()
		name := files(t, data)[0]
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		r := newReader(t, nil, read.Input(f), read.Buffer(4096))
		w := &blockingWriter{started: make(chan struct{}), release: make(chan struct{})}
		done := make(chan error, 1)
		go func() {
			_, err := r.WriteTo(stagetest.OnlyWriter(w))
			done <- err
		}()
		<-w.started
		r.Close()
		close(w.release)
		if err := <-done; !errors.Is(err, os.ErrClosed) {
			t.Errorf("WriteTo after Close = %v, want os.ErrClosed", err)
		}
		if _, err := f.Read(make([]byte, 1)); err != nil {
			t.Errorf("stdin after Close: Read = %v, want it still open", err)
		}
	})

	// Spliced into a blocking pipe (a shell's pipe), the copy should stop
	// too: a runner cancelling a chain closes its source and waits.
	t.Run("WriteTo blocking pipe", func(t *testing.T) {
		t.Parallel()
		big := filepath.Join(t.TempDir(), "sparse")
		f, err := os.Create(big)
		if err != nil {
			t.Fatal(err)
		}
		const size = 256 << 20
		f.Truncate(size) // a hole reads as zeros, fast
		f.Close()
		r := newReader(t, []string{big})
		pr, pw := stagetest.BlockingPipe(t)
		got := make(chan int64, 1)
		go func() {
			defer pr.Close()
			n, _ := io.CopyN(io.Discard, pr, 4<<20)
			r.Close()
			m, _ := io.Copy(io.Discard, pr)
			got <- n + m
		}()
		n, err := r.WriteTo(pw)
		pw.Close()
		moved := <-got
		if n != moved {
			t.Errorf("WriteTo = %d, but %d bytes arrived", n, moved)
		}
		if !errors.Is(err, os.ErrClosed) || n >= size {
			t.Fatalf("WriteTo into a pipe after Close = %d, %v, want < %d and os.ErrClosed: the splice loop never checks Close", n, err, size)
		}
	})
}

// TestNoCache checks that NoCache does not change what is read, through
// each fast path.
func TestNoCache(t *testing.T) {
	t.Parallel()
	data := pattern(8, 1<<20+5)
	name := files(t, data)[0]
	for _, d := range drains {
		if d.slow || !strings.HasPrefix(d.name, "WriteTo/") && d.name != "Read" {
			continue // NoCache acts on the WriteTo paths; Read is the reference
		}
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			r := newReader(t, []string{name, name}, read.NoCache(), read.Offset(1), read.Length(int64(2*len(data)-2)))
			got, err := d.do(t, r)
			want := append(append([]byte{}, data[1:]...), data[:len(data)-1]...)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s with NoCache: %d bytes, %v, want %d bytes, nil (first difference at %d)", d.name, len(got), err, len(want), firstDiff(got, want))
			}
		})
	}
}

// TestWriteError checks that an error writing the stream ends WriteTo and
// is not taken for an input's error, even with Report.
func TestWriteError(t *testing.T) {
	t.Parallel()
	names := files(t, pattern(1, 100_000), pattern(2, 100_000))
	boom := errors.New("disk on fire")
	reported := 0
	r := newReader(t, names, read.Report(func(error) { reported++ }), read.Buffer(4096))
	w := &stagetest.FailWriter{N: 10_000, Err: boom}
	n, err := r.WriteTo(w)
	if n != 10_000 || !errors.Is(err, boom) {
		t.Errorf("WriteTo(failing writer) = %d, %v, want 10000, %v", n, err, boom)
	}
	if reported != 0 {
		t.Errorf("a write error was reported %d times as an input's, want 0", reported)
	}
	if n, err2 := r.WriteTo(io.Discard); n != 0 || !errors.Is(err2, boom) {
		t.Errorf("WriteTo after a write error = %d, %v, want 0, %v (sticky)", n, err2, boom)
	}

	// /dev/full: the write error names the destination.
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full")
	}
	defer full.Close()
	r = newReader(t, names, read.Report(func(error) { reported++ }))
	_, err = r.WriteTo(full)
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Op != "write" || pe.Path != "/dev/full" || !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("WriteTo(/dev/full) = %v, want write /dev/full: no space left on device", err)
	}
	if reported != 0 {
		t.Errorf("a write error was reported %d times as an input's, want 0", reported)
	}

	// A pipe whose reader is gone: EPIPE, named after the pipe.
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	pr.Close()
	defer pw.Close()
	r = newReader(t, names)
	_, err = r.WriteTo(pw)
	if !errors.Is(err, syscall.EPIPE) || !errors.As(err, &pe) || pe.Op != "write" {
		t.Errorf("WriteTo(broken pipe) = %v, want a write error with EPIPE", err)
	}
}
