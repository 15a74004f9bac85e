package cli

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
)

// SizeHelp explains the size syntax; --help prints it for tools with SIZE flags.
const SizeHelp = `SIZE is a number of bytes, optionally with a fraction and a unit as dd(1)
counts them: K, M, G, T, P (or KiB, MiB, GiB, TiB, PiB) are powers of 1024;
KB, MB, GB, TB, PB are powers of 1000. So 64K = 64KiB = 65536, 64KB = 64000,
1.5M = 1572864. Lower-case k, m, g, t, p are powers of 1024 too, as pv(1)
and mbuffer(1) take them: 1m = 1M = 1048576.`

var units = map[string]int64{
	"": 1, "B": 1, "c": 1,
	"K": 1 << 10, "k": 1 << 10, "KiB": 1 << 10, "kiB": 1 << 10,
	"M": 1 << 20, "m": 1 << 20, "MiB": 1 << 20,
	"G": 1 << 30, "g": 1 << 30, "GiB": 1 << 30,
	"T": 1 << 40, "t": 1 << 40, "TiB": 1 << 40,
	"P": 1 << 50, "p": 1 << 50, "PiB": 1 << 50,
	"KB": 1e3, "kB": 1e3,
	"MB": 1e6, "GB": 1e9, "TB": 1e12, "PB": 1e15,
}

// ParseSize reads a size as SizeHelp describes it. It rejects negative
// sizes, fractions of a byte, values above math.MaxInt64 and anything else
// that is not a size.
func ParseSize(s string) (int64, error) {
	num := strings.TrimSpace(s)
	if num == "" {
		return 0, errors.New("empty size")
	}
	if num[0] == '-' {
		return 0, errors.New("negative size")
	}
	i := 0
	for i < len(num) && (num[i] >= '0' && num[i] <= '9' || num[i] == '.') {
		i++
	}
	digits, unit := num[:i], num[i:]
	if digits == "" || strings.Count(digits, ".") > 1 || digits[0] == '.' || digits[len(digits)-1] == '.' {
		return 0, fmt.Errorf("not a size: %q", s)
	}
	mult, ok := units[unit]
	if !ok {
		return 0, fmt.Errorf("unknown unit %q (use K, M, G, T, P, KiB…, or KB, MB…)", unit)
	}
	r, ok := new(big.Rat).SetString(digits)
	if !ok {
		return 0, fmt.Errorf("not a size: %q", s)
	}
	r.Mul(r, new(big.Rat).SetInt64(mult))
	if !r.IsInt() {
		return 0, fmt.Errorf("%s is not a whole number of bytes", s)
	}
	v := r.Num()
	if !v.IsInt64() || v.Int64() > math.MaxInt64 {
		return 0, fmt.Errorf("%s is too large", s)
	}
	return v.Int64(), nil
}

// FormatSize writes n in the largest binary unit that keeps it whole, so that
// ParseSize(FormatSize(n)) == n: 65536 → "64KiB".
func FormatSize(n int64) string {
	for _, u := range []struct {
		s string
		v int64
	}{{"PiB", 1 << 50}, {"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n != 0 && n%u.v == 0 {
			return fmt.Sprintf("%d%s", n/u.v, u.s)
		}
	}
	return fmt.Sprintf("%d", n)
}

// Size is a pflag.Value for a SIZE flag.
type Size struct {
	V     int64
	Given bool // whether the flag was given
}

func (s *Size) String() string {
	if s == nil {
		return "0"
	}
	return FormatSize(s.V)
}

// Set parses v with ParseSize.
func (s *Size) Set(v string) error {
	n, err := ParseSize(v)
	if err != nil {
		return err
	}
	s.V, s.Given = n, true
	return nil
}

// Type names the value in --help.
func (s *Size) Type() string { return "SIZE" }
