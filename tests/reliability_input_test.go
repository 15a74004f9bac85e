package tests

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// writer is a tool that commits a file: fsink PATH or fsum -o PATH.
type writer struct {
	name string
	argv func(dest string) []string
}

var writers = []writer{
	{"fsink", func(d string) []string { return []string{bin("fsink"), d} }},
	{"fsum -o", func(d string) []string { return []string{bin("fsum"), "-o", d, "--name", "n"} }},
}

// runWriter runs w on dest (in dir) with input, with a timeout (a FIFO
// must not hang it).
func runWriter(t *testing.T, dir string, w writer, dest string, input []byte, extra ...string) relResult {
	t.Helper()
	argv := w.argv(dest)
	argv = append(argv[:1], append(extra, argv[1:]...)...)
	c := exec.Command(argv[0], argv[1:]...)
	c.Dir = dir
	c.Stdin = bytes.NewReader(input)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		c.Process.Kill()
		<-done
		t.Errorf("%s %s hung (killed after 10 s)", w.name, dest)
		return relResult{-1, "", "hung"}
	}
	r := relResult{exitCode(err), out.String(), errb.String()}
	relNoPanic(t, r.stderr)
	return r
}

func statOf(t *testing.T, p string) *syscall.Stat_t {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Lstat(p, &st); err != nil {
		t.Fatal(err)
	}
	return &st
}

