package s3_test

import (
	"context"
	"log"
	"os"

	"github.com/fpipe/fpipe/stages"
	"github.com/fpipe/fpipe/stages/s3"
)

// Upload a file as s3://backups/db.dump: the object appears only if the
// whole copy succeeded. (Not run: it needs a server.)
func Example() {
	ctx := context.Background()
	cfg, err := s3.LoadConfig(nil) // AWS_* variables and ~/.aws files
	if err != nil {
		log.Fatal(err)
	}
	c, err := s3.NewClient(cfg)
	if err != nil {
		log.Fatal(err)
	}
	src, err := os.Open("db.dump")
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()
	dst, err := s3.Create(ctx, c, "backups", "db.dump", s3.ContentType("application/sql"))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := stages.Run(ctx, stages.Chain{Source: src, Sink: dst}); err != nil {
		log.Fatal(err) // the upload was aborted; the old object is still there
	}
}

// Read an object back, pinned to one version of it. (Not run.)
func ExampleOpen() {
	ctx := context.Background()
	cfg, _ := s3.LoadConfig(nil)
	c, _ := s3.NewClient(cfg)
	r, err := s3.Open(ctx, c, "backups", "db.dump", s3.Offset(1<<20), s3.Length(4096))
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	if _, err := stages.Run(ctx, stages.Chain{Source: r, Sink: stages.StdoutSink(os.Stdout)}); err != nil {
		log.Fatal(err)
	}
}
