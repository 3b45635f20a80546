package cert

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Company names are compared through two keys, computed identically when a
// certificate is stored and when a keyword arrives:
//
//   - NameKey, for exact matching: width-folded (NFKC), brackets unified to
//     ASCII (), whitespace and zero-width characters removed, middle dots
//     unified, common traditional characters simplified, Latin upper-case.
//     Legal-form suffixes are kept: 有限公司 and 有限责任公司 differ here.
//   - FuzzyKey, for containment: the NameKey with everything but letters
//     and digits removed and the legal-form equivalences of the Company
//     Law applied (有限责任公司 ≡ 有限公司, 股份有限公司 ≡ 股份公司).

// foldWidth applies NFKC, which turns full-width ASCII into half-width,
// （） into (), and the ideographic space into a space.
func foldWidth(s string) string {
	if isASCII(s) {
		return s
	}
	return norm.NFKC.String(s)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// isSpaceOrInvisible reports whitespace and the zero-width characters that
// survive copy and paste from web pages.
func isSpaceOrInvisible(r rune) bool {
	switch r {
	case '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad', '\u180e':
		return true
	}
	return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r)
}

// NameKey is the exact-match key of a company name.
func NameKey(s string) string {
	if k, ok := nameKeyFast(s); ok {
		return k
	}
	return nameKeySlow(s)
}

// nameKeySlow is the reference NameKey: NFKC over the whole string, then
// rune by rune. nameKeyFast must agree with it byte for byte.
func nameKeySlow(s string) string {
	s = foldWidth(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case isSpaceOrInvisible(r):
			continue
		case r == '[' || r == '〔' || r == '【' || r == '〖' || r == '{' || r == '｟' || r == '⦅':
			b.WriteByte('(')
		case r == ']' || r == '〕' || r == '】' || r == '〗' || r == '}' || r == '｠' || r == '⦆':
			b.WriteByte(')')
		case r == '•' || r == '・' || r == '‧' || r == '⋅' || r == '∙' || r == '●' || r == '･':
			b.WriteRune('·')
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		default:
			if t, ok := simplified[r]; ok {
				r = t
			}
			b.WriteRune(unicode.ToUpper(r))
		}
	}
	out := b.String()
	// Dropping a space can bring combining marks together that NFKC
	// orders differently, and upper-casing can leave a form NFKC would
	// change again; one more pass makes the key a fixed point.
	for i := 0; i < 3 && !isASCII(out) && !norm.NFKC.IsNormalString(out); i++ {
		out = nameKeySlow(norm.NFKC.String(out))
	}
	return out
}

// fuzzySuffixes are the legal-form spellings the Company Law treats as one.
// Longer forms come first so that 股份有限公司 is not read as 有限公司.
var fuzzySuffixes = strings.NewReplacer(
	"股份有限公司", "股份公司",
	"有限责任公司", "有限公司",
)

// FuzzyKey is the containment key of a company name or keyword.
func FuzzyKey(s string) string { return fuzzyOfKey(NameKey(s)) }

// fuzzyOfKey is FuzzyKey of a name whose NameKey is k.
func fuzzyOfKey(k string) string {
	return replaceLegalForms(keepLettersDigits(k))
}

// replaceLegalForms applies fuzzySuffixes; most keys hold neither form,
// and the replacer would copy them anyway.
func replaceLegalForms(s string) string {
	if !hasLongLegalForm(s) {
		return s
	}
	return fuzzySuffixes.Replace(s)
}

// hasLongLegalForm reports whether s contains 股份有限公司 or 有限责任公司,
// looking at each 有限 the two have in common.
func hasLongLegalForm(s string) bool {
	const limited = "有限"
	for {
		i := strings.Index(s, limited)
		if i < 0 {
			return false
		}
		if strings.HasPrefix(s[i:], "有限责任公司") ||
			strings.HasSuffix(s[:i], "股份") && strings.HasPrefix(s[i+len(limited):], "公司") {
			return true
		}
		s = s[i+len(limited):]
	}
}

