package s3

import (
	"errors"
	"strconv"
	"strings"
)

// Scheme prefixes every S3 location.
const Scheme = "s3://"

// IsURL reports whether s names an S3 location (starts with s3://).
func IsURL(s string) bool { return strings.HasPrefix(s, Scheme) }

// ParseURL splits s3://bucket/key into bucket and key. The key may be
// empty only when allowEmptyKey is set (a prefix of every key).
func ParseURL(s string, allowEmptyKey bool) (bucket, key string, err error) {
	if !IsURL(s) {
		return "", "", errors.New("not an s3:// URL")
	}
	rest := s[len(Scheme):]
	bucket, key, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", errors.New("no bucket in s3:// URL")
	}
	if key == "" && !allowEmptyKey {
		return "", "", errors.New("no key in s3:// URL")
	}
	return bucket, key, nil
}

// DisplayName is s3://bucket/key for messages, quoted when it holds a
// control character, so that a newline in a key never makes two lines.
func DisplayName(bucket, key string) string {
	s := Scheme + bucket + "/" + key
	if strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return strconv.Quote(s)
	}
	return s
}
