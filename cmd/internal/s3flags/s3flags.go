// Package s3flags is the light side of s3:// places in fsink, fread and
// fsum: their flags, and the hooks through which the S3 code (package
// s3cli) builds the stages. The S3 code brings net/http and crypto/tls,
// which cost a process about 3 MiB of resident memory before it reads a
// byte; linked only into fpipe and fs3, it leaves the plain tools within
// their 8 MiB. A plain tool given an s3:// place executes fs3, installed
// beside it, with the same words.
package s3flags

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/stages"
	"github.com/spf13/pflag"
)

// IsURL reports whether name is an s3:// place.
func IsURL(name string) bool { return strings.HasPrefix(name, "s3://") }

// The hooks, set by package s3cli where it is linked.
var (
	// BuildSink builds fsink's stage for an s3:// destination.
	BuildSink func(f *SinkFlags, dest string, noClobber, allowEmpty bool, env *cli.Env) (*cli.Stage, error)
	// BuildSource builds fread's stage for an s3:// object; length < 0:
	// to the end.
	BuildSource func(name string, pathStyle bool, offset, length int64, env *cli.Env) (*cli.Stage, error)
	// SumSink opens fsum --out s3://...
	SumSink func(ctx context.Context, dest string) (stages.Sink, error)
)

// Linked reports whether the S3 code is in this binary.
func Linked() bool { return BuildSink != nil }

// execErr is why Reexec could not run fs3.
var execErr error

// Reexec, called first in the main of a plain tool, replaces the process
// with fs3 (installed beside the tool), running the same tool with the
// same words, when a word names an s3:// place. It returns when no word
// does, or when fs3 cannot be run (the tool then fails with NotLinked).
// It runs before the tool touches its standard input or output.
func Reexec(tool string) {
	if Linked() {
		return
	}
	found := false
	for _, a := range os.Args[1:] {
		if IsURL(a) || strings.Contains(a, "=s3://") || strings.HasPrefix(a, "-os3://") {
			found = true
			break
		}
	}
	if !found {
		return
	}
	self, err := os.Executable()
	if err != nil {
		execErr = err
		return
	}
	fs3 := filepath.Join(filepath.Dir(self), "fs3")
	argv := append([]string{"fs3", tool}, os.Args[1:]...)
	execErr = syscall.Exec(fs3, argv, os.Environ())
	if execErr != nil {
		execErr = &os.PathError{Op: "exec", Path: fs3, Err: execErr}
	}
}

// NotLinked is the error of a plain tool given an s3:// place that it
// could not hand to fs3.
func NotLinked(tool string) error {
	if execErr != nil {
		return fmt.Errorf("s3:// places need fs3 beside %s: %w", tool, execErr)
	}
	return errors.New("s3:// places need the S3 code, which is not linked into this program")
}

// SinkFlags are fsink's s3:// options.
type SinkFlags struct {
	FS          *pflag.FlagSet
	SizeHint    cli.Size
	Memory      cli.Size
	ContentType string
	Metadata    []string
	PathStyle   bool
	AbortStale  bool
	OlderThan   time.Duration
}

// DefineSink registers the s3:// options of a sink on fs.
func DefineSink(fs *pflag.FlagSet) *SinkFlags {
	f := &SinkFlags{FS: fs}
	fs.Var(&f.SizeHint, "size-hint", "s3://: the stream's expected length, to size the parts for it (up to 5T)")
	fs.Var(&f.Memory, "s3-memory", "s3://: memory for the upload, part buffers included (default 64M; at least 32M)")
	fs.StringVar(&f.ContentType, "content-type", "", "s3://: the object's Content-Type (default application/octet-stream)")
	fs.StringArrayVar(&f.Metadata, "metadata", nil, "s3://: user metadata `NAME=VALUE` (repeatable)")
	DefinePathStyle(fs, &f.PathStyle)
	fs.BoolVar(&f.AbortStale, "s3-abort-stale", false, "abort the incomplete uploads under the s3:// prefix given as PATH, older than --older-than")
	fs.DurationVar(&f.OlderThan, "older-than", 24*time.Hour, "with --s3-abort-stale: the age of the uploads to abort")
	return f
}

// DefinePathStyle registers --s3-path-style.
func DefinePathStyle(fs *pflag.FlagSet, v *bool) {
	fs.BoolVar(v, "s3-path-style", false, "s3://: put the bucket in the URL's path, not its host name (automatic for an IP address or localhost endpoint)")
}

// Given lists the s3:// options of a sink that were given.
func (f *SinkFlags) Given() []string {
	var g []string
	for _, n := range []string{"size-hint", "s3-memory", "content-type", "metadata", "s3-path-style", "s3-abort-stale", "older-than"} {
		if f.FS.Changed(n) {
			g = append(g, "--"+n)
		}
	}
	return g
}
