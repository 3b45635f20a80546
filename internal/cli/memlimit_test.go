package cli

import (
	"strings"
	"testing"
)

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

func TestMemoryLimitDefault(t *testing.T) {
	for _, tc := range []struct {
		vars map[string]string
		want string // the default serve --help shows
	}{
		{nil, `(default "400MiB")`},
		{map[string]string{"ZHENG_MEMORY_LIMIT": "1GiB"}, `(default "1GiB")`},
		{map[string]string{"GOMEMLIMIT": "300MiB"}, "(env ZHENG_MEMORY_LIMIT)\n"},
	} {
		env, out, _ := testEnv(tc.vars)
		if code := Main(t.Context(), []string{"serve", "--help"}, env); code != 0 {
			t.Fatalf("serve --help exit %d", code)
		}
		help := out.String()
		i := strings.Index(help, "-memory-limit")
		if i < 0 {
			t.Fatal("serve --help has no -memory-limit")
		}
		if line := help[i:]; !strings.Contains(line[:strings.Index(line, "-models")], tc.want) {
			t.Errorf("with %v, --memory-limit help = %q, want it to contain %q", tc.vars, line[:strings.Index(line, "-models")], tc.want)
		}
	}
}
