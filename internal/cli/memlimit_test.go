package cli

import "testing"

func TestParseByteSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64 // 0: an error
	}{
		{"400MiB", 400 << 20},
		{"1GiB", 1 << 30},
		{"512MB", 512e6},
		{"1048576", 1 << 20},
		{" 2 GiB ", 2 << 30},
		{"", 0},
		{"0", 0},
		{"-1MiB", 0},
		{"400mb", 0},
		{"MiB", 0},
		{"99999999999TiB", 0},
	} {
		got, err := parseByteSize(tc.in)
		if tc.want == 0 && err == nil {
			t.Errorf("parseByteSize(%q) = %d, want an error", tc.in, got)
		}
		if tc.want != 0 && (err != nil || got != tc.want) {
			t.Errorf("parseByteSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}
