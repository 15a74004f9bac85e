package s3

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// The "GET Object" example of AWS's Signature Version 4 documentation.
func TestSignKnownAnswer(t *testing.T) {
	req, _ := http.NewRequest(http.MethodGet, "https://examplebucket.s3.amazonaws.com/test.txt", nil)
	req.Header.Set("Range", "bytes=0-9")
	c := Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	sign(req, c, "us-east-1", "s3", emptySHA256, time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC))
	want := "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, " +
		"SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, " +
		"Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
	if got := req.Header.Get("Authorization"); got != want {
		t.Errorf("sign: Authorization = %q, want %q", got, want)
	}
}

func TestURIEncode(t *testing.T) {
	for _, tc := range []struct{ in, path, query string }{
		{"a/b c", "a/b%20c", "a%2Fb%20c"},
		{"é~_-.", "%C3%A9~_-.", "%C3%A9~_-."},
		{"+=&?", "%2B%3D%26%3F", "%2B%3D%26%3F"},
	} {
		if got := uriEncode(tc.in, false); got != tc.path {
			t.Errorf("uriEncode(%q, false) = %q, want %q", tc.in, got, tc.path)
		}
		if got := uriEncode(tc.in, true); got != tc.query {
			t.Errorf("uriEncode(%q, true) = %q, want %q", tc.in, got, tc.query)
		}
	}
}

