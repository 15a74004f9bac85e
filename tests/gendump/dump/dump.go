// Package dump generates a deterministic synthetic database dump, shaped
// like pg_dump's plain SQL output: a schema, then COPY blocks of rows with
// ids, names, e-mail addresses, timestamps, amounts and free text. gzip -6
// shrinks it to roughly 30%. The same seed and size give the same bytes.
package dump

import (
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
)

// Reader yields a dump of exactly the size asked for.
type Reader struct {
	rng       *rand.Rand
	remaining int64
	buf       []byte // generated, not yet read
	row       int64
	table     int
	started   bool
}

// NewReader returns a dump of size bytes from seed.
func NewReader(seed uint64, size int64) *Reader {
	return &Reader{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), remaining: size}
}

var (
	first  = []string{"anna", "ben", "carla", "dmitri", "eva", "farid", "greta", "hiro", "ines", "jonas", "kemal", "lena", "marek", "nora", "oskar", "paula", "quentin", "rosa", "sven", "tara", "umar", "vera", "willem", "xenia", "yusuf", "zoe"}
	last   = []string{"schmidt", "garcia", "nguyen", "kowalski", "okafor", "rossi", "tanaka", "dubois", "novak", "silva", "jensen", "murphy", "fischer", "haddad", "larsen", "moreau"}
	domain = []string{"example.com", "mail.test", "corp.example", "post.example.org"}
	city   = []string{"Berlin", "Lisbon", "Osaka", "Lagos", "Montreal", "Krakow", "Lyon", "Bergen", "Austin", "Pune"}
	words  = []string{"order", "shipped", "pending", "refund", "priority", "customer", "requested", "delivery", "invoice", "warehouse", "express", "returned", "damaged", "replacement", "gift", "wrap", "note", "call", "before", "after", "weekend", "address", "changed", "confirmed"}
	tables = []string{"customers", "orders", "events"}
)

const header = `--
-- PostgreSQL database dump (synthetic sample, fpipe)
--

SET statement_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;

CREATE TABLE public.customers (id bigint NOT NULL, name text, email text, city text, created_at timestamp with time zone);
CREATE TABLE public.orders (id bigint NOT NULL, customer_id bigint, amount numeric(12,2), status text, note text, created_at timestamp with time zone);
CREATE TABLE public.events (id bigint NOT NULL, order_id bigint, kind text, payload text, at timestamp with time zone);

`

func (r *Reader) fill() {
	if !r.started {
		r.started = true
		r.buf = append(r.buf, header...)
	}
	if r.row%50000 == 0 {
		if r.row > 0 {
			r.buf = append(r.buf, "\\.\n\n"...)
			r.table = (r.table + 1) % len(tables)
		}
		r.buf = fmt.Appendf(r.buf, "COPY public.%s FROM stdin;\n", tables[r.table])
	}
	r.row++
	g := r.rng
	ts := func() []byte {
		return fmt.Appendf(nil, "20%02d-%02d-%02d %02d:%02d:%02d+00", 18+g.IntN(8), 1+g.IntN(12), 1+g.IntN(28), g.IntN(24), g.IntN(60), g.IntN(60))
	}
	b := strconv.AppendInt(r.buf, r.row, 10)
	switch tables[r.table] {
	case "customers":
		f, l := first[g.IntN(len(first))], last[g.IntN(len(last))]
		b = fmt.Appendf(b, "\t%s %s\t%s.%s%d@%s\t%s\t%s\n", f, l, f, l, g.IntN(1000), domain[g.IntN(len(domain))], city[g.IntN(len(city))], ts())
	case "orders":
		b = fmt.Appendf(b, "\t%d\t%d.%02d\t%s\t", 1+g.IntN(2000000), g.IntN(5000), g.IntN(100), words[g.IntN(4)])
		for i, n := 0, g.IntN(8); i < n; i++ {
			if i > 0 {
				b = append(b, ' ')
			}
			b = append(b, words[g.IntN(len(words))]...)
		}
		b = fmt.Appendf(b, "\t%s\n", ts())
	default:
		b = fmt.Appendf(b, "\t%d\t%s\t{\"ip\":\"10.%d.%d.%d\",\"ref\":\"%016x\"}\t%s\n", 1+g.IntN(5000000), words[g.IntN(len(words))], g.IntN(256), g.IntN(256), g.IntN(256), g.Uint64(), ts())
	}
	r.buf = b
}

// Read implements io.Reader.
func (r *Reader) Read(p []byte) (int, error) {
	if r.remaining <= 0 {
		return 0, io.EOF
	}
	for len(r.buf) < len(p) && int64(len(r.buf)) < r.remaining {
		r.fill()
	}
	n := copy(p, r.buf)
	if int64(n) > r.remaining {
		n = int(r.remaining)
	}
	r.remaining -= int64(n)
	r.buf = r.buf[:copy(r.buf, r.buf[n:])]
	return n, nil
}