// genericWords are keywords that name no company: searching for them
// would list the whole store. Compared as fuzzy keys.
var genericWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range []string{
		"公司", "有限公司", "有限责任公司", "股份公司", "股份有限公司", "分公司",
		"集团", "集团公司", "集团有限公司", "集团股份有限公司", "企业", "企业集团",
		"有限", "责任", "股份", "工厂", "厂", "合作社", "专业合作社", "个体工商户",
		"中国", "中华", "科技", "科技有限公司", "贸易", "贸易有限公司",
		"CO", "LTD", "COLTD", "INC", "LLC", "LIMITED", "COMPANY", "CORP",
	} {
		m[FuzzyKey(w)] = true
	}
	return m
}()

// IsGenericName reports whether a name keyword is a bare legal form or a
// generic word such as 有限公司.
func IsGenericName(s string) bool { return genericWords[FuzzyKey(s)] }

// simplified maps traditional characters common in company names to their
// simplified forms, so that a user typing 華為 finds 华为. It is a short
// hand-made list, not a full conversion table.
var simplified = map[rune]rune{
	'國': '国', '華': '华', '為': '为', '電': '电', '網': '网', '絡': '络', '東': '东',
	'業': '业', '廣': '广', '門': '门', '區': '区', '發': '发', '開': '开', '廠': '厂',
	'貿': '贸', '產': '产', '實': '实', '設': '设', '計': '计', '機': '机', '團': '团',
	'環': '环', '醫': '医', '藥': '药', '農': '农', '經': '经', '濟': '济', '灣': '湾',
	'臺': '台', '員': '员', '銷': '销', '資': '资', '訊': '讯', '體': '体', '車': '车',
	'鐵': '铁', '運': '运', '輸': '输', '務': '务', '與': '与', '會': '会', '際': '际',
	'術': '术', '學': '学', '儀': '仪', '築': '筑', '裝': '装', '飾': '饰',
	'屬': '属', '製': '制', '紡': '纺', '織': '织', '興': '兴', '豐': '丰', '達': '达',
	'鋼': '钢', '銀': '银', '險': '险', '證': '证', '億': '亿',
	'萬': '万', '寶': '宝', '龍': '龙', '鳳': '凤', '聯': '联', '協': '协', '總': '总',
	'廈': '厦', '橋': '桥', '陽': '阳', '陰': '阴', '雲': '云', '號': '号', '倉': '仓',
	'儲': '储', '軟': '软', '價': '价', '條': '条', '線': '线',
	'纜': '缆', '燈': '灯', '養': '养', '飼': '饲', '處': '处',
	'藝': '艺', '樂': '乐', '齊': '齐', '魯': '鲁', '遼': '辽', '寧': '宁', '蘇': '苏',
	'瀋': '沈', '鄭': '郑', '漢': '汉', '湯': '汤', '馬': '马', '張': '张', '陳': '陈',
	'劉': '刘', '楊': '杨', '黃': '黄', '趙': '赵', '吳': '吴',
	'孫': '孙', '葉': '叶', '鄧': '邓', '許': '许', '傳': '传', '視': '视',
	'聽': '听', '動': '动', '態': '态', '賣': '卖', '買': '买', '貨': '货', '鎮': '镇',
	'縣': '县', '鄉': '乡', '場': '场', '莊': '庄', '園': '园', '衛': '卫',
	'氣': '气', '熱': '热', '風': '风', '淨': '净', '潔': '洁', '膠': '胶',
	'鋁': '铝', '銅': '铜', '鐘': '钟', '錶': '表', '鏈': '链', '連': '连', '鎖': '锁',
	'飲': '饮', '館': '馆', '書': '书', '報': '报', '圖': '图',
	'畫': '画', '數': '数', '碼': '码', '據': '据', '雙': '双', '創': '创', '測': '测',
	'檢': '检', '驗': '验', '認': '认', '質': '质', '標': '标', '準': '准', '範': '范',
}
