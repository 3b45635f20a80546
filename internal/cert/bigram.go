package cert

import "strings"

// Bigrams splits a FuzzyKey into overlapping two-character tokens joined
// by spaces ("百度在线" → "百度 度在 在线"); a one-character key is its own
// token. A store that indexes names this way in a positional full-text
// index finds every name containing a keyword with a phrase query over
// the keyword's bigrams, for keywords of any length from two characters.
func Bigrams(fuzzy string) string {
	rs := []rune(fuzzy)
	if len(rs) < 2 {
		return fuzzy
	}
	var b strings.Builder
	b.Grow(len(fuzzy) * 2)
	for i := 0; i+1 < len(rs); i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(rs[i])
		b.WriteRune(rs[i+1])
	}
	return b.String()
}
