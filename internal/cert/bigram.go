package cert

import (
	"strings"
	"unicode/utf8"
)

// Bigrams splits a FuzzyKey into overlapping two-character tokens joined
// by spaces ("百度在线" → "百度 度在 在线"); a one-character key is its own
// token. A store that indexes names this way in a positional full-text
// index finds every name containing a keyword with a phrase query over
// the keyword's bigrams, for keywords of any length from two characters.
func Bigrams(fuzzy string) string {
	n := utf8.RuneCountInString(fuzzy)
	if n < 2 {
		return fuzzy
	}
	if !utf8.ValidString(fuzzy) {
		return bigramsOfRunes([]rune(fuzzy))
	}
	// Each bigram is a substring of two runes; every rune but the first
	// and the last is written twice.
	_, first := utf8.DecodeRuneInString(fuzzy)
	_, last := utf8.DecodeLastRuneInString(fuzzy)
	var b strings.Builder
	b.Grow(2*len(fuzzy) - first - last + n - 2)
	prev, cur := 0, first
	for cur < len(fuzzy) {
		_, size := utf8.DecodeRuneInString(fuzzy[cur:])
		if prev > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(fuzzy[prev : cur+size])
		prev, cur = cur, cur+size
	}
	return b.String()
}

// bigramsOfRunes is Bigrams of a string with invalid UTF-8, whose bytes
// become U+FFFD.
func bigramsOfRunes(rs []rune) string {
	var b strings.Builder
	for i := 0; i+1 < len(rs); i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(rs[i])
		b.WriteRune(rs[i+1])
	}
	return b.String()
}

// commonBigrams occur in a large share of all company names (legal forms
// and generic lines of business): an index lookup on them reads a posting
// list nearly as long as the store, and they select almost nothing.
var commonBigrams = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range []string{
		"有限公司", "有限责任公司", "股份有限公司", "集团有限公司", "分公司",
		"科技有限", "技术有限", "工程有限", "设备有限", "贸易有限", "发展有限",
		"实业有限", "制造有限", "管理有限", "服务有限", "电子有限", "电器有限",
		"信息技术", "网络科技", "软件技术", "数据科技", "智能科技", "电子科技",
		"生物科技", "医药科技", "环保科技", "建设工程", "建筑工程", "装饰工程",
		"机械制造", "自动化设备", "电气设备", "电力设备", "医疗器械", "物业管理",
		"商贸", "进出口", "中国", "中心", "企业", "工业", "产业", "新材料",
	} {
		for _, k := range []string{w, FuzzyKey(w)} {
			rs := []rune(k)
			for i := 0; i+1 < len(rs); i++ {
				m[string(rs[i:i+2])] = true
			}
		}
	}
	return m
}()

// SelectiveBigrams returns the distinct bigrams of a FuzzyKey of two or
// more characters that are not among the most common ones in company
// names, for an index lookup that finds candidates cheaply (the caller
// then checks that a candidate's name contains the whole key). It returns
// nil when every bigram is common; the caller then needs them all.
func SelectiveBigrams(fuzzy string) []string {
	rs := []rune(fuzzy)
	var out []string
	seen := map[string]bool{}
	for i := 0; i+1 < len(rs); i++ {
		g := string(rs[i : i+2])
		if !commonBigrams[g] && !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	return out
}