func TestObjectURL(t *testing.T) {
	aws, _ := NewClient(Config{Credentials: Credentials{"a", "b", ""}, Region: "eu-west-1"})
	local, _ := NewClient(Config{Credentials: Credentials{"a", "b", ""}, Endpoint: "http://127.0.0.1:9000", PathStyle: true})
	for _, tc := range []struct {
		c           *Client
		bucket, key string
		want        string
	}{
		{aws, "bk", "a/b c", "https://bk.s3.eu-west-1.amazonaws.com/a/b%20c"},
		{aws, "b.k", "x", "https://s3.eu-west-1.amazonaws.com/b.k/x"},
		{local, "bk", "x+y", "http://127.0.0.1:9000/bk/x%2By"},
		{local, "bk", "", "http://127.0.0.1:9000/bk"},
	} {
		if got := tc.c.objectURL(tc.bucket, tc.key, nil).String(); got != tc.want {
			t.Errorf("objectURL(%q, %q) = %q, want %q", tc.bucket, tc.key, got, tc.want)
		}
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials")
	cfg := filepath.Join(dir, "config")
	os.WriteFile(creds, []byte("[default]\naws_access_key_id = DEFKEY\naws_secret_access_key = defsecret\n\n[work]\naws_access_key_id=WORKKEY\naws_secret_access_key=worksecret\naws_session_token = worktoken\n"), 0o600)
	os.WriteFile(cfg, []byte("[default]\nregion = eu-central-1\n[profile work]\nregion = ap-south-1\ns3 =\n  addressing_style = path\n  endpoint_url = https://objects.example.com\n[profile onlycfg]\naws_access_key_id = CFGKEY\naws_secret_access_key = cfgsecret\nendpoint_url = http://10.0.0.1:7070\n"), 0o600)
	base := map[string]string{"AWS_SHARED_CREDENTIALS_FILE": creds, "AWS_CONFIG_FILE": cfg}
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	for _, tc := range []struct {
		name string
		env  func(string) string
		want Config
	}{
		{"default profile", env(), Config{Credentials{"DEFKEY", "defsecret", ""}, "eu-central-1", "", false}},
		{"named profile", env("AWS_PROFILE", "work"), Config{Credentials{"WORKKEY", "worksecret", "worktoken"}, "ap-south-1", "https://objects.example.com", true}},
		{"keys in the config file", env("AWS_PROFILE", "onlycfg"), Config{Credentials{"CFGKEY", "cfgsecret", ""}, "us-east-1", "http://10.0.0.1:7070", true}},
		{"environment first", env("AWS_ACCESS_KEY_ID", "ENVKEY", "AWS_SECRET_ACCESS_KEY", "envsecret", "AWS_REGION", "r1", "AWS_DEFAULT_REGION", "r2", "AWS_ENDPOINT_URL", "http://localhost:1", "AWS_ENDPOINT_URL_S3", "http://[::1]:2"),
			Config{Credentials{"ENVKEY", "envsecret", ""}, "r1", "http://[::1]:2", true}},
		{"default region", env("AWS_DEFAULT_REGION", "r2", "AWS_ENDPOINT_URL", "https://s3.example.net"), Config{Credentials{"DEFKEY", "defsecret", ""}, "r2", "https://s3.example.net", false}},
	} {
		got, err := LoadConfig(tc.env)
		if err != nil || got != tc.want {
			t.Errorf("%s: LoadConfig = %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
	if _, err := LoadConfig(env("AWS_PROFILE", "nosuch")); err == nil || !strings.Contains(err.Error(), "nosuch") {
		t.Errorf("LoadConfig with a missing profile = %v, want an error naming it", err)
	}
	if _, err := LoadConfig(func(string) string { return "" }); err == nil {
		// HOME may hold real files; only an empty HOME must fail.
		if home, _ := os.UserHomeDir(); home == "" {
			t.Errorf("LoadConfig with nothing = nil error")
		}
	}
	_, err := LoadConfig(env("AWS_ENDPOINT_URL", "ftp://user:pw@host"))
	if err == nil || strings.Contains(err.Error(), "pw") {
		t.Errorf("LoadConfig with a bad endpoint = %v; want an error without the password", err)
	}
	c := Credentials{"ID", "SECRET", "TOKEN"}
	for _, s := range []string{c.String(), c.GoString()} {
		if strings.Contains(s, "SECRET") || strings.Contains(s, "TOKEN") {
			t.Errorf("Credentials print as %q", s)
		}
	}
}

func TestPlan(t *testing.T) {
	for _, tc := range []struct {
		pool, hint int64
		atLeast    int64
	}{
		{DefaultBufferMemory, 0, 400 << 30},
		{MinBufferMemory, 0, 45 << 30},
		{176 << 20, 0, 1 << 40},
		{DefaultBufferMemory, 300 << 30, 300 << 30},
		{1100 << 20, 5 << 40, 5 << 40},
	} {
		p, err := newPlan(tc.pool, tc.hint)
		if err != nil {
			t.Fatalf("newPlan(%d, %d) = %v", tc.pool, tc.hint, err)
		}
		if got := p.capacity(); got < tc.atLeast {
			t.Errorf("newPlan(%d, %d).capacity() = %d, want at least %d", tc.pool, tc.hint, got, tc.atLeast)
		}
		for i := range MaxParts {
			s := p.size(i)
			if s < MinPartSize || s > tc.pool || s > MaxPartSize || s%chunkSize != 0 {
				t.Fatalf("newPlan(%d, %d).size(%d) = %d", tc.pool, tc.hint, i, s)
			}
		}
	}
	if _, err := newPlan(DefaultBufferMemory, 5<<40); err == nil {
		t.Errorf("newPlan(48 MiB, 5 TiB) = nil error, want one: parts would not fit")
	}
}

func TestChunkReader(t *testing.T) {
	var want []byte
	p := &part{}
	for i := range 3 {
		c := bytes.Repeat([]byte{byte('a' + i)}, chunkSize)
		p.chunks = append(p.chunks, c)
		want = append(want, c...)
	}
	p.n = 2*chunkSize + 5
	want = want[:p.n]
	if err := iotest.TestReader(p.reader(), want); err != nil {
		t.Error(err)
	}
	var b bytes.Buffer
	if n, err := io.Copy(&b, p.reader()); err != nil || n != p.n || !bytes.Equal(b.Bytes(), want) {
		t.Errorf("WriteTo = %d, %v", n, err)
	}
}

func TestDisplayName(t *testing.T) {
	if got := DisplayName("b", "a\nb"); got != `"s3://b/a\nb"` {
		t.Errorf("DisplayName(b, a\\nb) = %s", got)
	}
	if got := DisplayName("b", "a b/é"); got != "s3://b/a b/é" {
		t.Errorf("DisplayName(b, a b/é) = %s", got)
	}
}