// relDest: special destinations and modes for fsink and fsum -o.
func relDest(t *testing.T) {
	input := []byte("new content\n")
	for _, w := range writers {
		tool := strings.ReplaceAll(w.name, " ", "")
		refused := func(name, inj string, mk func(t *testing.T, dir string) string) {
			relCase(t, tool+"/"+name, w.name, inj, "exit 1, refused; the destination unchanged (same type, inode, content)", func(t *testing.T) string {
				dir := t.TempDir()
				dest := mk(t, dir)
				before := statOf(t, filepath.Join(dir, dest))
				sumBefore := ""
				if before.Mode&syscall.S_IFMT == syscall.S_IFLNK || before.Mode&syscall.S_IFMT == syscall.S_IFREG {
					sumBefore = fileHex(filepath.Join(dir, dest))
				}
				r := runWriter(t, dir, w, dest, input)
				after := statOf(t, filepath.Join(dir, dest))
				if r.code != 1 {
					t.Errorf("%v; want exit 1", r)
				}
				if after.Ino != before.Ino || after.Mode != before.Mode {
					t.Errorf("destination replaced: mode %o inode %d, was %o %d", after.Mode, after.Ino, before.Mode, before.Ino)
				}
				if sumBefore != "" && fileHex(filepath.Join(dir, dest)) != sumBefore {
					t.Errorf("content changed")
				}
				checkNoTemp(t, dir)
				return r.String()
			})
		}
		refused("symlink", "PATH is a symbolic link to a file", func(t *testing.T, dir string) string {
			os.WriteFile(filepath.Join(dir, "target"), []byte("target\n"), 0o644)
			os.Symlink("target", filepath.Join(dir, "link"))
			return "link"
		})
		refused("directory", "PATH is a directory", func(t *testing.T, dir string) string {
			os.Mkdir(filepath.Join(dir, "d"), 0o755)
			return "d"
		})
		refused("fifo", "PATH is a FIFO (nobody reads it)", func(t *testing.T, dir string) string {
			syscall.Mkfifo(filepath.Join(dir, "p"), 0o644)
			return "p"
		})
		refused("chardev", "PATH is a character device (mknod c 1 3, as root)", func(t *testing.T, dir string) string {
			if os.Geteuid() != 0 {
				t.Skip("needs root for mknod")
			}
			if err := syscall.Mknod(filepath.Join(dir, "null"), syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
				t.Skipf("mknod: %v", err)
			}
			return "null"
		})
		if w.name == "fsink" {
			relCase(t, tool+"/symlink-follow", w.name, "PATH is a symbolic link, --follow", "exit 0; the target replaced, the link kept", func(t *testing.T) string {
				dir := t.TempDir()
				os.WriteFile(filepath.Join(dir, "target"), []byte("target\n"), 0o644)
				os.Symlink("target", filepath.Join(dir, "link"))
				r := runWriter(t, dir, w, "link", input, "--follow")
				if r.code != 0 {
					t.Errorf("%v", r)
				}
				if st := statOf(t, filepath.Join(dir, "link")); st.Mode&syscall.S_IFMT != syscall.S_IFLNK {
					t.Errorf("link is no longer a symbolic link")
				}
				if got, _ := os.ReadFile(filepath.Join(dir, "target")); !bytes.Equal(got, input) {
					t.Errorf("target = %q", got)
				}
				return r.String() + "; target new, link kept"
			})
		}
		relCase(t, tool+"/hardlink", w.name, "PATH has a second hard link", "exit 0; PATH new, the other name keeps the old content", func(t *testing.T) string {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "a"), []byte("old\n"), 0o644)
			os.Link(filepath.Join(dir, "a"), filepath.Join(dir, "b"))
			r := runWriter(t, dir, w, "a", input)
			if r.code != 0 {
				t.Errorf("%v", r)
			}
			if got, _ := os.ReadFile(filepath.Join(dir, "b")); string(got) != "old\n" {
				t.Errorf("other link = %q, want the old content", got)
			}
			if fileHex(filepath.Join(dir, "a")) == sumHex([]byte("old\n")) {
				t.Errorf("PATH not replaced")
			}
			return r.String() + "; a new, b old"
		})
		relCase(t, tool+"/mode-owner-kept", w.name, "PATH has mode 0640 and owner nobody:nogroup (root only)", "exit 0; mode 0640 and owner kept", func(t *testing.T) string {
			if os.Geteuid() != 0 {
				t.Skip("needs root to chown")
			}
			dir := t.TempDir()
			p := filepath.Join(dir, "f")
			os.WriteFile(p, []byte("old"), 0o640)
			os.Chmod(p, 0o640)
			os.Chown(p, 65534, 65534)
			r := runWriter(t, dir, w, "f", input)
			st := statOf(t, p)
			if r.code != 0 || st.Mode&0o7777 != 0o640 || st.Uid != 65534 || st.Gid != 65534 {
				t.Errorf("%v; mode %o owner %d:%d", r, st.Mode&0o7777, st.Uid, st.Gid)
			}
			return fmt.Sprintf("%v; mode %o owner %d:%d", r, st.Mode&0o7777, st.Uid, st.Gid)
		})
		relCase(t, tool+"/umask", w.name, "new PATH under umask 027", "exit 0; mode 0640", func(t *testing.T) string {
			dir := t.TempDir()
			argv := w.argv("f")
			sh := "umask 027; exec " + strings.Join(argv, " ") + " >/dev/null"
			r := relRun(t, dir, bytes.NewReader(input), "sh", "-c", sh)
			mode := statOf(t, filepath.Join(dir, "f")).Mode & 0o7777
			if r.code != 0 || mode != 0o640 {
				t.Errorf("%v; mode %o", r, mode)
			}
			return fmt.Sprintf("%v; mode %o", r, mode)
		})
		relCase(t, tool+"/temp-mode", w.name, "look at the temporary file while the input is open", "temp file mode 0600, in PATH's folder", func(t *testing.T) string {
			dir := t.TempDir()
			argv := w.argv("f")
			c := exec.Command(argv[0], argv[1:]...)
			c.Dir = dir
			in, _ := c.StdinPipe()
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { in.Close(); c.Wait() }()
			in.Write(input)
			var tmp []string
			deadline := time.Now().Add(5 * time.Second)
			for len(tmp) == 0 && time.Now().Before(deadline) {
				tmp = tempFiles(dir)
				time.Sleep(2 * time.Millisecond)
			}
			if len(tmp) != 1 {
				t.Fatalf("temporary files %v, want one", tmp)
			}
			mode := statOf(t, tmp[0]).Mode & 0o7777
			if mode != 0o600 {
				t.Errorf("temp mode %o", mode)
			}
			return fmt.Sprintf("temp %s mode %o", filepath.Base(tmp[0]), mode)
		})
	}
}

