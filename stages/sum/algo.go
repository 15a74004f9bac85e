package sum

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
	"hash/crc32"
	"strings"

	"github.com/fpipe/fpipe/internal/option"
	"github.com/zeebo/blake3"
)

// Algorithm is a digest that fsum computes. The zero value is not an
// algorithm; use the constants or ParseAlgorithm.
type Algorithm uint8

// The algorithms. SHA256 is the default everywhere.
const (
	SHA256 Algorithm = iota + 1
	SHA512
	SHA1
	MD5
	BLAKE3 // 256-bit output, as b3sum prints by default
	CRC32C // Castagnoli CRC-32, 4 bytes, big-endian (8 hex digits)
)

// All lists every algorithm in a fixed order.
var All = []Algorithm{SHA256, SHA512, SHA1, MD5, BLAKE3, CRC32C}

var algoInfo = [...]struct {
	name, tag string
	size      int
}{
	SHA256: {"sha256", "SHA256", sha256.Size},
	SHA512: {"sha512", "SHA512", sha512.Size},
	SHA1:   {"sha1", "SHA1", sha1.Size},
	MD5:    {"md5", "MD5", md5.Size},
	BLAKE3: {"blake3", "BLAKE3", 32},
	CRC32C: {"crc32c", "CRC32C", crc32.Size},
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ParseAlgorithm returns the algorithm named s: "sha256", "sha512", "sha1",
// "md5", "blake3" or "crc32c", in any case (so the tags of tagged lines,
// "SHA256", parse too).
func ParseAlgorithm(s string) (Algorithm, error) {
	for _, a := range All {
		if strings.EqualFold(s, algoInfo[a].name) {
			return a, nil
		}
	}
	const why = "unknown algorithm (want sha256, sha512, sha1, md5, blake3 or crc32c)"
	return 0, &option.Error{Msg: fmt.Sprintf("unknown algorithm %q (want sha256, sha512, sha1, md5, blake3 or crc32c)", s), Why: why}
}

// algorithmByTag returns the algorithm whose tag (as in "SHA256 (name) =
// hex") is exactly tag.
func algorithmByTag(tag string) (Algorithm, bool) {
	for _, a := range All {
		if tag == algoInfo[a].tag {
			return a, true
		}
	}
	return 0, false
}

// Valid reports whether a is one of the algorithms.
func (a Algorithm) Valid() bool { return a >= SHA256 && a <= CRC32C }

// String is the algorithm's lower-case name: "sha256".
func (a Algorithm) String() string {
	if !a.Valid() {
		return fmt.Sprintf("Algorithm(%d)", uint8(a))
	}
	return algoInfo[a].name
}

// Tag is the name used in tagged lines: "SHA256".
func (a Algorithm) Tag() string {
	if !a.Valid() {
		return a.String()
	}
	return algoInfo[a].tag
}

// Size is the digest's length in bytes; its hex form is twice as long.
func (a Algorithm) Size() int {
	if !a.Valid() {
		return 0
	}
	return algoInfo[a].size
}

// New returns a new hash.Hash computing a. It panics if a is not valid.
func (a Algorithm) New() hash.Hash {
	switch a {
	case SHA256:
		return sha256.New()
	case SHA512:
		return sha512.New()
	case SHA1:
		return sha1.New()
	case MD5:
		return md5.New()
	case BLAKE3:
		return blake3.New()
	case CRC32C:
		return crc32.New(castagnoli)
	}
	panic("sum: invalid algorithm " + a.String())
}
