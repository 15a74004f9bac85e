package s3test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Call is one request that reached the proxy.
type Call struct {
	Kind   string // create, part, complete, abort, put, get, head, list, other
	Part   int    // the part number of a part upload
	Method string
	Path   string
	N      int // how many calls of this Kind (and Part) came before, plus one
}

// Action is what the proxy does with a call; the zero Action forwards it.
type Action struct {
	Delay  time.Duration // wait before anything else
	Status int           // answer this status with an S3 error body, unforwarded
	Code   string        // the S3 error code for Status ("SlowDown")
	Cut    bool          // close the connection without an answer, unforwarded
	Lose   bool          // forward, then close the connection without the answer
	// CutAfter, when > 0, forwards and sends this many bytes of the answer's
	// body, then closes the connection.
	CutAfter int64
}

// Rule chooses the action for a call.
type Rule func(Call) Action

// Proxy forwards requests to a server, with faults chosen by its rule.
type Proxy struct {
	URL    string
	target *url.URL
	tr     *http.Transport

	mu     sync.Mutex
	rule   Rule
	counts map[string]int
	calls  []Call
}

// NewProxy starts a proxy to target (a server's URL), stopped when t ends.
func NewProxy(t testing.TB, target string, rule Rule) *Proxy {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{target: u, rule: rule, counts: map[string]int{}, tr: &http.Transport{}}
	srv := httptest.NewServer(p)
	p.URL = srv.URL
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		p.tr.CloseIdleConnections()
	})
	return p
}

// SetRule replaces the rule and starts counting anew.
func (p *Proxy) SetRule(r Rule) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rule, p.counts, p.calls = r, map[string]int{}, nil
}

// Calls returns the calls seen since the rule was set.
func (p *Proxy) Calls() []Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Call(nil), p.calls...)
}

func kind(r *http.Request) (string, int) {
	q := r.URL.Query()
	_, uploads := q["uploads"]
	switch {
	case r.Method == http.MethodPost && uploads:
		return "create", 0
	case r.Method == http.MethodGet && uploads:
		return "list", 0
	case r.Method == http.MethodPut && q.Get("partNumber") != "":
		var n int
		fmt.Sscan(q.Get("partNumber"), &n)
		return "part", n
	case r.Method == http.MethodPost && q.Get("uploadId") != "":
		return "complete", 0
	case r.Method == http.MethodDelete && q.Get("uploadId") != "":
		return "abort", 0
	case r.Method == http.MethodPut:
		return "put", 0
	case r.Method == http.MethodGet:
		return "get", 0
	case r.Method == http.MethodHead:
		return "head", 0
	}
	return "other", 0
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	k, part := kind(r)
	p.mu.Lock()
	id := fmt.Sprintf("%s/%d", k, part)
	p.counts[id]++
	c := Call{Kind: k, Part: part, Method: r.Method, Path: r.URL.Path, N: p.counts[id]}
	p.calls = append(p.calls, c)
	rule := p.rule
	p.mu.Unlock()
	var a Action
	if rule != nil {
		a = rule(c)
	}
	if a.Delay > 0 {
		select {
		case <-time.After(a.Delay):
		case <-r.Context().Done():
			return
		}
	}
	switch {
	case a.Cut:
		io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		hangUp(w)
		return
	case a.Status != 0:
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(a.Status)
		fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>injected by the test proxy</Message></Error>", a.Code)
		return
	}
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.URL.Scheme, out.URL.Host = p.target.Scheme, p.target.Host
	out.Host = r.Host // the signature covers the host the client saw
	if r.ContentLength == 0 {
		out.Body = nil
	}
	resp, err := p.tr.RoundTrip(out)
	if err != nil {
		hangUp(w)
		return
	}
	defer resp.Body.Close()
	if a.Lose {
		io.Copy(io.Discard, resp.Body)
		hangUp(w)
		return
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	if a.CutAfter > 0 {
		io.CopyN(w, resp.Body, a.CutAfter)
		http.NewResponseController(w).Flush()
		hangUp(w)
		return
	}
	io.Copy(w, resp.Body)
}

// hangUp closes the client's connection without another byte.
func hangUp(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}

// Only applies a to the calls of kind (and part, when part > 0) whose
// count is in ns (every one when ns is empty).
func Only(kind string, part int, a Action, ns ...int) Rule {
	return func(c Call) Action {
		if c.Kind != kind || (part > 0 && c.Part != part) {
			return Action{}
		}
		if len(ns) == 0 {
			return a
		}
		for _, n := range ns {
			if c.N == n {
				return a
			}
		}
		return Action{}
	}
}

// Kinds returns the kinds of the calls, joined by spaces (for messages).
func Kinds(cs []Call) string {
	var b []string
	for _, c := range cs {
		if c.Kind == "part" {
			b = append(b, fmt.Sprintf("part%d", c.Part))
		} else {
			b = append(b, c.Kind)
		}
	}
	return strings.Join(b, " ")
}
