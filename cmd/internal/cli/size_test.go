package cli

import (
	"math"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

var parseSizeTests = []struct {
	in   string
	want int64
}{
	{"0", 0},
	{"1", 1},
	{"4096", 4096},
	{"00012", 12},
	{"512B", 512},
	{"512c", 512},
	{"64K", 65536},
	{"64k", 65536},
	{"64KiB", 65536},
	{"64kiB", 65536},
	{"64KB", 64000},
	{"64kB", 64000},
	{"1.5M", 1572864},
	{"1.5MiB", 1572864},
	{"1m", 1 << 20},
	{"50m", 50 << 20},
	{"2g", 2 << 30},
	{"1t", 1 << 40},
	{"1p", 1 << 50},
	{"1.0K", 1024},
	{"0.5K", 512},
	{"10G", 10 << 30},
	{"10GiB", 10 << 30},
	{"10GB", 10e9},
	{"1T", 1 << 40},
	{"1TB", 1e12},
	{"1P", 1 << 50},
	{"1PB", 1e15},
	{"8191P", 8191 << 50},
	{"9223372036854775807", math.MaxInt64},
	{" 64K ", 65536},
}

var parseSizeErrors = []struct {
	in   string
	want string // a part of the message
}{
	{"", "empty size"},
	{"   ", "empty size"},
	{"-1", "negative size"},
	{"-0", "negative size"},
	{"-64K", "negative size"},
	{"1.5", "not a whole number of bytes"},
	{"0.1K", "not a whole number of bytes"},
	{"1.5B", "not a whole number of bytes"},
	{"1X", `unknown unit "X"`},
	{"1 K", `unknown unit " K"`},
	{"1KIB", "unknown unit"},
	{"1mb", "unknown unit"},
	{"1mib", "unknown unit"},
	{"1e3", `unknown unit "e3"`},
	{"K", "not a size"},
	{".5M", "not a size"},
	{"5.M", "not a size"},
	{"1..2M", "not a size"},
	{"1.2.3", "not a size"},
	{".", "not a size"},
	{"+5", "not a size"},
	{"NaN", "not a size"},
	{"Inf", "not a size"},
	{"0x10", "unknown unit"},
	{"9223372036854775808", "too large"},
	{"8192P", "too large"},
	{"9P9", "unknown unit"},
	{"99999999999999999999999999999P", "too large"},
}

func TestParseSize(t *testing.T) {
	t.Parallel()
	for _, tt := range parseSizeTests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSize(tt.in)
			if got != tt.want || err != nil {
				t.Errorf("ParseSize(%q) = %d, %v, want %d, nil", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseSizeErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range parseSizeErrors {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSize(tt.in)
			if err == nil || got != 0 {
				t.Fatalf("ParseSize(%q) = %d, %v, want 0 and an error", tt.in, got, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseSize(%q) error = %q, want it to contain %q", tt.in, err, tt.want)
			}
		})
	}
}

func TestFormatSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0"},
		{1, "1"},
		{1000, "1000"},
		{1023, "1023"},
		{1024, "1KiB"},
		{1536, "1536"},
		{65536, "64KiB"},
		{1572864, "1536KiB"},
		{1 << 20, "1MiB"},
		{10 << 30, "10GiB"},
		{1 << 40, "1TiB"},
		{1 << 50, "1PiB"},
		{8191 << 50, "8191PiB"},
		{1 << 60, "1024PiB"},
		{math.MaxInt64, "9223372036854775807"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := FormatSize(tt.in); got != tt.want {
				t.Errorf("FormatSize(%d) = %q, want %q", tt.in, got, tt.want)
			}
			back, err := ParseSize(FormatSize(tt.in))
			if back != tt.in || err != nil {
				t.Errorf("ParseSize(FormatSize(%d)) = %d, %v, want %d, nil", tt.in, back, err, tt.in)
			}
		})
	}
	// Every value of the parse table survives the round trip.
	for _, tt := range parseSizeTests {
		if back, err := ParseSize(FormatSize(tt.want)); back != tt.want || err != nil {
			t.Errorf("ParseSize(FormatSize(%d)) = %d, %v, want %d, nil", tt.want, back, err, tt.want)
		}
	}
}

func TestSizeValue(t *testing.T) {
	t.Parallel()
	var _ pflag.Value = (*Size)(nil)

	var nilSize *Size
	if got := nilSize.String(); got != "0" {
		t.Errorf("(*Size)(nil).String() = %q, want %q", got, "0")
	}

	tests := []struct {
		name      string
		args      []string
		want      int64
		wantGiven bool
		wantErr   string // a part of the parse error; "" for none
	}{
		{"absent", nil, 0, false, ""},
		{"given", []string{"--block-size", "64K"}, 65536, true, ""},
		{"given with =", []string{"--block-size=1.5M"}, 1572864, true, ""},
		{"given zero", []string{"--block-size=0"}, 0, true, ""},
		{"last wins", []string{"--block-size=1K", "--block-size=2K"}, 2048, true, ""},
		{"bad", []string{"--block-size=1X"}, 0, false, `invalid argument "1X" for "--block-size" flag: unknown unit "X"`},
		{"negative", []string{"--block-size=-1"}, 0, false, `"--block-size" flag: negative size`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
			fs.SetOutput(new(strings.Builder))
			var v Size
			fs.Var(&v, "block-size", "block size")
			err := fs.Parse(tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse(%q) = %v, want an error containing %q", tt.args, err, tt.wantErr)
				}
				if v.Given {
					t.Errorf("Parse(%q): Given = true after an error, want false", tt.args)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q) = %v, want nil", tt.args, err)
			}
			if v.V != tt.want || v.Given != tt.wantGiven {
				t.Errorf("Parse(%q): Size = {%d, %v}, want {%d, %v}", tt.args, v.V, v.Given, tt.want, tt.wantGiven)
			}
			if got := fs.Lookup("block-size").Value.Type(); got != "SIZE" {
				t.Errorf("Type() = %q, want SIZE", got)
			}
			if got, want := v.String(), FormatSize(tt.want); got != want {
				t.Errorf("String() = %q, want %q", got, want)
			}
		})
	}
}

// FuzzParseSize checks that ParseSize never panics, never returns a
// negative size, and that what it accepts survives FormatSize.
func FuzzParseSize(f *testing.F) {
	for _, tt := range parseSizeTests {
		f.Add(tt.in)
	}
	for _, tt := range parseSizeErrors {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err != nil {
			if n != 0 {
				t.Errorf("ParseSize(%q) = %d, %v, want 0 with the error", s, n, err)
			}
			return
		}
		if n < 0 {
			t.Fatalf("ParseSize(%q) = %d, nil, want a size >= 0", s, n)
		}
		f := FormatSize(n)
		back, err := ParseSize(f)
		if back != n || err != nil {
			t.Fatalf("ParseSize(FormatSize(%d) = %q) = %d, %v, want %d, nil", n, f, back, err, n)
		}
	})
}
