package tests

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// relSyscall injects syscall faults with strace into fsink, fread and fpipe.
func relSyscall(t *testing.T) {
	data := randBytes(11, 3000000) // 92 writes of 32 KiB when copied by read/write
	type fault struct {
		name, tool, trace string
		inject            []string
		argv              []string // after the strace prefix, run in dir; "fsink dest" if nil
		stdin             string   // "pipe": data through a pipe; "file": a regular file
		want              string   // stderr must contain this
		wantNew           bool     // the destination must hold the new content (else the old)
		fallback          bool     // a copy that falls back to read/write on this error may succeed
		onlyDir           bool     // strace -P DIR: only syscalls on the destination's folder
	}
	faults := []fault{
		{name: "fsync-EIO", tool: "fsink", trace: "fsync", inject: []string{"fsync:error=EIO:when=1"}, stdin: "pipe",
			want: "fsync: input/output error; destination left unchanged"},
		// strace counts when= per thread, and the two fsyncs may run on
		// different threads: -P DIR limits the fault to the folder's fsync.
		{name: "folder-fsync-EIO", tool: "fsink", trace: "fsync", inject: []string{"fsync:error=EIO"}, stdin: "pipe", onlyDir: true,
			want: "renamed, but syncing the folder failed: input/output error", wantNew: true},
		{name: "rename-EXDEV", tool: "fsink", trace: "rename,renameat,renameat2", inject: []string{"rename,renameat,renameat2:error=EXDEV"}, stdin: "pipe",
			want: "invalid cross-device link"},
		{name: "rename-EACCES", tool: "fsink", trace: "rename,renameat,renameat2", inject: []string{"rename,renameat,renameat2:error=EACCES"}, stdin: "pipe",
			want: "permission denied"},
		{name: "splice-ENOSPC-1st", tool: "fsink", trace: "splice", inject: []string{"splice:error=ENOSPC:when=1"}, stdin: "pipe",
			want: "no space left on device"},
		{name: "splice-EIO-10th", tool: "fsink", trace: "splice", inject: []string{"splice:error=EIO:when=10"}, stdin: "pipe",
			want: "input/output error", fallback: true},
		{name: "copy_file_range-ENOSPC-1st", tool: "fsink", trace: "copy_file_range", inject: []string{"copy_file_range:error=ENOSPC:when=1"}, stdin: "file",
			want: "no space left on device"},
		{name: "copy_file_range-EIO-1st", tool: "fsink", trace: "copy_file_range", inject: []string{"copy_file_range:error=EIO:when=1"}, stdin: "file",
			want: "input/output error", fallback: true},
	}
	// write(2): a regular file as stdin with copy_file_range refused
	// (ENOSYS), so the copy falls back to 32 KiB read/write: 92 writes.
	// strace counts when= per thread, so the earliest is the 2nd: with
	// when=1 the first write of whichever thread prints the error line
	// failed too, and the line was lost.
	for _, e := range []struct{ errno, msg string }{{"ENOSPC", "no space left on device"}, {"EIO", "input/output error"}} {
		for _, when := range []struct{ name, n string }{{"2nd", "2"}, {"10th", "10"}, {"last", "92"}} {
			faults = append(faults, fault{name: "write-" + e.errno + "-" + when.name, tool: "fsink", trace: "write,copy_file_range",
				inject: []string{"copy_file_range:error=ENOSYS", "write:error=" + e.errno + ":when=" + when.n}, stdin: "file", want: e.msg})
		}
	}
	faults = append(faults,
		fault{name: "fread-read-EIO-midway-in-fpipe", tool: "fpipe", trace: "read,copy_file_range",
			inject: []string{"copy_file_range:error=ENOSYS", "read:error=EIO:when=50"},
			argv:   []string{bin("fpipe"), "fread src | fsink dest"}, want: "input/output error"},
	)
	if !*relFull {
		keep := map[string]bool{"fsync-EIO": true, "folder-fsync-EIO": true, "rename-EXDEV": true, "splice-ENOSPC-1st": true,
			"write-EIO-10th": true, "write-ENOSPC-last": true, "fread-read-EIO-midway-in-fpipe": true}
		var fast []fault
		for _, f := range faults {
			if keep[f.name] {
				fast = append(fast, f)
			}
		}
		faults = fast
	}
	for _, f := range faults {
		expected := "exit 1, one line naming the error, destination intact, no temp left"
		if f.wantNew {
			expected = "exit 1, message says renamed but the folder's fsync failed; destination new"
		}
		if f.fallback {
			expected = "exit 1 with the destination intact, or (the copy falling back to read/write, as Go's runtime does on this error) exit 0 with the complete new content"
		}
		if f.tool != "fsink" {
			expected = "exit 1, the error named, destination intact, no temp left"
		}
		inj := "strace -e inject=" + strings.Join(f.inject, " -e inject=")
		if f.onlyDir {
			inj += " -P DIR (the folder's fsync only)"
		}
		relCase(t, f.name, f.tool, inj, expected, func(t *testing.T) string {
			prefix := straceInject(t, f.trace, f.inject...)
			dir := t.TempDir()
			if f.onlyDir {
				prefix = append(prefix, "-P", dir)
			}
			old, ino := oldDest(t, dir, "dest")
			if err := os.WriteFile(filepath.Join(dir, "src"), data, 0o644); err != nil {
				t.Fatal(err)
			}
			argv := f.argv
			if argv == nil {
				argv = []string{bin("fsink"), "dest"}
			}
			// Go's runtime may write to its eventfd now and then, which
			// takes one of strace's write counts: a write-fault run that
			// exits 0 with the complete new content is tried again.
			var r relResult
			tries := 0
			for tries < 3 {
				tries++
				os.WriteFile(filepath.Join(dir, "dest"), old, 0o644)
				ino = inodeOf(t, filepath.Join(dir, "dest"))
				c := exec.Command(prefix[0], append(prefix[1:], argv...)...)
				c.Dir = dir
				var stderr bytes.Buffer
				c.Stderr = &stderr
				switch f.stdin {
				case "pipe":
					c.Stdin = bytes.NewReader(data) // exec makes a pipe
				case "file":
					src, err := os.Open(filepath.Join(dir, "src"))
					if err != nil {
						t.Fatal(err)
					}
					defer src.Close()
					c.Stdin = src
				}
				r = relResult{exitCode(c.Run()), "", stderr.String()}
				relNoPanic(t, r.stderr)
				if !strings.HasPrefix(f.name, "write-") || r.code != 0 || fileHex(filepath.Join(dir, "dest")) != sumHex(data) {
					break
				}
			}
			if tries > 1 {
				t.Logf("%d tries", tries)
			}
			if f.fallback && r.code == 0 {
				if fileHex(filepath.Join(dir, "dest")) != sumHex(data) {
					t.Errorf("exit 0 but dest is not the complete new content")
				}
				checkNoTemp(t, dir)
				return "exit 0 after a fallback copy; dest = the complete new content"
			}
			if r.code != 1 || !strings.Contains(r.stderr, f.want) {
				t.Errorf("%v; want exit 1 and %q", r, f.want)
			}
			if n := strings.Count(strings.TrimRight(r.stderr, "\n"), "\n"); n > 0 && f.tool == "fsink" {
				t.Errorf("stderr has %d lines, want one: %q", n+1, r.stderr)
			}
			if f.wantNew {
				if fileHex(filepath.Join(dir, "dest")) != sumHex(data) {
					t.Errorf("dest is not the new content")
				}
				checkNoTemp(t, dir)
			} else {
				checkIntact(t, dir, "dest", old, ino)
			}
			return r.String()
		})
	}

	// fread failing midway in a shell pipe: fread src | fsink dest.
	relCase(t, "fread-splice-EIO-midway-in-sh-pipe", "fread | fsink", "strace -e inject=splice:error=EIO:when=2 on fread (after 1 MiB)",
		"pipeline fails, destination intact, no temp left", func(t *testing.T) string {
			prefix := straceInject(t, "splice", "splice:error=EIO:when=2")
			dir := t.TempDir()
			old, ino := oldDest(t, dir, "dest")
			os.WriteFile(filepath.Join(dir, "src"), data, 0o644)
			sh := fmt.Sprintf("%s %s src | %s dest", strings.Join(prefix, " "), bin("fread"), bin("fsink"))
			r := relRun(t, dir, nil, "bash", "-o", "pipefail", "-c", sh)
			if r.code != 1 || !strings.Contains(r.stderr, "input/output error") {
				t.Errorf("%v; want exit 1 and an input/output error", r)
			}
			checkIntact(t, dir, "dest", old, ino)
			return r.String()
		})

	// The order of fsink's syscalls.
	relCase(t, "syscall-order", "fsink", "strace -e trace=openat,fsync,rename,renameat,renameat2 of fsink sub/dest",
		"temp opened O_EXCL in sub/, fsync(temp), rename(temp, sub/dest), fsync(sub/) in that order", func(t *testing.T) string {
			p := needStrace(t)
			dir := t.TempDir()
			os.Mkdir(filepath.Join(dir, "sub"), 0o755)
			trace := filepath.Join(dir, "trace")
			c := exec.Command(p, "-f", "-qq", "-o", trace, "-e", "trace=openat,fsync,rename,renameat,renameat2", bin("fsink"), "sub/dest")
			c.Dir = dir
			c.Stdin = bytes.NewReader(data[:100000])
			if out, err := c.CombinedOutput(); err != nil {
				t.Fatalf("%v %s", err, out)
			}
			return checkOrder(t, trace)
		})
}