// relInput: bad input through the built binaries; never a panic.
func relInput(t *testing.T) {
	dir := t.TempDir()
	data := randBytes(17, 200000)
	gz := relRun(t, dir, bytes.NewReader(data), bin("fgz")).stdout
	zs := relRun(t, dir, bytes.NewReader(data), bin("fzst")).stdout
	flip := func(s string, at int) string { b := []byte(s); b[at] ^= 0x55; return string(b) }
	type in struct {
		name, input string
		codes       []int
	}
	for _, f := range []struct {
		tool, good string
	}{{"fgz", gz}, {"fzst", zs}} {
		cases := []in{
			{"good", f.good, []int{0}},
			{"truncated-half", f.good[:len(f.good)/2], []int{1}},
			{"truncated-header", f.good[:5], []int{1}},
			{"truncated-last-byte", f.good[:len(f.good)-1], []int{1}},
			{"corrupt-middle", flip(f.good, len(f.good)/2), []int{1}},
			{"corrupt-checksum", flip(f.good, len(f.good)-6), []int{1}},
			{"not-compressed", string(data[:5000]), []int{1}},
			{"empty", "", []int{0, 1}},
			{"trailing-garbage", f.good + "garbage", []int{1}},
			{"two-members", f.good + f.good, []int{0}},
		}
		if f.tool == "fgz" {
			cases = append(cases, in{"trailing-zeros", f.good + "\x00\x00\x00\x00", []int{0}})
		}
		if f.tool == "fzst" {
			// zstd's golden decompression error off0.bin.zst: a sequence
			// with offset 0, which the library turns into 18 NUL bytes.
			off0 := "\x28\xb5\x2f\xfd\x00\x00\x45\x00\x00\x08\x00\x02\x00\x2f\x43\x0b\xae"
			cases = append(cases, in{"zstd-golden-off0", off0, []int{1}}, in{"good-then-off0", f.good + off0, []int{1}})
		}
		for _, c := range cases {
			for _, mode := range []string{"-d", "-t"} {
				if mode == "-t" && !*relFull && c.name != "corrupt-middle" && c.name != "zstd-golden-off0" {
					continue
				}
				relCase(t, f.tool+mode+"/"+c.name, f.tool+" "+mode, c.name+" input", fmt.Sprintf("exit %v, no panic", c.codes), func(t *testing.T) string {
					r := relRun(t, dir, strings.NewReader(c.input), bin(f.tool), mode)
					if !slices.Contains(c.codes, r.code) {
						t.Errorf("%v; want exit %v", r, c.codes)
					}
					if c.name == "good" && mode == "-d" && r.stdout != string(data) {
						t.Errorf("output differs from the input")
					}
					return r.String()
				})
			}
		}
	}
	relCase(t, "fgz-d/max-output", "fgz -d", "--max-output 1000 on 200000 bytes", "exit 1", func(t *testing.T) string {
		r := relRun(t, dir, strings.NewReader(gz), bin("fgz"), "-d", "--max-output", "1000")
		if r.code != 1 {
			t.Errorf("%v", r)
		}
		return r.String()
	})
	relCase(t, "fzst-d/window-over-memory", "fzst -d", "-M 1KiB on a frame with a larger window", "exit 1", func(t *testing.T) string {
		r := relRun(t, dir, strings.NewReader(zs), bin("fzst"), "-d", "-M", "1KiB")
		if r.code != 1 {
			t.Errorf("%v", r)
		}
		return r.String()
	})

	// fsum -c and --verify.
	os.WriteFile(filepath.Join(dir, "f"), data, 0o644)
	good := fmt.Sprintf("%x  f\n", sha256.Sum256(data))
	syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644)
	checks := []struct {
		name, file string
		args       []string
		code       int
	}{
		{"good", good, nil, 0},
		{"mismatch", strings.Replace(good, good[:4], "0000", 1), nil, 1},
		{"missing-file", fmt.Sprintf("%x  nothere\n", sha256.Sum256(data)), nil, 1},
		{"fifo-named", fmt.Sprintf("%x  fifo\n", sha256.Sum256(data)), nil, 1},
		{"empty", "", nil, 1},
		{"garbage", "this is not a sum line\n", nil, 1},
		{"short-hex", "abc  f\n", nil, 1},
		{"bad-line-strict", good + "junk\n", []string{"--strict"}, 1},
		{"bad-line-not-strict", good + "junk\n", nil, 0},
		{"binary-garbage", string(data[:3000]), nil, 1},
		{"long-line", strings.Repeat("a", 1<<20), nil, 1},
		{"nul-in-name", fmt.Sprintf("%x  f\x00x\n", sha256.Sum256(data)), nil, 1},
		{"tag-wrong-algo", fmt.Sprintf("MD5 (f) = %x\n", sha256.Sum256(data)), nil, 1},
		{"ignore-missing-none", fmt.Sprintf("%x  nothere\n", sha256.Sum256(data)), []string{"--ignore-missing"}, 1},
	}
	for _, c := range checks {
		relCase(t, "fsum-c/"+c.name, "fsum -c", "check file: "+c.name, fmt.Sprintf("exit %d, no panic", c.code), func(t *testing.T) string {
			os.WriteFile(filepath.Join(dir, "sums"), []byte(c.file), 0o644)
			r := relRun(t, dir, nil, append([]string{bin("fsum"), "-c"}, append(c.args, "sums")...)...)
			if r.code != c.code {
				t.Errorf("%v; want exit %d", r, c.code)
			}
			return r.String()
		})
	}
	verifies := []struct{ name, file string }{
		{"mismatch", strings.Replace(good, good[:4], "0000", 1)},
		{"malformed", "junk\n"},
		{"empty", ""},
		{"no-such-name", fmt.Sprintf("%x  other\n", sha256.Sum256(data))},
		{"missing-sumfile", "-"},
	}
	for _, v := range verifies {
		relCase(t, "fsum-verify/"+v.name, "fsum --verify", "SUMFILE: "+v.name, "exit 1, no panic", func(t *testing.T) string {
			sf := "vsums"
			if v.file == "-" {
				sf = "nothere.sha256"
			} else {
				os.WriteFile(filepath.Join(dir, sf), []byte(v.file), 0o644)
			}
			r := relRun(t, dir, bytes.NewReader(data), bin("fsum"), "--verify", sf, "--name", "f")
			if r.code != 1 {
				t.Errorf("%v; want exit 1", r)
			}
			return r.String()
		})
	}

	// Every SIZE and rate flag with bad values: usage errors.
	sizeFlags := [][]string{
		{"fread", "--offset"}, {"fread", "--length"}, {"fgz", "--block-size"}, {"fgz", "--max-output"},
		{"fpv", "--size"}, {"frate", "--rate"}, {"frate", "--burst"}, {"fzst", "--memory"}, {"frate", ""},
	}
	bad := []string{"abc", "-1", "12QB", "", "1..5M", "99999999999999P", "1e3", "0x10", "5 M"}
	if !*relFull {
		bad = []string{"abc", "-1", "99999999999999P"}
	}
	for _, sf := range sizeFlags {
		for _, v := range bad {
			flagName := sf[1]
			if flagName == "" {
				flagName = "RATE"
			}
			relCase(t, fmt.Sprintf("size/%s%s=%q", sf[0], flagName, v), sf[0], fmt.Sprintf("%s %q", flagName, v), "exit 2 (usage error), no panic", func(t *testing.T) string {
				argv := []string{bin(sf[0])}
				if sf[1] == "" {
					argv = append(argv, "--", v)
				} else {
					argv = append(argv, sf[1]+"="+v)
				}
				if sf[0] == "frate" && sf[1] == "--burst" {
					argv = append(argv, "1M")
				}
				r := relRun(t, dir, strings.NewReader("x"), argv...)
				if r.code != 2 {
					t.Errorf("%v; want exit 2", r)
				}
				return r.String()
			})
		}
	}

	// Pipelines fpipe must refuse: exit 2, nothing created.
	refuse := []string{
		"", "|", "fread f |", "| fsink out", "fread f || fsink out", "fread f > out", "fread f & fsink out",
		"fread f; fsink out", "fread 'f | fsink out", "fread $(echo f) | fsink out", "fsink out | fgz",
		"fread f | fsink out | fsink out2", "fread f | fgz --bogus | fsink out", "fread f | fsink", "OUT=1 fread f | fsink out",
		"fread f | fsink out &&", "(fread f) | fsink out", "fread f <in | fsink out",
	}
	if !*relFull {
		refuse = refuse[:8]
	}
	for _, p := range refuse {
		relCase(t, fmt.Sprintf("fpipe-refuses/%q", p), "fpipe", fmt.Sprintf("pipeline %q", p), "exit 2, nothing created, no panic", func(t *testing.T) string {
			d := t.TempDir()
			os.WriteFile(filepath.Join(d, "f"), data[:1000], 0o644)
			r := relRun(t, d, nil, bin("fpipe"), p)
			if r.code != 2 {
				t.Errorf("%v; want exit 2", r)
			}
			for _, n := range []string{"out", "out2", "OUT"} {
				if _, err := os.Lstat(filepath.Join(d, n)); err == nil {
					t.Errorf("%s created", n)
				}
			}
			return r.String()
		})
	}
}

