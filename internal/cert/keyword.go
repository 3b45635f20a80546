package cert

import (
	"strings"
)

// KeywordKind says what a search keyword identifies.
type KeywordKind int

// Keyword kinds, in the order ParseKeyword tries them.
const (
	KindName    KeywordKind = iota // a company name (or part of one)
	KindUSCC                       // 18-char unified social credit code (GB 32100)
	KindRegNo                      // 15-digit registration number (GS 15-2006)
	KindOrgCode                    // 9-char organisation code (GB 11714), printed XXXXXXXX-X
)

func (k KeywordKind) String() string {
	switch k {
	case KindUSCC:
		return "uscc"
	case KindRegNo:
		return "regno"
	case KindOrgCode:
		return "orgcode"
	default:
		return "name"
	}
}

// Keyword is a classified search keyword.
type Keyword struct {
	Kind KeywordKind
	// Value is the canonical form: for codes upper-case without spaces or
	// the org code's hyphen; for names the exact name key (NameKey).
	Value string
	// CheckOK reports whether a code's check character matches. Issued
	// codes with bad check characters exist, so a failed check does not
	// reject the keyword; it only makes the mismatch visible.
	CheckOK bool
}

// usccAlphabet is the 31-symbol GB 32100 alphabet (no I, O, S, V, Z); a
// character's index is its value.
const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var (
	usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
	orgWeights  = [8]int{3, 7, 9, 10, 5, 8, 4, 2}
)

// USCCCheck returns the GB 32100 check character for the first 17
// characters of a unified social credit code.
func USCCCheck(first17 string) (byte, bool) {
	if len(first17) != 17 {
		return 0, false
	}
	s := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(usccAlphabet, first17[i])
		if v < 0 {
			return 0, false
		}
		s += v * usccWeights[i]
	}
	return usccAlphabet[(31-s%31)%31], true
}

// OrgCodeCheck returns the GB 11714 check character for an 8-character
// organisation-code body. Letters count by their plain alphabet position
// (A=10), not by their USCC value.
func OrgCodeCheck(body8 string) (byte, bool) {
	if len(body8) != 8 {
		return 0, false
	}
	s := 0
	for i := 0; i < 8; i++ {
		c := body8[i]
		switch {
		case c >= '0' && c <= '9':
			s += int(c-'0') * orgWeights[i]
		case c >= 'A' && c <= 'Z':
			s += (int(c-'A') + 10) * orgWeights[i]
		default:
			return 0, false
		}
	}
	switch r := 11 - s%11; r {
	case 10:
		return 'X', true
	case 11:
		return '0', true
	default:
		return byte('0' + r), true
	}
}

// RegNoCheck returns the ISO 7064 MOD 11,10 check digit for the first 14
// digits of a 15-digit registration number.
func RegNoCheck(first14 string) (byte, bool) {
	if len(first14) != 14 {
		return 0, false
	}
	p := 10
	for i := 0; i < 14; i++ {
		c := first14[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		m := (p%11 + int(c-'0')) % 10
		if m == 0 {
			m = 10
		}
		p = (2 * m) % 11
	}
	for c := 0; c < 10; c++ {
		if (p+c)%10 == 1 {
			return byte('0' + c), true
		}
	}
	return 0, false // unreachable: some digit always completes the sum
}

// ValidUSCC reports whether s is an 18-character code with a correct check
// character.
func ValidUSCC(s string) bool {
	if !isUSCCShape(s) {
		return false
	}
	c, ok := USCCCheck(s[:17])
	return ok && c == s[17]
}

// ValidRegNo reports whether s is a 15-digit registration number with a
// correct check digit.
func ValidRegNo(s string) bool {
	if len(s) != 15 || !allDigits(s) {
		return false
	}
	c, _ := RegNoCheck(s[:14])
	return c == s[14]
}

// ValidOrgCode reports whether s (9 characters, hyphen removed) carries a
// correct check character.
func ValidOrgCode(s string) bool {
	if len(s) != 9 {
		return false
	}
	c, ok := OrgCodeCheck(s[:8])
	return ok && c == s[8]
}

// isUSCCShape: 18 characters of the USCC alphabet, positions 3–8 digits.
func isUSCCShape(s string) bool {
	if len(s) != 18 {
		return false
	}
	for i := 0; i < 18; i++ {
		if !inUSCCAlphabet[s[i]] {
			return false
		}
	}
	return allDigits(s[2:8])
}

// inUSCCAlphabet reports the bytes of usccAlphabet.
var inUSCCAlphabet = func() (t [256]bool) {
	for i := 0; i < len(usccAlphabet); i++ {
		t[usccAlphabet[i]] = true
	}
	return t
}()

func isOrgCodeShape(s string) bool {
	if len(s) != 9 {
		return false
	}
	for i := 0; i < 8; i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	c := s[8]
	return c >= '0' && c <= '9' || c == 'X'
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// CodeKey is the canonical form of a code as written on a certificate:
// width-folded, upper-case, without spaces or hyphens. It is what the
// stores index and compare.
func CodeKey(s string) string {
	if isPlainCode(s) {
		return s
	}
	s = foldWidth(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '-' || r == ' ' || isSpaceOrInvisible(r):
			continue
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// ParseKeyword classifies a search keyword (GB 32100 code, GS 15-2006
// registration number, GB 11714 organisation code, else a company name).
// A string shaped like a code is classified as that code even when its
// check character is wrong: such codes were issued, and the lookup is
// verbatim. CheckOK says whether the check matched.
func ParseKeyword(s string) Keyword {
	code := CodeKey(s)
	switch {
	case isUSCCShape(code):
		return Keyword{Kind: KindUSCC, Value: code, CheckOK: ValidUSCC(code)}
	case len(code) == 15 && allDigits(code):
		return Keyword{Kind: KindRegNo, Value: code, CheckOK: ValidRegNo(code)}
	case isOrgCodeShape(code) && hasDigit(code) && isOrgCodeInput(s):
		return Keyword{Kind: KindOrgCode, Value: code, CheckOK: ValidOrgCode(code)}
	}
	return Keyword{Kind: KindName, Value: NameKey(s)}
}

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			return true
		}
	}
	return false
}

// isOrgCodeInput keeps a short Latin brand name ("ABCDEFGH1") from being
// read as an org code: the input must be nothing but the code's
// characters, an optional hyphen before the check character, and spaces.
func isOrgCodeInput(s string) bool {
	for _, r := range foldWidth(s) {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '-' || r == ' ' || isSpaceOrInvisible(r)) {
			return false
		}
	}
	return true
}

// OrgCodeOf returns the GB 11714 organisation code embedded in an 18-char
// USCC (characters 9–17), or "" for anything else.
func OrgCodeOf(uscc string) string {
	if !isUSCCShape(uscc) {
		return ""
	}
	return uscc[8:17]
}
