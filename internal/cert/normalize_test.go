package cert

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// The reference forms the fast paths must match byte for byte.

func fuzzyKeySlow(s string) string {
	var b strings.Builder
	for _, r := range nameKeySlow(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return fuzzySuffixes.Replace(b.String())
}

func codeKeySlow(s string) string {
	var b strings.Builder
	for _, r := range foldWidth(s) {
		switch {
		case r == '-' || r == ' ' || isSpaceOrInvisible(r):
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func bigramsSlow(fuzzy string) string {
	rs := []rune(fuzzy)
	if len(rs) < 2 {
		return fuzzy
	}
	var parts []string
	for i := 0; i+1 < len(rs); i++ {
		parts = append(parts, string(rs[i:i+2]))
	}
	return strings.Join(parts, " ")
}

// checkKeys fails when a fast path disagrees with its reference on s.
func checkKeys(t *testing.T, s string) {
	t.Helper()
	if got, want := NameKey(s), nameKeySlow(s); got != want {
		t.Fatalf("NameKey(%q) = %q, reference %q", s, got, want)
	}
	if got, want := FuzzyKey(s), fuzzyKeySlow(s); got != want {
		t.Fatalf("FuzzyKey(%q) = %q, reference %q", s, got, want)
	}
	if got, want := CodeKey(s), codeKeySlow(s); got != want {
		t.Fatalf("CodeKey(%q) = %q, reference %q", s, got, want)
	}
	if got, want := Bigrams(s), bigramsSlow(s); got != want {
		t.Fatalf("Bigrams(%q) = %q, reference %q", s, got, want)
	}
}

// trickyNames mix the fast set with what must leave it: compatibility
// characters, combining marks, invalid UTF-8, case mappings beyond ASCII.
var trickyNames = []string{
	"",
	"北京百度网讯科技有限公司",
	"百度在线网络技术（北京）有限公司",
	"ＡＢＢ（中国）有限公司",
	"abb [中国] {有限} 公司",
	"華為技術有限公司",
	"中環聯合（北京）認證中心有限公司",
	"北京\u3000百度\u200b网讯\u00ad科技\ufeff有限公司",
	"〔北京〕【百度】〖网讯〗｟科技｠⦅有限⦆",
	"李•明・公司‧⋅∙●･·",
	"株式会社㈱ヤマハ",
	"カ\u3099ス", // a voiced mark NFKC composes with the kana before it
	"e\u0301cole société",
	"A\u0301",
	"(\u0301)",
	"中\u0301国",
	"Ｋ\u0301",
	"\u3000\u0301",
	"ﬁnance ǅ İstanbul straße Kelvin\u212a",
	"①②③ ⑴ ㈠",
	"豈更車 ⼀⼆ 𠀀𠀁",
	"\xff北京\xe4\xb8",
	"\xe4\xb8\xad\xe5",
	"\ufffd",
	"\u00a0nbsp\u2028\u2029",
	"\x00\x01\x7f",
	"Ａ－１２３ ９１１１０１０８７１７７４３４６９ｋ",
	"91110108717743469K",
	"9111 0108-7177 4346 9k",
	"股份有限公司有限责任公司股份有限责任公司",
	"股份有限", "有限公司股份", "有限责任", "有限有限责任公司", "股份股份有限公司", "有限股份有限公司", "股份（有限）公司", "股份有 限公司",
	"ＬＴＤ.，CO.,LTD",
	"한국전자 주식회사",
	"ᄀ\u1161\u11a8",
	"中\u200d国\u2060\u180e",
	"“北京”《百度》—公司、。",
}

func TestNameKeyFastMatchesReference(t *testing.T) {
	for _, s := range trickyNames {
		checkKeys(t, s)
	}
}

// TestNameKeyValues pins keys a user searches by.
func TestNameKeyValues(t *testing.T) {
	for _, tc := range []struct{ in, name, fuzzy string }{
		{"百度在线网络技术（北京）有限公司", "百度在线网络技术(北京)有限公司", "百度在线网络技术北京有限公司"},
		{"ａｂｂ 【中国】 有限责任公司", "ABB(中国)有限责任公司", "ABB中国有限公司"},
		{"華為技術股份有限公司", "华为技术股份有限公司", "华为技术股份公司"},
		{"李・明", "李·明", "李明"},
		{"北京\u3000百度", "北京百度", "北京百度"},
	} {
		if got := NameKey(tc.in); got != tc.name {
			t.Errorf("NameKey(%q) = %q, want %q", tc.in, got, tc.name)
		}
		if got := FuzzyKey(tc.in); got != tc.fuzzy {
			t.Errorf("FuzzyKey(%q) = %q, want %q", tc.in, got, tc.fuzzy)
		}
	}
}

// fastSet lists every rune nameKeyFast accepts.
func fastSet() []rune {
	var rs []rune
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if r < utf8.RuneSelf {
			rs = append(rs, r)
		} else if _, _, ok := fastRune(r); ok {
			rs = append(rs, r)
		}
	}
	return rs
}

// TestNameKeyFastRunes checks what makes the fast path sound: each rune of
// the fast set, and what NFKC makes of it, starts a segment that combines
// with nothing before it, so a string of such runes normalises rune by
// rune; and each rune's key is the reference key.
func TestNameKeyFastRunes(t *testing.T) {
	rs := fastSet()
	if len(rs) < 20000 {
		t.Fatalf("fast set has %d runes", len(rs))
	}
	for _, r := range rs {
		s := string(r)
		for _, d := range norm.NFKC.String(s) {
			p := norm.NFKC.PropertiesString(string(d))
			if !p.BoundaryBefore() || p.CCC() != 0 {
				t.Errorf("%U: NFKC gives %U, which can combine with what precedes it", r, d)
			}
		}
		if !norm.NFKC.IsNormalString(NameKey(s)) {
			t.Errorf("%U: key %q is not NFKC", r, NameKey(s))
		}
		if isIdeograph(r) && !unicode.IsLetter(r) {
			t.Errorf("%U: ideograph that is not a letter", r)
		}
		checkKeys(t, s)
	}
	// Pairs of the runes outside the ideograph blocks, with an ideograph
	// and a traditional one among them.
	var small []rune
	for _, r := range rs {
		if !isIdeograph(r) || r == '中' || r == '華' {
			small = append(small, r)
		}
	}
	for _, a := range small {
		for _, b := range small {
			checkKeys(t, string([]rune{a, b}))
		}
	}
}

// randomName draws a string from the fast set and from runes that must
// leave it, now and then with a broken byte.
func randomName(rng *rand.Rand, fast []rune) string {
	tricky := []rune{'\u0301', '\u3099', '\u309a', '\u0308', '\u1161', '\u11a8', 'ᄀ', '㈱', '①', 'ﬁ', 'ǅ', 'İ', 'ß', '\u212a',
		'\u00a0', '\u2028', '\u200b', '\u00ad', '\ufeff', '豈', '⼀', '𠀀', 'é', 'ｶ', 'ﾞ', '\ufffd', '\u0345', 'Ω', 'µ', '\u0e33'}
	var b strings.Builder
	n := rng.IntN(24)
	for range n {
		switch x := rng.IntN(100); {
		case x < 2:
			b.WriteByte(byte(0x80 + rng.IntN(0x80)))
		case x < 12:
			b.WriteRune(tricky[rng.IntN(len(tricky))])
		case x < 16:
			b.WriteString([]string{"股份", "有限", "公司", "责任", "有限公司"}[rng.IntN(5)])
		case x < 40:
			b.WriteRune(fast[rng.IntN(len(fast))])
		default:
			b.WriteRune(rune(cjkLo + rng.IntN(cjkHi-cjkLo+1)))
		}
	}
	return b.String()
}

func TestNameKeyRandom(t *testing.T) {
	fast := fastSet()
	var small []rune
	for _, r := range fast {
		if !isIdeograph(r) {
			small = append(small, r)
		}
	}
	for r := range simplified {
		small = append(small, r)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		checkKeys(t, randomName(rng, small))
	}
}

func FuzzNameKey(f *testing.F) {
	for _, s := range trickyNames {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkKeys(t, s) })
}
