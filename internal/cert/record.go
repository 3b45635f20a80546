package cert

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// DateLayout is how both dialects print dates ("2006-01-02 15:04:05").
const DateLayout = "2006-01-02 15:04:05"

// DeriveID returns the stable id of a certificate that arrives without
// one: 32 hex characters over its type and certificate number, so the same
// certificate imported twice gets the same id.
func DeriveID(typeCode, typeName, certNo string) string {
	t := strings.TrimSpace(typeCode)
	if t == "" {
		t = NameKey(typeName)
	}
	sum := md5.Sum([]byte("cert\x00" + t + "\x00" + CodeKey(certNo)))
	return hex.EncodeToString(sum[:])
}

// Valid reports whether the certificate counts as valid for ranking.
func (r *Record) Valid() bool { return r.Status == StatusValid }

// Prepare completes a record before it is stored: it trims scalar fields,
// derives a missing id, adds the holder to Parties when absent, and
// rejects records that cannot be found or shown.
func Prepare(r *Record) error {
	for _, p := range []*string{&r.ID, &r.CertNo, &r.TypeCode, &r.TypeName, &r.Name, &r.Status, &r.EnterpriseName, &r.CreditCode, &r.RegNo} {
		*p = strings.TrimSpace(*p)
	}
	switch {
	case r.CertNo == "":
		return errors.New("missing certificate number")
	case r.TypeCode == "" && r.TypeName == "":
		return errors.New("missing certificate type")
	case r.EnterpriseName == "":
		return errors.New("missing enterprise name")
	}
	if r.ID == "" {
		r.ID = DeriveID(r.TypeCode, r.TypeName, r.CertNo)
	}
	if len(r.ID) > 64 {
		return fmt.Errorf("id longer than 64 characters")
	}
	if !r.EndDate.IsZero() && !r.StartDate.IsZero() && r.EndDate.Before(r.StartDate) {
		return fmt.Errorf("end date %s before start date %s", r.EndDate.Format(time.DateOnly), r.StartDate.Format(time.DateOnly))
	}
	// The holder is usually listed under the very same spelling; only
	// other spellings need their keys compared.
	holder, haveHolder := "", false
	for _, p := range r.Parties {
		if p.Name == r.EnterpriseName {
			return nil
		}
		if !haveHolder {
			holder, haveHolder = NameKey(r.EnterpriseName), true
		}
		if NameKey(p.Name) == holder {
			return nil
		}
	}
	r.Parties = append([]Party{{Role: RoleHolder, Name: r.EnterpriseName, Code: r.CreditCode}}, r.Parties...)
	return nil
}

// RoleHolder is the party role of the certificate holder.
const RoleHolder = "获证组织"

// Fingerprint hashes everything a record shows; a store compares it to
// tell an unchanged re-import from an update.
func Fingerprint(r Record) [32]byte {
	return sha256.Sum256(r.AppendJSON(nil))
}

// NameKeys are the two match keys of one company name on a certificate.
type NameKeys struct {
	Exact string // NameKey
	Fuzzy string // FuzzyKey
}

// IndexKeys returns what a store indexes for a record: the name keys of
// every party (holder first, duplicates removed) and every code a keyword
// may carry (credit codes, the org codes inside them, registration
// number), canonicalised by CodeKey.
func IndexKeys(r Record) (names []NameKeys, codes []string) {
	names = make([]NameKeys, 0, 1+len(r.Parties))
	codes = make([]string, 0, 4)
	// Records name a few companies and codes: duplicates are found by
	// searching what was kept, with maps only for long lists.
	var seenName, seenCode map[string]bool
	addName := func(s string) {
		k := NameKey(s)
		if k == "" {
			return
		}
		if seenName == nil && len(names) < 32 {
			for _, n := range names {
				if n.Exact == k {
					return
				}
			}
		} else {
			if seenName == nil {
				seenName = map[string]bool{}
				for _, n := range names {
					seenName[n.Exact] = true
				}
			}
			if seenName[k] {
				return
			}
			seenName[k] = true
		}
		names = append(names, NameKeys{Exact: k, Fuzzy: fuzzyOfKey(k)})
	}
	hasCode := func(k string) bool {
		if seenCode == nil && len(codes) < 32 {
			for _, c := range codes {
				if c == k {
					return true
				}
			}
			return false
		}
		if seenCode == nil {
			seenCode = map[string]bool{}
			for _, c := range codes {
				seenCode[c] = true
			}
		}
		return seenCode[k]
	}
	keepCode := func(k string) {
		codes = append(codes, k)
		if seenCode != nil {
			seenCode[k] = true
		}
	}
	addCode := func(s string) {
		k := CodeKey(s)
		if k == "" || hasCode(k) {
			return
		}
		keepCode(k)
		if org := OrgCodeOf(k); org != "" && !hasCode(org) {
			keepCode(org)
		}
	}
	addName(r.EnterpriseName)
	addCode(r.CreditCode)
	addCode(r.RegNo)
	for i, p := range r.Parties {
		// A party is usually the holder under the same spelling: a
		// spelling already keyed adds nothing, so it is not normalised
		// again.
		if !spelledBefore(r, i) {
			addName(p.Name)
		}
		addCode(p.Code)
	}
	if len(names) == 0 {
		names = nil
	}
	if len(codes) == 0 {
		codes = nil
	}
	return names, codes
}