// relRace: 2 and 8 fsinks (and fsum -o) racing on one destination.
func relRace(t *testing.T) {
	for _, w := range writers {
		for _, n := range []int{2, 8} {
			relCase(t, fmt.Sprintf("%s-%d", strings.ReplaceAll(w.name, " ", ""), n), w.name, fmt.Sprintf("%d processes write different inputs to one destination at once", n),
				"all exit 0; the destination equals exactly one of the results; no temp left", func(t *testing.T) string {
					dir := t.TempDir()
					size := 1 << 20
					if *relFull {
						size = 4 << 20
					}
					inputs := make([][]byte, n)
					for i := range inputs {
						inputs[i] = randBytes(uint64(100+i), size)
					}
					// The results each writer alone would leave.
					want := map[string]bool{}
					for i := range inputs {
						d := t.TempDir()
						runWriter(t, d, w, "dest", inputs[i])
						want[fileHex(filepath.Join(d, "dest"))] = true
					}
					var wg sync.WaitGroup
					codes := make([]int, n)
					for i := range inputs {
						wg.Add(1)
						go func() {
							defer wg.Done()
							argv := w.argv("dest")
							c := exec.Command(argv[0], argv[1:]...)
							c.Dir = dir
							c.Stdin = bytes.NewReader(inputs[i])
							c.Stdout = io.Discard
							var stderr bytes.Buffer
							c.Stderr = &stderr
							codes[i] = exitCode(c.Run())
							relNoPanic(t, stderr.String())
						}()
					}
					wg.Wait()
					got := fileHex(filepath.Join(dir, "dest"))
					if !want[got] {
						t.Errorf("dest is none of the inputs' results")
					}
					for i, c := range codes {
						if c != 0 {
							t.Errorf("writer %d exit %d", i, c)
						}
					}
					checkNoTemp(t, dir)
					return fmt.Sprintf("exits %v; dest is one input's result", codes)
				})
		}
	}
}
