// Package s3cli is the S3 side of s3:// places in fsink, fread and fsum:
// it builds their stages, through the hooks of package s3flags, which it
// sets when a binary links it (fpipe and fs3 do; the plain tools execute
// fs3 for an s3:// place).
package s3cli

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/cmd/internal/s3flags"
	"github.com/fpipe/fpipe/stages"
	"github.com/fpipe/fpipe/stages/s3"
)

func init() {
	s3flags.BuildSink = buildSink
	s3flags.BuildSource = buildSource
	s3flags.SumSink = func(ctx context.Context, dest string) (stages.Sink, error) { return SumSink(ctx, dest) }
}

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
	c, err := s3.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	return c, nil
}

// Sink builds the writer for an s3:// destination; extra are the
// options that the tool's own flags mean (no-clobber, allow-empty).
func sink(ctx context.Context, f *s3flags.SinkFlags, dest string, extra ...s3.Option) (*s3.Writer, error) {
	bucket, key, err := s3.ParseURL(dest, false)
	if err != nil {
		return nil, cli.Usagef("%s: %v", dest, err)
	}
	mem := int64(DefaultMemory)
	if f.Memory.Given {
		mem = f.Memory.V
	}
	if mem < 32<<20 {
		return nil, cli.Usagef("invalid argument %q for \"--s3-memory\" flag: at least 32M", f.FS.Lookup("s3-memory").Value.String())
	}
	opts := []s3.Option{s3.BufferMemory(mem - overhead)}
	if f.SizeHint.Given {
		opts = append(opts, s3.SizeHint(f.SizeHint.V))
	}
	if f.ContentType != "" {
		opts = append(opts, s3.ContentType(f.ContentType))
	}
	for _, m := range f.Metadata {
		k, v, ok := strings.Cut(m, "=")
		if !ok {
			return nil, cli.Usagef("invalid argument %q for \"--metadata\" flag: want NAME=VALUE", m)
		}
		opts = append(opts, s3.Metadata(k, v))
	}
	opts = append(opts, extra...)
	// Options are checked before any request: a mistake is a usage error.
	if f.SizeHint.Given && s3.PartSizeFor(f.SizeHint.V)+overhead > mem {
		return nil, cli.Usagef("--size-hint %s needs parts of %dM: give --s3-memory %dM or more",
			f.FS.Lookup("size-hint").Value.String(), s3.PartSizeFor(f.SizeHint.V)>>20, (s3.PartSizeFor(f.SizeHint.V)+overhead)>>20)
	}
	if err := s3.CheckOptions(opts...); err != nil {
		return nil, cli.Usagef("%v", err)
	}
	c, err := Client(f.PathStyle)
	if err != nil {
		return nil, err
	}
	return s3.Create(ctx, c, bucket, key, opts...)
}

// Stale returns the job of --s3-abort-stale: abort the incomplete uploads
// under prefix older than --older-than, one line on out for each.
func stale(f *s3flags.SinkFlags, prefix string, env *cli.Env) (*cli.Stage, error) {
	bucket, p, err := s3.ParseURL(prefix, true)
	if err != nil {
		return nil, cli.Usagef("%s: %v", prefix, err)
	}
	if f.OlderThan < 0 {
		return nil, cli.Usagef("invalid argument for \"--older-than\" flag: negative")
	}
	c, err := Client(f.PathStyle)
	if err != nil {
		return nil, err
	}
	return &cli.Stage{Job: func(ctx context.Context) error {
		_, err := c.AbortStale(ctx, bucket, p, f.OlderThan, func(u s3.Upload) {
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

// buildSink is fsink's stage for an s3:// destination, or the
// --s3-abort-stale job.
func buildSink(f *s3flags.SinkFlags, dest string, noClobber, allowEmpty bool, env *cli.Env) (*cli.Stage, error) {
	if f.AbortStale {
		return stale(f, dest, env)
	}
	if f.FS.Changed("older-than") {
		return nil, cli.Usagef("--older-than applies to --s3-abort-stale only")
	}
	var opts []s3.Option
	if noClobber {
		opts = append(opts, s3.NoClobber())
	}
	if allowEmpty {
		opts = append(opts, s3.AllowEmpty())
	}
	w, err := sink(env.Ctx, f, dest, opts...)
	if err != nil {
		return nil, err
	}
	return &cli.Stage{Sink: w, Undo: []func() error{w.Abort}}, nil
}

// buildSource is fread's stage for one s3:// object.
func buildSource(name string, pathStyle bool, offset, length int64, env *cli.Env) (*cli.Stage, error) {
	r, err := Source(env.Ctx, name, pathStyle, offset, length)
	if err != nil {
		return nil, err
	}
	return &cli.Stage{Source: r, Close: r.Close}, nil
}