// spelledBefore reports whether party i's name is spelt exactly as the
// holder or an earlier party (checked for short lists only).
func spelledBefore(r Record, i int) bool {
	s := r.Parties[i].Name
	if s == r.EnterpriseName {
		return true
	}
	if i > 32 {
		return false
	}
	for _, p := range r.Parties[:i] {
		if p.Name == s {
			return true
		}
	}
	return false
}

// recordJSON is the canonical JSONL shape (zheng cert gen writes it, zheng
// cert import reads it). Detail fields are [name, value] pairs so that
// order survives and a null value stays null.
type recordJSON struct {
	ID             string        `json:"id,omitempty"`
	CertNo         string        `json:"certNo"`
	TypeCode       string        `json:"typeCode,omitempty"`
	TypeName       string        `json:"typeName"`
	Name           string        `json:"name,omitempty"`
	Status         string        `json:"status"`
	EnterpriseName string        `json:"enterpriseName"`
	CreditCode     string        `json:"creditCode,omitempty"`
	RegNo          string        `json:"regNo,omitempty"`
	Parties        []partyJSON   `json:"parties,omitempty"`
	StartDate      string        `json:"startDate,omitempty"`
	EndDate        string        `json:"endDate,omitempty"`
	Detail         []sectionJSON `json:"detail,omitempty"`
}

type partyJSON struct {
	Role string `json:"role"`
	Name string `json:"name"`
	Code string `json:"code,omitempty"`
}

type sectionJSON struct {
	Name   string       `json:"section"`
	Fields [][2]*string `json:"fields"`
}

// MarshalJSON writes the canonical JSONL shape.
func (r Record) MarshalJSON() ([]byte, error) { return r.AppendJSON(nil), nil }

