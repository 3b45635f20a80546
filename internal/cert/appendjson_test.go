package cert

import (
	"bytes"
	"testing"
)

// appendCases mix the bytes AppendJSONString writes as they are with
// those it escapes or replaces, around every lead byte of a three-byte
// sequence and at the end of the string.
var appendCases = []string{
	"", "plain", "中文（括号）", `q"uote\back`, "tab\tnl\ncr\r\x01\x1f\x7f", "<a&b>",
	"\u2028\u2029", "a\u2028b\u2029c", "\u2027\u202a", "bad\xffutf8", "\xe4\xb8", "中\xe4\xb8", "\xe4\xb8\xe4",
	"\xe0\x80\x80", "\xe0\xa0\x80", "\xed\xa0\x80", "\xed\x9f\xbf", "\xef\xbf\xbd", "\xef\xbf\xbf",
	"\xc0\xaf", "\xc2\x80", "é", "𠀀", "\xf0\x90\x80", "\xf4\x90\x80\x80", "\xe1\x80", "\xe1\x80\x7f",
}

func TestAppendJSONStringMatchesReference(t *testing.T) {
	for _, s := range appendCases {
		if got, want := AppendJSONString([]byte("x"), s), appendJSONStringRef([]byte("x"), s); !bytes.Equal(got, want) {
			t.Errorf("AppendJSONString(%q) = %q, reference %q", s, got, want)
		}
	}
}

func FuzzAppendJSONStringReference(f *testing.F) {
	for _, s := range appendCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := AppendJSONString(nil, s), appendJSONStringRef(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("AppendJSONString(%q) = %q, reference %q", s, got, want)
		}
	})
}