var (
	reOpenSub  = regexp.MustCompile(`openat\(AT_FDCWD, "sub", O_RDONLY[^)]*O_DIRECTORY[^)]*\) = (\d+)`)
	reOpenTemp = regexp.MustCompile(`openat\((\d+), "(\.dest\.[^"]+\.fsink-tmp)", ([^,]+), 0?600\) = (\d+)`)
	reFsync    = regexp.MustCompile(`fsync\((\d+)\)\s+= 0`)
	reRename   = regexp.MustCompile(`renameat2?\((\d+), "([^"]+)", (\d+), "([^"]+)"`)
)

// checkOrder reads an strace log of fsink sub/dest and checks the commit
// protocol's order. fsink opens sub/ once and works relative to that
// descriptor: the temporary file is created in it, renamed within it, and
// it is what is fsynced after the rename.
func checkOrder(t *testing.T, trace string) string {
	f, err := os.Open(trace)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var steps []string
	var tempName, tempFD, dirFD string
	pending := map[string]string{} // pid: a call strace split around another thread's
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		pid, l, _ := strings.Cut(sc.Text(), " ")
		if head, ok := strings.CutSuffix(l, " <unfinished ...>"); ok {
			pending[pid] = head
			continue
		}
		if strings.HasPrefix(l, "<... ") {
			if _, rest, ok := strings.Cut(l, " resumed>"); ok {
				l = pending[pid] + rest
				delete(pending, pid)
			}
		}
		if m := reOpenSub.FindStringSubmatch(l); m != nil && dirFD == "" {
			dirFD = m[1]
		} else if m := reOpenTemp.FindStringSubmatch(l); m != nil && m[1] == dirFD {
			if !strings.Contains(m[3], "O_EXCL") || !strings.Contains(m[3], "O_CREAT") {
				t.Errorf("temp opened without O_CREAT|O_EXCL: %s", l)
			}
			tempName, tempFD = m[2], m[4]
			steps = append(steps, "open temp O_EXCL in sub/")
		} else if m := reFsync.FindStringSubmatch(l); m != nil && tempFD != "" {
			switch {
			case m[1] == tempFD && !contains(steps, "rename"):
				steps = append(steps, "fsync temp")
			case m[1] == dirFD && contains(steps, "rename"):
				steps = append(steps, "fsync sub/")
			}
		} else if m := reRename.FindStringSubmatch(l); m != nil && !strings.Contains(l, "unfinished") {
			if m[1] == dirFD && m[3] == dirFD && m[2] == tempName && m[4] == "dest" {
				steps = append(steps, "rename")
			}
		}
	}
	got := strings.Join(steps, ", ")
	if want := "open temp O_EXCL in sub/, fsync temp, rename, fsync sub/"; got != want {
		t.Errorf("order: %s; want %s", got, want)
	}
	return got
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// relDevFull: /dev/full as stdout of every tool that writes stdout.
func relDevFull(t *testing.T) {
	data := randBytes(13, 300000)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "src"), data, 0o644)
	gz := relRun(t, dir, bytes.NewReader(data), bin("fgz"))
	os.WriteFile(filepath.Join(dir, "src.gz"), []byte(gz.stdout), 0o644)
	zs := relRun(t, dir, bytes.NewReader(data), bin("fzst"))
	os.WriteFile(filepath.Join(dir, "src.zst"), []byte(zs.stdout), 0o644)
	cases := []struct {
		name  string
		argv  []string
		stdin string
	}{
		{"fread", []string{"fread", "src"}, ""},
		{"fgz", []string{"fgz"}, "src"},
		{"fgz -d", []string{"fgz", "-d"}, "src.gz"},
		{"fsum", []string{"fsum"}, "src"},
		{"fsum FILE", []string{"fsum", "src"}, ""},
		{"frate", []string{"frate", "1G"}, "src"},
		{"fpv", []string{"fpv", "-q"}, "src"},
		{"fzst", []string{"fzst"}, "src"},
		{"fzst -d", []string{"fzst", "-d"}, "src.zst"},
		{"fpipe 'fread src'", []string{"fpipe", "-q", "fread src"}, ""},
		{"fsink -", []string{"fsink", "-"}, "src"},
	}
	for _, tc := range cases {
		relCase(t, strings.ReplaceAll(tc.name, " ", "_"), tc.name, "stdout is /dev/full", "exit 1, \"no space left on device\", no file changed", func(t *testing.T) string {
			before := listDir(t, dir)
			full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
			if err != nil {
				t.Skip("no /dev/full")
			}
			defer full.Close()
			c := exec.Command(bin(tc.argv[0]), tc.argv[1:]...)
			c.Dir = dir
			c.Stdout = full
			var stderr bytes.Buffer
			c.Stderr = &stderr
			if tc.stdin != "" {
				in, _ := os.Open(filepath.Join(dir, tc.stdin))
				defer in.Close()
				c.Stdin = in
			}
			r := relResult{exitCode(c.Run()), "", stderr.String()}
			relNoPanic(t, r.stderr)
			if r.code != 1 || !strings.Contains(r.stderr, "no space left on device") {
				t.Errorf("%v; want exit 1 and \"no space left on device\"", r)
			}
			if after := listDir(t, dir); after != before {
				t.Errorf("folder changed:\n%s\nwas\n%s", after, before)
			}
			return r.String()
		})
	}
}

