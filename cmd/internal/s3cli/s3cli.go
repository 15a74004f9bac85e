// Package s3cli is the command-line side of s3:// places, shared by fsink,
// fread and fsum: the flags, and the stages they build.
package s3cli

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/stages/s3"
	"github.com/spf13/pflag"
)

// IsURL reports whether name is an s3:// place.
func IsURL(name string) bool { return s3.IsURL(name) }

// overhead is the memory of a tool besides its part buffers (runtime,
// HTTP client, copy buffers), counted in --s3-memory.
const overhead = 20 << 20

// DefaultMemory is --s3-memory's default.
const DefaultMemory = 64 << 20

// Client loads the AWS configuration from the environment and the shared
// files, and makes a client.
func Client(pathStyle bool) (*s3.Client, error) {
	cfg, err := s3.LoadConfig(os.Getenv)
	if err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	cfg.PathStyle = cfg.PathStyle || pathStyle
	return s3.NewClient(cfg)
}

// SinkFlags are fsink's s3:// options.
type SinkFlags struct {
	fs          *pflag.FlagSet
	sizeHint    cli.Size
	memory      cli.Size
	contentType string
	metadata    []string
	pathStyle   bool
	abortStale  bool
	olderThan   time.Duration
}

// DefineSink registers the s3:// options of a sink on fs.
func DefineSink(fs *pflag.FlagSet) *SinkFlags {
	f := &SinkFlags{fs: fs}
	fs.Var(&f.sizeHint, "size-hint", "s3://: the stream's expected length, to size the parts for it (up to 5T)")
	fs.Var(&f.memory, "s3-memory", "s3://: memory for the upload, part buffers included (default 64M; at least 32M)")
	fs.StringVar(&f.contentType, "content-type", "", "s3://: the object's Content-Type (default application/octet-stream)")
	fs.StringArrayVar(&f.metadata, "metadata", nil, "s3://: user metadata `NAME=VALUE` (repeatable)")
	DefinePathStyle(fs, &f.pathStyle)
	fs.BoolVar(&f.abortStale, "s3-abort-stale", false, "abort the incomplete uploads under the s3:// prefix given as PATH, older than --older-than")
	fs.DurationVar(&f.olderThan, "older-than", 24*time.Hour, "with --s3-abort-stale: the age of the uploads to abort")
	return f
}

// DefinePathStyle registers --s3-path-style.
func DefinePathStyle(fs *pflag.FlagSet, v *bool) {
	fs.BoolVar(v, "s3-path-style", false, "s3://: put the bucket in the URL's path, not its host name (automatic for an IP address or localhost endpoint)")
}

// Given reports whether any s3:// option of a sink was given.
func (f *SinkFlags) Given() []string {
	var g []string
	for _, n := range []string{"size-hint", "s3-memory", "content-type", "metadata", "s3-path-style", "s3-abort-stale", "older-than"} {
		if f.fs.Changed(n) {
			g = append(g, "--"+n)
		}
	}
	return g
}

// AbortStale reports whether --s3-abort-stale was given.
func (f *SinkFlags) AbortStale() bool { return f.abortStale }

// Sink builds the writer for an s3:// destination; extra are the
// options that the tool's own flags mean (no-clobber, allow-empty).
func (f *SinkFlags) Sink(ctx context.Context, dest string, extra ...s3.Option) (*s3.Writer, error) {
	bucket, key, err := s3.ParseURL(dest, false)
	if err != nil {
		return nil, cli.Usagef("%s: %v", dest, err)
	}
	mem := int64(DefaultMemory)
	if f.memory.Given {
		mem = f.memory.V
	}
	if mem < 32<<20 {
		return nil, cli.Usagef("invalid argument %q for \"--s3-memory\" flag: at least 32M", f.fs.Lookup("s3-memory").Value.String())
	}
	opts := []s3.Option{s3.BufferMemory(mem - overhead)}
	if f.sizeHint.Given {
		opts = append(opts, s3.SizeHint(f.sizeHint.V))
	}
	if f.contentType != "" {
		opts = append(opts, s3.ContentType(f.contentType))
	}
	for _, m := range f.metadata {
		k, v, ok := strings.Cut(m, "=")
		if !ok {
			return nil, cli.Usagef("invalid argument %q for \"--metadata\" flag: want NAME=VALUE", m)
		}
		opts = append(opts, s3.Metadata(k, v))
	}
	opts = append(opts, extra...)
	// Options are checked before any request: a mistake is a usage error.
	if f.sizeHint.Given && s3.PartSizeFor(f.sizeHint.V)+overhead > mem {
		return nil, cli.Usagef("--size-hint %s needs parts of %dM: give --s3-memory %dM or more",
			f.fs.Lookup("size-hint").Value.String(), s3.PartSizeFor(f.sizeHint.V)>>20, (s3.PartSizeFor(f.sizeHint.V)+overhead)>>20)
	}
	if err := s3.CheckOptions(opts...); err != nil {
		return nil, cli.Usagef("%v", err)
	}
	c, err := Client(f.pathStyle)
	if err != nil {
		return nil, err
	}
	return s3.Create(ctx, c, bucket, key, opts...)
}

// Stale returns the job of --s3-abort-stale: abort the incomplete uploads
// under prefix older than --older-than, one line on out for each.
func (f *SinkFlags) Stale(prefix string, env *cli.Env) (*cli.Stage, error) {
	bucket, p, err := s3.ParseURL(prefix, true)
	if err != nil {
		return nil, cli.Usagef("%s: %v", prefix, err)
	}
	if f.olderThan < 0 {
		return nil, cli.Usagef("invalid argument for \"--older-than\" flag: negative")
	}
	c, err := Client(f.pathStyle)
	if err != nil {
		return nil, err
	}
	return &cli.Stage{Job: func(ctx context.Context) error {
		_, err := c.AbortStale(ctx, bucket, p, f.olderThan, func(u s3.Upload) {
			fmt.Fprintf(env.Stdout, "aborted %s upload %s started %s\n", s3.DisplayName(bucket, u.Key), u.UploadID, u.Initiated.UTC().Format(time.RFC3339))
		})
		if err != nil {
			return fmt.Errorf("%s: %w", prefix, err)
		}
		return nil
	}}, nil
}

// Source opens an s3:// object for fread, from offset for length bytes
// (length < 0: to the end).
func Source(ctx context.Context, name string, pathStyle bool, offset, length int64) (*s3.Reader, error) {
	bucket, key, err := s3.ParseURL(name, false)
	if err != nil {
		return nil, cli.Usagef("%s: %v", name, err)
	}
	c, err := Client(pathStyle)
	if err != nil {
		return nil, err
	}
	opts := []s3.ReadOption{s3.Offset(offset)}
	if length >= 0 {
		opts = append(opts, s3.Length(length))
	}
	return s3.Open(ctx, c, bucket, key, opts...)
}

// SumSink builds the writer of fsum --out s3://...: a small object.
func SumSink(ctx context.Context, dest string) (*s3.Writer, error) {
	bucket, key, err := s3.ParseURL(dest, false)
	if err != nil {
		return nil, cli.Usagef("%s: %v", dest, err)
	}
	c, err := Client(false)
	if err != nil {
		return nil, err
	}
	return s3.Create(ctx, c, bucket, key, s3.BufferMemory(s3.MinBufferMemory), s3.ContentType("text/plain"))
}
