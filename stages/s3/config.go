package s3

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Credentials sign requests. String never shows the secret or the token.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
}

// String names the key ID only.
func (c Credentials) String() string { return "access key " + c.AccessKeyID }

// GoString is String, so %#v does not print the secret either.
func (c Credentials) GoString() string { return c.String() }

// Config says where and as whom to reach S3.
type Config struct {
	Credentials Credentials
	// Region signs requests; default us-east-1.
	Region string
	// Endpoint is the server's base URL (scheme and host); empty means AWS
	// (https://s3.REGION.amazonaws.com).
	Endpoint string
	// PathStyle puts the bucket in the path (http://host/bucket/key)
	// instead of the host name (http://bucket.host/key). LoadConfig sets it
	// for an endpoint given as an IP address or localhost.
	PathStyle bool
}

// ErrNoCredentials is returned by LoadConfig when no access key was found.
var ErrNoCredentials = errors.New("no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE and ~/.aws/credentials")

// LoadConfig reads the configuration the way the AWS command-line tools
// do, from getenv (os.Getenv when nil) and the shared files:
//
//   - credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
//     AWS_SESSION_TOKEN; else aws_access_key_id, aws_secret_access_key and
//     aws_session_token of the profile (AWS_PROFILE, else "default") in the
//     credentials file (AWS_SHARED_CREDENTIALS_FILE, else
//     ~/.aws/credentials), then in the config file;
//   - region: AWS_REGION, AWS_DEFAULT_REGION, the profile's region in the
//     config file (AWS_CONFIG_FILE, else ~/.aws/config), else us-east-1;
//   - endpoint: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's
//     endpoint_url (in its s3 section, then at its top level);
//   - path style: the profile's s3 addressing_style = path, or an endpoint
//     whose host is an IP address or localhost.
//
// Single sign-on, credential_process, assumed roles and instance metadata
// are not supported; such a profile fails with ErrNoCredentials.
func LoadConfig(getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	var c Config
	profile := getenv("AWS_PROFILE")
	if profile == "" {
		profile = "default"
	}
	home, _ := os.UserHomeDir()
	cfgPath := getenv("AWS_CONFIG_FILE")
	if cfgPath == "" && home != "" {
		cfgPath = filepath.Join(home, ".aws", "config")
	}
	credPath := getenv("AWS_SHARED_CREDENTIALS_FILE")
	if credPath == "" && home != "" {
		credPath = filepath.Join(home, ".aws", "credentials")
	}
	cfgSection := "profile " + profile
	if profile == "default" {
		cfgSection = "default"
	}
	cfg, err := readINI(cfgPath, cfgSection)
	if err != nil {
		return c, err
	}
	if cfg == nil && profile != "default" {
		// Some write [name] in the config file too.
		if cfg, err = readINI(cfgPath, profile); err != nil {
			return c, err
		}
	}
	creds, err := readINI(credPath, profile)
	if err != nil {
		return c, err
	}

	c.Credentials = Credentials{
		AccessKeyID:     getenv("AWS_ACCESS_KEY_ID"),
		SecretAccessKey: getenv("AWS_SECRET_ACCESS_KEY"),
		SessionToken:    getenv("AWS_SESSION_TOKEN"),
	}
	if c.Credentials.AccessKeyID == "" || c.Credentials.SecretAccessKey == "" {
		c.Credentials = Credentials{}
		for _, m := range []map[string]string{creds, cfg} {
			if m["aws_access_key_id"] != "" && m["aws_secret_access_key"] != "" {
				c.Credentials = Credentials{m["aws_access_key_id"], m["aws_secret_access_key"], m["aws_session_token"]}
				break
			}
		}
	}
	if c.Credentials.AccessKeyID == "" {
		if getenv("AWS_PROFILE") != "" && creds == nil && cfg == nil {
			return c, fmt.Errorf("profile %q not found in %s or %s", profile, credPath, cfgPath)
		}
		return c, ErrNoCredentials
	}
	c.Region = first(getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION"), cfg["region"], "us-east-1")
	c.Endpoint = first(getenv("AWS_ENDPOINT_URL_S3"), getenv("AWS_ENDPOINT_URL"), cfg["s3.endpoint_url"], cfg["endpoint_url"])
	if cfg["s3.addressing_style"] == "path" {
		c.PathStyle = true
	}
	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, fmt.Errorf("endpoint %q: not an http or https URL", redactURL(c.Endpoint))
		}
		if h := u.Hostname(); net.ParseIP(h) != nil || h == "localhost" {
			c.PathStyle = true
		}
	}
	return c, nil
}

func first(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// redactURL hides a password in a URL's user part.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		if i := strings.LastIndex(s, "@"); i >= 0 {
			return "…" + s[i:]
		}
		return s
	}
	return u.Redacted()
}

// readINI returns the keys of one section of an AWS shared file; a key of
// a nested block ("s3 =" then indented lines) is returned as "s3.key". A
// missing file or section is nil, no error.
func readINI(path, section string) (map[string]string, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var m map[string]string
	in := false
	nested := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		raw := sc.Text()
		line := strings.TrimSpace(raw)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' {
			name := strings.TrimSpace(strings.Trim(line, "[]"))
			in = strings.Join(strings.Fields(name), " ") == section
			if in && m == nil {
				m = map[string]string{}
			}
			nested = ""
			continue
		}
		if !in {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		indented := raw[0] == ' ' || raw[0] == '\t'
		switch {
		case indented && nested != "":
			m[nested+"."+k] = v
		case v == "":
			nested = k
		default:
			nested = ""
			m[k] = v
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}
