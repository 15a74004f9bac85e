// Package tests holds end-to-end tests of the built binaries: testscript
// scripts in testdata/script (one file per tool and behaviour,
// <tool>_<behaviour>.txtar) and Go tests that need more than a script.
//
// TestMain builds every command under cmd/ once into a temporary folder
// that is put first on PATH. Run with -u to update scripts' golden files.
package tests

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fpipe/fpipe/internal/stagetest"
	"github.com/fpipe/fpipe/tests/gendump/dump"
	"github.com/rogpeppe/go-internal/testscript"
)

var update = flag.Bool("u", false, "update testscript files")

// binDir holds the built tools.
var binDir string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "fpipe-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	cmd := exec.Command("go", "build", "-o", dir+string(os.PathSeparator), "../cmd/...", "./gendump")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the tools:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	os.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		UpdateScripts:       *update,
		Setup: func(e *testscript.Env) error {
			e.Setenv("PATH", os.Getenv("PATH"))
			e.Setenv("HOME", e.WorkDir)
			return nil
		},
		Condition: condition,
		Cmds:      commands,
	})
}

// condition adds script conditions: [root], [have:PROGRAM].
func condition(cond string) (bool, error) {
	switch {
	case cond == "root":
		return os.Geteuid() == 0, nil
	case strings.HasPrefix(cond, "have:"):
		_, err := exec.LookPath(strings.TrimPrefix(cond, "have:"))
		return err == nil, nil
	}
	return false, fmt.Errorf("unknown condition %q", cond)
}

// commands are the script commands the tests share:
//
//	gendump SIZE FILE [SEED]     write a sample dump of SIZE bytes
//	randfile SIZE FILE [SEED]    write SIZE pseudo-random bytes
//	sha256 FILE HEX              the file's SHA-256 must be HEX
//	savesum FILE NAME            remember the file's SHA-256 as NAME
//	samesum FILE NAME            the file's SHA-256 must equal NAME's
//	size FILE N                  the file must be N bytes long
//	mode FILE OCTAL              the file's permission bits must be OCTAL
//	inode FILE NAME / sameinode FILE NAME   remember / compare an inode
//	notemp DIR                   no fsink temporary file may be left in DIR
//	sleep DURATION
var commands = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"gendump": func(ts *testscript.TestScript, neg bool, args []string) {
		size, seed := parseGenArgs(ts, args)
		writeFile(ts, args[1], dump.NewReader(seed, size))
	},
	"randfile": func(ts *testscript.TestScript, neg bool, args []string) {
		size, seed := parseGenArgs(ts, args)
		writeFile(ts, args[1], io.LimitReader(newRand(seed), size))
	},
	"sha256": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 {
			ts.Fatalf("usage: sha256 FILE HEX")
		}
		got := fileSum(ts, args[0])
		if (got == args[1]) == neg {
			ts.Fatalf("sha256 of %s is %s, want %s%s", args[0], got, map[bool]string{true: "not "}[neg], args[1])
		}
	},
	"savesum": func(ts *testscript.TestScript, neg bool, args []string) {
		ts.Setenv("SUM_"+args[1], fileSum(ts, args[0]))
	},
	"samesum": func(ts *testscript.TestScript, neg bool, args []string) {
		got, want := fileSum(ts, args[0]), ts.Getenv("SUM_"+args[1])
		if (got == want) == neg {
			ts.Fatalf("sha256 of %s is %s; saved %s is %s (neg=%v)", args[0], got, args[1], want, neg)
		}
	},
	"size": func(ts *testscript.TestScript, neg bool, args []string) {
		got := fileSize(ts, args[0])
		want, err := strconv.ParseInt(args[1], 10, 64)
		ts.Check(err)
		if (got == want) == neg {
			ts.Fatalf("size of %s is %d, want %d", args[0], got, want)
		}
	},
	"mode": func(ts *testscript.TestScript, neg bool, args []string) {
		st, err := os.Stat(ts.MkAbs(args[0]))
		ts.Check(err)
		want, err := strconv.ParseUint(args[1], 8, 32)
		ts.Check(err)
		if got := uint32(st.Mode().Perm()); (got == uint32(want)) == neg {
			ts.Fatalf("mode of %s is %o, want %o", args[0], got, want)
		}
	},
	"inode": func(ts *testscript.TestScript, neg bool, args []string) {
		ts.Setenv("INODE_"+args[1], strconv.FormatUint(stagetest.Inode(ts, ts.MkAbs(args[0])), 10))
	},
	"sameinode": func(ts *testscript.TestScript, neg bool, args []string) {
		got := strconv.FormatUint(stagetest.Inode(ts, ts.MkAbs(args[0])), 10)
		if (got == ts.Getenv("INODE_"+args[1])) == neg {
			ts.Fatalf("inode of %s is %s, saved %s (neg=%v)", args[0], got, ts.Getenv("INODE_"+args[1]), neg)
		}
	},
	"notemp": func(ts *testscript.TestScript, neg bool, args []string) {
		ents, err := os.ReadDir(ts.MkAbs(args[0]))
		ts.Check(err)
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), ".fsink-tmp") {
				ts.Fatalf("temporary file left: %s", e.Name())
			}
		}
	},
	"sleep": func(ts *testscript.TestScript, neg bool, args []string) {
		d, err := time.ParseDuration(args[0])
		ts.Check(err)
		time.Sleep(d)
	},
}

