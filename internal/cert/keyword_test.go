package cert

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCheckCharacters(t *testing.T) {
	// Worked examples of certificates.md §1.1–1.2.
	for _, c := range []string{"91110108717743469K", "91440300334945450M", "9111010859963405XW",
		"91371323760038087M", "91350200MA31E12PXF", "91110000710928807K", "91440101MA5BLUR8XY", "123502001549897397"} {
		if !ValidUSCC(c) {
			t.Errorf("ValidUSCC(%s) = false, want true", c)
		}
		if !ValidOrgCode(c[8:17]) {
			t.Errorf("ValidOrgCode(%s) = false, want true", c[8:17])
		}
	}
	for _, c := range []string{"91350203M0001QAY9B", "91310115MA1G4L1WXK", "91110108717743469J", "9111010871774346"} {
		if ValidUSCC(c) {
			t.Errorf("ValidUSCC(%s) = true, want false", c)
		}
	}
	for _, c := range []string{"110000410144104", "440301112653267", "110108015068911", "440301103762313", "100000000035742", "440106002725398"} {
		if !ValidRegNo(c) {
			t.Errorf("ValidRegNo(%s) = false, want true", c)
		}
	}
	if ValidRegNo("110000410144105") {
		t.Errorf("ValidRegNo(110000410144105) = true, want false")
	}
}

func TestParseKeyword(t *testing.T) {
	for _, tc := range []struct {
		in      string
		kind    KeywordKind
		value   string
		checkOK bool
	}{
		{"91110108717743469K", KindUSCC, "91110108717743469K", true},
		{" 91110108717743469k ", KindUSCC, "91110108717743469K", true},
		{"９１１１０１０８７１７７４３４６９Ｋ", KindUSCC, "91110108717743469K", true},
		{"91350203M0001QAY9B", KindUSCC, "91350203M0001QAY9B", false}, // issued with a bad check: still a code
		{"110000410144104", KindRegNo, "110000410144104", true},
		{"110000410144105", KindRegNo, "110000410144105", false},
		{"71774346-9", KindOrgCode, "717743469", true},
		{"717743469", KindOrgCode, "717743469", true},
		{"百度在线网络技术（北京）有限公司", KindName, "百度在线网络技术(北京)有限公司", false},
		{"abb (中国) 有限公司", KindName, "ABB(中国)有限公司", false},
		{"ABCDEFGHI", KindName, "ABCDEFGHI", false},               // no digit: a Latin name, not an org code
		{"9111010871774346", KindName, "9111010871774346", false}, // 16 digits: nothing
	} {
		got := ParseKeyword(tc.in)
		if got.Kind != tc.kind || got.Value != tc.value || got.CheckOK != tc.checkOK {
			t.Errorf("ParseKeyword(%q) = %+v, want {%v %q %v}", tc.in, got, tc.kind, tc.value, tc.checkOK)
		}
	}
}

