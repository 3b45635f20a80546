package cert

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Most company names are CJK ideographs with a few ASCII or full-width
// characters. For a string made only of the runes nameKeyFast knows, NFKC
// is the identity or a fold of single runes to ASCII: every such rune and
// its fold is a starter that combines with no neighbour, so the whole
// string's NFKC is the concatenation of its runes' NFKC, and the key is
// computed in one pass without the normalizer. Any other rune sends the
// string to nameKeySlow. TestNameKeyFastRunes checks these properties
// against the normalizer for every rune of the fast set.

// dropByte marks an ASCII character that NameKey removes.
const dropByte = 0xff

// asciiKey is NameKey of each ASCII character, or dropByte.
var asciiKey = func() (t [utf8.RuneSelf]byte) {
	for i := range t {
		c := byte(i)
		switch {
		case c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' || c == ' ':
			t[i] = dropByte
		case c == '[' || c == '{':
			t[i] = '('
		case c == ']' || c == '}':
			t[i] = ')'
		case c >= 'a' && c <= 'z':
			t[i] = c - 'a' + 'A'
		default:
			t[i] = c
		}
	}
	return t
}()

// Ideographs of CJK Unified Ideographs Extension A and the main block:
// no decomposition, combining class 0, letters, their own upper case.
const (
	extALo, extAHi = 0x3400, 0x4dbf
	cjkLo, cjkHi   = 0x4e00, 0x9fff
)

func isIdeograph(r rune) bool {
	return r >= cjkLo && r <= cjkHi || r >= extALo && r <= extAHi
}

// traditionalBits flags the ideographs that simplified maps, so that the
// common case costs a bit test instead of a map lookup.
var traditionalBits = func() (bits [(cjkHi - extALo + 64) / 64]uint64) {
	for r := range simplified {
		if r >= extALo && r <= cjkHi {
			bits[(r-extALo)/64] |= 1 << ((r - extALo) % 64)
		}
	}
	return bits
}()

func isTraditional(r rune) bool {
	return traditionalBits[(r-extALo)/64]&(1<<((r-extALo)%64)) != 0
}

// fastRune returns the NameKey of a non-ASCII rune r of the fast set: the
// rune to write (out), or drop, and ok false when r is not in the set.
func fastRune(r rune) (out rune, drop, ok bool) {
	switch {
	case isIdeograph(r):
		if isTraditional(r) {
			return simplified[r], false, true
		}
		return r, false, true
	case r >= 0xff01 && r <= 0xff5e: // full-width ASCII: NFKC folds it
		k := asciiKey[r-0xfee0]
		return rune(k), k == dropByte, true
	}
	switch r {
	case '\u3000': // ideographic space: NFKC makes it a space
		return 0, true, true
	case '〔', '【', '〖', '｟', '⦅':
		return '(', false, true
	case '〕', '】', '〗', '｠', '⦆':
		return ')', false, true
	case '•', '・', '‧', '⋅', '∙', '●', '･':
		return '·', false, true
	case '·', '、', '。', '“', '”', '《', '》', '—':
		return r, false, true
	}
	return 0, false, false
}

// nameKeyFast is NameKey for strings of the fast set; ok is false for any
// other string. It returns s itself when the key equals it.
func nameKeyFast(s string) (key string, ok bool) {
	var b strings.Builder
	changed := false
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			k := asciiKey[c]
			if k != c && !changed {
				changed = true
				b.Grow(len(s))
				b.WriteString(s[:i])
			}
			if changed && k != dropByte {
				b.WriteByte(k)
			}
			i++
			continue
		}
		r, size := decodeRune(s, i)
		out, drop, ok := fastRune(r)
		if !ok {
			return "", false
		}
		if (drop || out != r) && !changed {
			changed = true
			b.Grow(len(s)) // no fold lengthens a rune
			b.WriteString(s[:i])
		}
		if changed && !drop {
			b.WriteRune(out)
		}
		i += size
	}
	if !changed {
		return s, true
	}
	return b.String(), true
}

// decodeRune is utf8.DecodeRuneInString(s[i:]) with the three-byte
// sequences of U+1000–U+CFFF and U+E000–U+FFFF (the CJK blocks among
// them) decoded inline; 0xe0 and 0xed lead narrower ranges.
func decodeRune(s string, i int) (rune, int) {
	c := s[i]
	if c >= 0xe1 && c <= 0xef && c != 0xed && i+2 < len(s) && s[i+1]&0xc0 == 0x80 && s[i+2]&0xc0 == 0x80 {
		return rune(c&0x0f)<<12 | rune(s[i+1]&0x3f)<<6 | rune(s[i+2]&0x3f), 3
	}
	return utf8.DecodeRuneInString(s[i:])
}

// keepLettersDigits removes every rune of k that is neither a letter nor a
// digit (invalid bytes included), returning k itself when nothing goes.
func keepLettersDigits(k string) string {
	var b strings.Builder
	changed := false
	for i := 0; i < len(k); {
		c := k[i]
		size := 1
		var keep bool
		if c < utf8.RuneSelf {
			keep = c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
		} else {
			var r rune
			r, size = decodeRune(k, i)
			keep = isIdeograph(r) || r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r))
		}
		switch {
		case keep && changed:
			b.WriteString(k[i : i+size])
		case !keep && !changed:
			changed = true
			b.Grow(len(k))
			b.WriteString(k[:i])
		}
		i += size
	}
	if !changed {
		return k
	}
	return b.String()
}

// isPlainCode reports an ASCII string that CodeKey leaves as it is: no
// space, hyphen or lower-case letter.
func isPlainCode(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || c <= ' ' && asciiKey[c] == dropByte || c == '-' || c >= 'a' && c <= 'z' {
			return false
		}
	}
	return true
}