// listDir lists names, sizes and content sums of the files in dir.
func listDir(t *testing.T, dir string) string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range ents {
		fmt.Fprintf(&b, "%s %s\n", e.Name(), fileHex(filepath.Join(dir, e.Name())))
	}
	return b.String()
}

// relTmpfs: every tool that writes a file, on a full tmpfs.
func relTmpfs(t *testing.T) {
	cases := []struct {
		name, tool string
		sh         string // run in the tmpfs folder
		fill       bool   // fill the tmpfs up before
	}{
		{"fsink-4MiB-into-1MiB", "fsink", "fread --length 4M /dev/zero | fsink dest", false},
		{"fsink-small-into-full", "fsink", "fread --length 10000 /dev/zero | fsink dest", true},
		{"fsum-o-into-full", "fsum -o", "fread --length 10000 /dev/zero | fsum -o dest --name n >/dev/null", true},
		{"fpipe-into-full", "fpipe", "fpipe 'fread --length 4M /dev/zero | fsink dest'", false},
		{"fpipe-fsum-o-into-full", "fpipe", "fpipe 'fread --length 10000 /dev/zero | fsum -o dest --name other | fsink other'", true},
	}
	for _, tc := range cases {
		inj := "tmpfs of 1 MiB"
		if tc.fill {
			inj += ", filled up before the run"
		}
		relCase(t, tc.name, tc.tool, inj+": "+tc.sh, "exit 1, \"no space left on device\", destination intact, no temp, free space as before", func(t *testing.T) string {
			dir := mountTmpfs(t, "size=1m")
			old, ino := oldDest(t, dir, "dest")
			if tc.fill {
				fillUp(t, filepath.Join(dir, "filler"))
			}
			var before, after syscall.Statfs_t
			syscall.Statfs(dir, &before)
			r := relRun(t, dir, nil, "bash", "-o", "pipefail", "-c", tc.sh)
			if r.code != 1 || !strings.Contains(r.stderr, "no space left on device") {
				t.Errorf("%v; want exit 1 and \"no space left on device\"", r)
			}
			checkIntact(t, dir, "dest", old, ino)
			if _, err := os.Stat(filepath.Join(dir, "other")); err == nil {
				t.Errorf("fpipe committed other although a stage failed")
			}
			syscall.Statfs(dir, &after)
			if after.Bfree != before.Bfree || after.Ffree != before.Ffree {
				t.Errorf("free blocks %d inodes %d; before %d %d", after.Bfree, after.Ffree, before.Bfree, before.Ffree)
			}
			return r.String()
		})
	}
}

func fillUp(t *testing.T, p string) {
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			return
		}
	}
}