func parseGenArgs(ts *testscript.TestScript, args []string) (int64, uint64) {
	if len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: gendump|randfile SIZE FILE [SEED]")
	}
	size, err := strconv.ParseInt(args[0], 10, 64)
	ts.Check(err)
	seed := uint64(1)
	if len(args) == 3 {
		seed, err = strconv.ParseUint(args[2], 10, 64)
		ts.Check(err)
	}
	return size, seed
}

func writeFile(ts *testscript.TestScript, name string, r io.Reader) {
	f, err := os.Create(ts.MkAbs(name))
	ts.Check(err)
	_, err = io.Copy(f, r)
	ts.Check(err)
	ts.Check(f.Close())
}

// fileSum is the SHA-256 of a file, or of the last command's stdout or
// stderr when name is "stdout" or "stderr".
func fileSum(ts *testscript.TestScript, name string) string {
	h := sha256.New()
	if name == "stdout" || name == "stderr" {
		h.Write([]byte(ts.ReadFile(name)))
		return hex.EncodeToString(h.Sum(nil))
	}
	f, err := os.Open(ts.MkAbs(name))
	ts.Check(err)
	defer f.Close()
	_, err = io.Copy(h, f)
	ts.Check(err)
	return hex.EncodeToString(h.Sum(nil))
}

// fileSize is the size of a file, or of stdout or stderr.
func fileSize(ts *testscript.TestScript, name string) int64 {
	if name == "stdout" || name == "stderr" {
		return int64(len(ts.ReadFile(name)))
	}
	st, err := os.Stat(ts.MkAbs(name))
	ts.Check(err)
	return st.Size()
}

// newRand is a fast deterministic byte stream (xorshift), for random data
// that does not compress.
func newRand(seed uint64) io.Reader { return &xorshift{s: seed*2685821657736338717 + 1} }

type xorshift struct{ s uint64 }

func (x *xorshift) Read(p []byte) (int, error) {
	for i := 0; i < len(p); i += 8 {
		x.s ^= x.s << 13
		x.s ^= x.s >> 7
		x.s ^= x.s << 17
		v := x.s
		for j := 0; j < 8 && i+j < len(p); j++ {
			p[i+j] = byte(v >> (8 * j))
		}
	}
	return len(p), nil
}

// bin is the path of a built tool.
func bin(name string) string { return filepath.Join(binDir, name) }