func TestNameKeys(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"百度在线网络技术（北京）有限公司", "百度在线网络技术(北京)有限公司"},
		{"百度在线网络技术【北京】有限公司", "百度在线网络技术(北京)有限公司"},
		{"ＡＢＢ（中国）有限公司", "abb(中国) 有限公司"},
		{"ABB\u200b(中国)\u00a0有限公司", "ABB(中国)有限公司"},
		{"爱普生・科技有限公司", "爱普生·科技有限公司"},
		{"華為技術有限公司", "华为技术有限公司"},
	} {
		if NameKey(tc.a) != NameKey(tc.b) {
			t.Errorf("NameKey(%q) = %q, NameKey(%q) = %q; want equal", tc.a, NameKey(tc.a), tc.b, NameKey(tc.b))
		}
	}
	if NameKey("某某有限责任公司") == NameKey("某某有限公司") {
		t.Errorf("NameKey conflates 有限责任公司 and 有限公司; only fuzzy keys may")
	}
	for _, tc := range []struct{ in, want string }{
		{"某某有限责任公司", "某某有限公司"},
		{"某某股份有限公司", "某某股份公司"},
		{"百度在线网络技术（北京）有限公司", "百度在线网络技术北京有限公司"},
		{"A&B·科技", "AB科技"},
	} {
		if got := FuzzyKey(tc.in); got != tc.want {
			t.Errorf("FuzzyKey(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestResolveRejects(t *testing.T) {
	ok := Query{Keyword: "小桔科技", Page: 1, PageSize: 10}
	for _, tc := range []struct {
		name  string
		edit  func(*Query)
		param string
		err   error
	}{
		{"empty keyword", func(q *Query) { q.Keyword = "  " }, "Keyword", nil},
		{"page 0", func(q *Query) { q.Page = 0 }, "Page", nil},
		{"page size 21", func(q *Query) { q.PageSize = 21 }, "PageSize", nil},
		{"page size 0", func(q *Query) { q.PageSize = 0 }, "PageSize", nil},
		{"one character", func(q *Query) { q.Keyword = "桔" }, "", ErrKeywordTooShort},
		{"punctuation only", func(q *Query) { q.Keyword = "（）·" }, "", ErrKeywordTooShort},
		{"full-width one letter", func(q *Query) { q.Keyword = "Ａ " }, "", ErrKeywordTooShort},
		{"generic 有限公司", func(q *Query) { q.Keyword = "有限公司" }, "", ErrKeywordGeneric},
		{"generic 有限责任公司", func(q *Query) { q.Keyword = "有限责任公司" }, "", ErrKeywordGeneric},
		{"generic Co., Ltd.", func(q *Query) { q.Keyword = "Co., Ltd." }, "", ErrKeywordGeneric},
	} {
		q := ok
		tc.edit(&q)
		_, err := Resolve(q)
		var pe *ParamError
		switch {
		case tc.param != "" && (!errors.As(err, &pe) || pe.Param != tc.param):
			t.Errorf("%s: Resolve error = %v, want ParamError on %s", tc.name, err, tc.param)
		case tc.err != nil && !errors.Is(err, tc.err):
			t.Errorf("%s: Resolve error = %v, want %v", tc.name, err, tc.err)
		}
	}
	m, err := Resolve(Query{Keyword: "91110108717743469K", Exact: false, Page: 2, PageSize: 20})
	if err != nil || m.Kind != MatchCode || len(m.Codes) != 2 || m.Codes[1] != "717743469" || m.Offset != 20 {
		t.Errorf("Resolve(USCC) = %+v, %v; want a code match on the code and its org code, offset 20", m, err)
	}
	if m, _ := Resolve(Query{Keyword: "百度", Page: 1, PageSize: 1}); m.Kind != MatchFuzzy {
		t.Errorf("Resolve(two characters, fuzzy) kind = %v, want MatchFuzzy", m.Kind)
	}
}

func TestBigrams(t *testing.T) {
	for in, want := range map[string]string{"": "", "百": "百", "百度": "百度", "百度在线": "百度 度在 在线"} {
		if got := Bigrams(in); got != want {
			t.Errorf("Bigrams(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSelectiveBigrams(t *testing.T) {
	for _, c := range []struct {
		key  string
		want []string
	}{
		// The trade name survives; legal form and generic business words go.
		{"云晨装饰工程有限公司", []string{"云晨", "晨装"}},
		{"百度在线网络技术", []string{"百度", "度在", "在线", "线网", "络技"}},
		{"百度百度", []string{"百度", "度百"}}, // each bigram once
		{"有限公司", nil}, // all common: the caller needs the phrase
		{"百", nil},
	} {
		if got := SelectiveBigrams(c.key); !slices.Equal(got, c.want) {
			t.Errorf("SelectiveBigrams(%q) = %q, want %q", c.key, got, c.want)
		}
	}
}

func FuzzParseKeyword(f *testing.F) {
	for _, s := range []string{"91110108717743469K", "71774346-9", "110000410144104", "百度（北京）", "ＡＢＣ", "\u200b", "有限公司"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		kw := ParseKeyword(s)
		switch kw.Kind {
		case KindUSCC:
			if len(kw.Value) != 18 || kw.CheckOK != ValidUSCC(kw.Value) {
				t.Fatalf("ParseKeyword(%q) = %+v: not a consistent USCC", s, kw)
			}
		case KindRegNo:
			if len(kw.Value) != 15 || kw.CheckOK != ValidRegNo(kw.Value) {
				t.Fatalf("ParseKeyword(%q) = %+v: not a consistent registration number", s, kw)
			}
		case KindOrgCode:
			if len(kw.Value) != 9 {
				t.Fatalf("ParseKeyword(%q) = %+v: org code of length %d", s, kw, len(kw.Value))
			}
		case KindName:
			if kw.Value != NameKey(s) {
				t.Fatalf("ParseKeyword(%q).Value = %q, want NameKey %q", s, kw.Value, NameKey(s))
			}
		}
		if !utf8.ValidString(s) {
			return
		}
		// Normalisation is idempotent, and the fuzzy key is contained in
		// what it was derived from (up to the legal-form equivalences).
		k := NameKey(s)
		if NameKey(k) != k {
			t.Fatalf("NameKey not idempotent on %q: %q then %q", s, k, NameKey(k))
		}
		fz := FuzzyKey(s)
		if FuzzyKey(fz) != fz {
			t.Fatalf("FuzzyKey not idempotent on %q: %q then %q", s, fz, FuzzyKey(fz))
		}
		if strings.ContainsFunc(fz, func(r rune) bool { return r == ' ' || r == '(' || r == ')' }) {
			t.Fatalf("FuzzyKey(%q) = %q keeps spaces or brackets", s, fz)
		}
		// Whatever Resolve accepts as a name is at least two characters.
		if m, err := Resolve(Query{Keyword: s, Page: 1, PageSize: 1}); err == nil && m.Kind == MatchFuzzy && utf8.RuneCountInString(m.Key) < MinKeywordLen {
			t.Fatalf("Resolve(%q) accepted fuzzy key %q", s, m.Key)
		}
	})
}
