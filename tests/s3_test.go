package tests

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/fpipe/fpipe/stages/s3"
	"github.com/fpipe/fpipe/stages/s3/s3test"
	"github.com/rogpeppe/go-internal/testscript"
)

const s3Bucket = "bkt"

// TestS3Scripts runs testdata/s3script against a fresh versitygw per
// script: $S3DIR is the folder it serves ($S3DIR/bkt/KEY is the object
// KEY of bucket bkt), and the AWS_* variables point the tools at it.
func TestS3Scripts(t *testing.T) {
	s3test.Require(t)
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/s3script",
		RequireExplicitExec: true,
		UpdateScripts:       *update,
		Setup: func(e *testscript.Env) error {
			srv := s3test.Start(e.T().(testing.TB), s3Bucket)
			e.Setenv("PATH", os.Getenv("PATH"))
			e.Setenv("HOME", e.WorkDir)
			for _, kv := range srv.Env("") {
				k, v, _ := strings.Cut(kv, "=")
				e.Setenv(k, v)
			}
			e.Setenv("S3DIR", srv.Dir)
			e.Setenv("S3SECRET", s3test.Secret)
			return nil
		},
		Condition: condition,
		Cmds:      s3Commands(),
	})
}

// s3Commands adds to the common commands: nouploads [BUCKET] fails when
// an incomplete upload is left; uploads N [BUCKET] wants exactly N.
func s3Commands() map[string]func(*testscript.TestScript, bool, []string) {
	m := map[string]func(*testscript.TestScript, bool, []string){}
	for k, v := range commands {
		m[k] = v
	}
	m["uploads"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 1 {
			ts.Fatalf("usage: uploads N")
		}
		ups, err := s3ClientFromEnv(ts.Getenv).ListUploads(context.Background(), s3Bucket, "")
		ts.Check(err)
		if got := fmt.Sprint(len(ups)); (got == args[0]) == neg {
			ts.Fatalf("%s incomplete uploads, want %s", got, args[0])
		}
	}
	return m
}

func s3ClientFromEnv(getenv func(string) string) *s3.Client {
	cfg, err := s3.LoadConfig(getenv)
	if err != nil {
		panic(err)
	}
	c, err := s3.NewClient(cfg)
	if err != nil {
		panic(err)
	}
	return c
}