// AppendJSON appends the canonical JSONL shape of r (one line, no
// newline). It is MarshalJSON without reflection, for bulk writers.
func (r *Record) AppendJSON(b []byte) []byte {
	// key is quoted and followed by its colon: keys need no escapes.
	str := func(b []byte, key, v string, omitEmpty bool) []byte {
		if omitEmpty && v == "" {
			return b
		}
		if b[len(b)-1] != '{' {
			b = append(b, ',')
		}
		b = append(b, key...)
		return AppendJSONString(b, v)
	}
	b = slices.Grow(b, r.jsonSize())
	b = append(b, '{')
	b = str(b, `"id":`, r.ID, true)
	b = str(b, `"certNo":`, r.CertNo, false)
	b = str(b, `"typeCode":`, r.TypeCode, true)
	b = str(b, `"typeName":`, r.TypeName, false)
	b = str(b, `"name":`, r.Name, true)
	b = str(b, `"status":`, r.Status, false)
	b = str(b, `"enterpriseName":`, r.EnterpriseName, false)
	b = str(b, `"creditCode":`, r.CreditCode, true)
	b = str(b, `"regNo":`, r.RegNo, true)
	if len(r.Parties) > 0 {
		b = append(b, `,"parties":[`...)
		for i, p := range r.Parties {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			b = str(b, `"role":`, p.Role, false)
			b = str(b, `"name":`, p.Name, false)
			b = str(b, `"code":`, p.Code, true)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if !r.StartDate.IsZero() {
		b = append(b, `,"startDate":"`...)
		b = append(appendDate(b, r.StartDate), '"')
	}
	if !r.EndDate.IsZero() {
		b = append(b, `,"endDate":"`...)
		b = append(appendDate(b, r.EndDate), '"')
	}
	if len(r.Detail) > 0 {
		b = append(b, `,"detail":[`...)
		for i, sec := range r.Detail {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"section":`...)
			b = AppendJSONString(b, sec.Name)
			b = append(b, `,"fields":[`...)
			for j, f := range sec.Fields {
				if j > 0 {
					b = append(b, ',')
				}
				b = append(b, '[')
				b = AppendJSONString(b, f.Name)
				if f.Value == nil {
					b = append(b, ",null]"...)
				} else {
					b = append(b, ',')
					b = AppendJSONString(b, *f.Value)
					b = append(b, ']')
				}
			}
			b = append(b, "]}"...)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// jsonSize is the length of r's canonical JSON when no string needs an
// escape, so that AppendJSON grows its buffer at most once.
func (r *Record) jsonSize() int {
	// A key and its value take len(`,"key":"value"`); the first of an
	// object has no comma.
	str := func(key, v string, omitEmpty bool) int {
		if omitEmpty && v == "" {
			return 0
		}
		return len(key) + len(v) + 6
	}
	n := 1 + str("id", r.ID, true) + str("certNo", r.CertNo, false) + str("typeCode", r.TypeCode, true) +
		str("typeName", r.TypeName, false) + str("name", r.Name, true) + str("status", r.Status, false) +
		str("enterpriseName", r.EnterpriseName, false) + str("creditCode", r.CreditCode, true) +
		str("regNo", r.RegNo, true)
	if len(r.Parties) > 0 {
		n += len(`,"parties":[]`) - 1
		for _, p := range r.Parties {
			n += len(`,{}`) - 1 + str("role", p.Role, false) + str("name", p.Name, false) + str("code", p.Code, true)
		}
	}
	n += dateSize("startDate", r.StartDate) + dateSize("endDate", r.EndDate)
	if len(r.Detail) > 0 {
		n += len(`,"detail":[]`) - 1
		for _, sec := range r.Detail {
			n += len(`,{"section":"","fields":[]}`) + len(sec.Name)
			if len(sec.Fields) > 0 {
				n--
			}
			for _, f := range sec.Fields {
				if f.Value == nil {
					n += len(`,["",null]`) + len(f.Name)
				} else {
					n += len(`,["",""]`) + len(f.Name) + len(*f.Value)
				}
			}
		}
	}
	return n
}

func dateSize(key string, t time.Time) int {
	if t.IsZero() {
		return 0
	}
	if hh, mm, ss := t.Clock(); hh == 0 && mm == 0 && ss == 0 {
		return len(key) + len(`,"":"2006-01-02"`)
	}
	return len(key) + len(`,"":"2006-01-02 15:04:05"`)
}

// appendDate appends formatDate(t) of a non-zero t.
func appendDate(b []byte, t time.Time) []byte {
	y, mo, d := t.Date()
	hh, mm, ss := t.Clock()
	if y < 0 || y > 9999 {
		return append(b, formatDate(t)...)
	}
	b = append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10),
		'-', byte('0'+mo/10), byte('0'+mo%10), '-', byte('0'+d/10), byte('0'+d%10))
	if hh == 0 && mm == 0 && ss == 0 {
		return b
	}
	return append(b, ' ', byte('0'+hh/10), byte('0'+hh%10), ':', byte('0'+mm/10), byte('0'+mm%10), ':', byte('0'+ss/10), byte('0'+ss%10))
}

// UnmarshalJSON reads the canonical JSONL shape. Dates may be
// "2006-01-02", "2006-01-02 15:04:05" or RFC 3339. Invalid UTF-8 reads
// as U+FFFD, as in encoding/json.
func (r *Record) UnmarshalJSON(b []byte) error {
	return r.unmarshal(b, false)
}

// ErrInvalidUTF8 is ParseJSONLine's error for a line that is not UTF-8.
var ErrInvalidUTF8 = errors.New("not valid UTF-8")

// ParseJSONLine reads a line of the canonical JSONL shape as
// UnmarshalJSON does, but refuses a line that is not UTF-8 with
// ErrInvalidUTF8, checking it in the same pass as it reads it.
func ParseJSONLine(b []byte) (Record, error) {
	var r Record
	err := r.unmarshal(b, true)
	return r, err
}

func (r *Record) unmarshal(b []byte, strictUTF8 bool) error {
	var c canonLine
	if err := decodeLine(b, &c); err != nil {
		if strictUTF8 && (err == errBadUTF8 || !utf8.Valid(b)) {
			return ErrInvalidUTF8
		}
		j, detail, err := decodeReflect(b)
		if err != nil {
			return err
		}
		c = canonLine{start: j.StartDate, end: j.EndDate, rec: Record{
			ID: j.ID, CertNo: j.CertNo, TypeCode: j.TypeCode, TypeName: j.TypeName, Name: j.Name,
			Status: j.Status, EnterpriseName: j.EnterpriseName, CreditCode: j.CreditCode, RegNo: j.RegNo,
			Detail: detail,
		}}
		for _, p := range j.Parties {
			c.rec.Parties = append(c.rec.Parties, Party(p))
		}
	}
	var err error
	if c.rec.StartDate, err = ParseDate(c.start); err != nil {
		return fmt.Errorf("startDate: %w", err)
	}
	if c.rec.EndDate, err = ParseDate(c.end); err != nil {
		return fmt.Errorf("endDate: %w", err)
	}
	*r = c.rec
	return nil
}

// decodeReflect is the general decoder behind decodeCanonical: any key
// spelling encoding/json accepts, unknown keys refused.
func decodeReflect(b []byte) (recordJSON, []Section, error) {
	var j recordJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return j, nil, err
	}
	var detail []Section
	for _, s := range j.Detail {
		sec := Section{Name: s.Name, Fields: make([]Field, len(s.Fields))}
		for i, f := range s.Fields {
			if f[0] == nil {
				return j, nil, fmt.Errorf("detail %q: field %d has no name", s.Name, i+1)
			}
			sec.Fields[i] = Field{Name: *f[0], Value: f[1]}
		}
		detail = append(detail, sec)
	}
	j.Detail = nil
	return j, detail, nil
}

func formatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
		return t.Format(time.DateOnly)
	}
	return t.Format(DateLayout)
}

// ParseDate reads a date as certificate data writes it: "2006-01-02",
// "2006/01/02", "20060102", "2006-01-02 15:04:05" or RFC 3339. The empty
// string is the zero time. Dates carry no zone; they are kept as UTC
// wall-clock values.
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, ok := parseDateOnly(s); ok {
		return t, nil
	}
	for _, layout := range []string{time.DateOnly, DateLayout, "2006/01/02", "20060102", "2006/1/2", "2006-1-2", time.RFC3339, "2006-01-02T15:04:05", "2006/01/02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			if layout == time.RFC3339 {
				y, m, d := t.Date()
				hh, mm, ss := t.Clock()
				t = time.Date(y, m, d, hh, mm, ss, 0, time.UTC)
			}
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("unrecognised date %q", s)
}

// parseDateOnly is time.Parse(time.DateOnly, s) for the common case of a
// valid date; ok is false for anything else.
func parseDateOnly(s string) (t time.Time, ok bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	num := func(s string) int {
		n := 0
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return -1
			}
			n = 10*n + int(c-'0')
		}
		return n
	}
	y, m, d := num(s[:4]), num(s[5:7]), num(s[8:])
	if y < 0 || m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	t = time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d { // 31 April and the like: time.Parse refuses them
		return time.Time{}, false
	}
	return t, true
}

// NormalizeStatus maps the status spellings found in certificate data
// (CNCA codes 01–05, 正常, 已撤销, 过期失效, 无效（逾期未换证）, …) to the five
// Status values. ok is false for a value it does not know.
func NormalizeStatus(s string) (status string, ok bool) {
	k := NameKey(s)
	switch k {
	case "01", "1", StatusValid, "正常", "当前批件", "新立", "VALID":
		return StatusValid, true
	case "02", "2", StatusSuspended, "已暂停", "SUSPENDED":
		return StatusSuspended, true
	case "03", "3", StatusWithdrawn, "已撤销", "WITHDRAWN", "REVOKED":
		return StatusWithdrawn, true
	case "04", "4", StatusCancelled, "已注销", "注销(非申请)", "证书注销", "无效(依申请注销)", "CANCELLED":
		return StatusCancelled, true
	case "05", "5", StatusExpired, "已过期", "过期失效", "无效(逾期未换证)", "EXPIRED":
		return StatusExpired, true
	}
	return "", false
}
