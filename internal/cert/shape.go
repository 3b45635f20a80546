package cert

// This file maps the canonical Record to and from the detail shapes of the
// two dialects. The canonical Detail uses the 聚美 vocabulary (titled
// sections of labelled fields); 企查查 flattens it into one object.
//
// The flat-key rule (企查查 Data ↔ sections), read off the vendors' two
// example certificates and documented for users in docs/api-certificates.md:
//
//   - 证书信息 (the certificate's own fields): the key is the field label,
//     e.g. 证书编号, 证书状态, 颁证日期.
//   - 获证组织基本信息: "获证组织基本信息-" + label, e.g. 获证组织基本信息-企业名称.
//   - the other party blocks drop "基本信息": 认证委托人基本信息 → "认证委托人-",
//     生产者(制造商)基本信息 → "生产者(制造商)-", 生产企业基本信息 → "生产企业-".
//   - 发证机构信息: "发证机构" + the label without a leading "机构", with no
//     hyphen: 机构名称 → 发证机构名称, 机构批准号 → 发证机构批准号, 网址 →
//     发证机构网址, 有效期 → 发证机构有效期.
//   - any other section S: "S-" + label.
//
// Reading a flat object back applies the rule in reverse; a key matching no
// prefix belongs to 证书信息, so a label containing "-" survives intact.
// Field labels are never translated (the vendors' two example certificates use
// different label sets, e.g. 认证标准和技术要求 vs 认证依据的标准和技术要求).

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Canonical section titles (the 聚美 detail's keys).
const (
	SectionCert         = "证书信息"
	SectionHolder       = "获证组织基本信息"
	SectionClient       = "认证委托人基本信息"
	SectionManufacturer = "生产者(制造商)基本信息"
	SectionFactory      = "生产企业基本信息"
	SectionIssuer       = "发证机构信息"
)

// Party roles, as Party.Role carries them.
const (
	RoleClient       = "认证委托人"
	RoleManufacturer = "生产者(制造商)"
	RoleFactory      = "生产企业"
)

// sectionOrder is the order sections are rendered in: the certificate
// first, then the companies it names, then the body that issued it.
// Unknown sections follow in their stored order.
var sectionOrder = []string{SectionCert, SectionHolder, SectionClient, SectionManufacturer, SectionFactory, SectionIssuer}

// fieldOrder lists, per section, the labels in reading order: identity,
// status and dates, scope, product, counters. Labels not listed keep their
// stored order after the listed ones.
var fieldOrder = map[string][]string{
	SectionCert: {
		"证书编号", "企业名称", "证书状态", "颁证日期", "证书到期日期", "初次获证日期", "变更日期",
		"撤销日期", "信息上报日期", "主认证证书号", "是否是子证书", "再认证次数", "监督次数",
		"证书使用的认可标识", "认证依据", "认证依据的标准和技术要求", "认证标准和技术要求",
		"认证范围/认证覆盖的业务范围", "服务认证所属领域", "是否覆盖多场所", "认证覆盖的场所名称及地址",
		"认证相关员工数量", "产品类别", "产品名称及单元（主）", "产品名称及单元(主)",
		"产品名称及单元（次）", "产品名称及单元(次)", "规格型号",
	},
	SectionHolder:       {"企业名称", "统一社会信用代码/组织机构代码", "所在国别地区", "组织地址", "邮政编码", "本证书体系覆盖人数"},
	SectionClient:       {"组织名称", "统一社会信用代码/组织机构代码", "所在国别地区", "组织地址"},
	SectionManufacturer: {"组织名称", "统一社会信用代码/组织机构代码", "所在国别地区", "组织地址"},
	SectionFactory:      {"组织名称", "统一社会信用代码/组织机构代码", "所在国别地区", "组织地址"},
	SectionIssuer:       {"机构名称", "机构批准号", "机构状态", "有效期", "地址", "电话", "网址", "业务范围", "处罚信息"},
}

// flatPrefixes maps the party sections to their 企查查 key prefixes.
var flatPrefixes = []struct{ section, prefix string }{
	{SectionHolder, "获证组织基本信息-"},
	{SectionClient, "认证委托人-"},
	{SectionManufacturer, "生产者(制造商)-"},
	{SectionFactory, "生产企业-"},
}

// partySections says where each party's name and code are.
var partySections = []struct{ section, role, nameLabel string }{
	{SectionHolder, RoleHolder, "企业名称"},
	{SectionClient, RoleClient, "组织名称"},
	{SectionManufacturer, RoleManufacturer, "组织名称"},
	{SectionFactory, RoleFactory, "组织名称"},
}

const (
	codeLabel    = "统一社会信用代码/组织机构代码"
	issuerPrefix = "发证机构"
)

// issuerKeepsJigou lists the 发证机构信息 labels that keep their leading
// "机构" in the 聚美 shape (机构名称, not 名称); the others drop it (网址).
var issuerKeepsJigou = []string{"名称", "批准号", "状态"}

// FormatDateTime prints t as both dialects do (DateLayout); the zero time
// prints "". Dates are UTC wall-clock values (see ParseDate), so printing
// from t.UTC() keeps a store's time zone from shifting them.
func FormatDateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(DateLayout)
}

// FieldList is an ordered JSON object of string (or null) values.
type FieldList []Field

// MarshalJSON writes the fields as one object in their order.
func (fl FieldList) MarshalJSON() ([]byte, error) { return appendFields(nil, fl), nil }

// SectionList is an ordered JSON object of sections, each an object of
// fields.
type SectionList []Section

// MarshalJSON writes {"section":{"label":"value",…},…} in order.
func (sl SectionList) MarshalJSON() ([]byte, error) { return sl.appendJSON(nil), nil }

func (sl SectionList) appendJSON(b []byte) []byte {
	b = append(b, '{')
	for i, s := range sl {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendJSONString(b, s.Name)
		b = append(b, ':')
		b = appendFields(b, s.Fields)
	}
	return append(b, '}')
}

func appendFields(b []byte, fields []Field) []byte {
	b = append(b, '{')
	for i, f := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendJSONString(b, f.Name)
		b = append(b, ':')
		if f.Value == nil {
			b = append(b, "null"...)
		} else {
			b = AppendJSONString(b, *f.Value)
		}
	}
	return append(b, '}')
}

// AppendJSONString appends s as a JSON string. Unlike encoding/json it
// leaves <, > and & alone (company names and URLs read better); invalid
// UTF-8 becomes U+FFFD.
func AppendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonPlain[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		// Well-formed three-byte sequences of U+1000–U+1FFF and
		// U+3000–U+CFFF (the CJK blocks among them) and U+E000–U+FFFF
		// are written as they are; U+2028 and U+2029 lie in the lead
		// byte 0xe2 left out here, surrogates and overlong forms in 0xed
		// and 0xe0.
		if c >= 0xe1 && c <= 0xef && c != 0xe2 && c != 0xed && i+2 < len(s) && s[i+1]&0xc0 == 0x80 && s[i+2]&0xc0 == 0x80 {
			i += 3
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		// U+2028 and U+2029 break JavaScript string literals.
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// jsonPlain reports the ASCII bytes a JSON string holds unescaped.
var jsonPlain = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = c >= 0x20 && c != '"' && c != '\\'
	}
	return t
}()

// JumeiDetail is the 聚美 detail `data` object.
type JumeiDetail struct {
	CertNo         string      `json:"certNo"`
	Type           string      `json:"type"`
	EnterpriseName string      `json:"enterpriseName"`
	StartDate      string      `json:"startDate"`
	EndDate        string      `json:"endDate"`
	Detail         SectionList `json:"detail"`
}

// QCCDetail is the 企查查 detail `Result` object.
type QCCDetail struct {
	ID     string    `json:"Id"`
	Data   FieldList `json:"Data"`
	Schema any       `json:"Schema"` // reserved by 企查查; always null
}

// AppendJSON appends d as JSON, as MarshalJSON would but without
// encoding/json's second pass over the bytes; handlers use it to write
// their envelopes directly.
func (d JumeiDetail) AppendJSON(b []byte) []byte {
	b = append(b, `{"certNo":`...)
	b = AppendJSONString(b, d.CertNo)
	b = append(b, `,"type":`...)
	b = AppendJSONString(b, d.Type)
	b = append(b, `,"enterpriseName":`...)
	b = AppendJSONString(b, d.EnterpriseName)
	b = append(b, `,"startDate":`...)
	b = AppendJSONString(b, d.StartDate)
	b = append(b, `,"endDate":`...)
	b = AppendJSONString(b, d.EndDate)
	b = append(b, `,"detail":`...)
	b = d.Detail.appendJSON(b)
	return append(b, '}')
}

// AppendJSON appends d as JSON (see JumeiDetail.AppendJSON). Schema is
// always written as null.
func (d QCCDetail) AppendJSON(b []byte) []byte {
	b = append(b, `{"Id":`...)
	b = AppendJSONString(b, d.ID)
	b = append(b, `,"Data":`...)
	b = appendFields(b, d.Data)
	return append(b, `,"Schema":null}`...)
}

// TypeLabel is the type 聚美 shows: the type's name, or its code for a
// record imported without one.
func TypeLabel(r Record) string {
	if r.TypeName != "" {
		return r.TypeName
	}
	return r.TypeCode
}

// ToJumeiDetail renders r in the 聚美 detail shape.
func ToJumeiDetail(r Record) JumeiDetail {
	return JumeiDetail{
		CertNo:         r.CertNo,
		Type:           TypeLabel(r),
		EnterpriseName: r.EnterpriseName,
		StartDate:      FormatDateTime(r.StartDate),
		EndDate:        FormatDateTime(r.EndDate),
		Detail:         SectionList(OrderedDetail(r)),
	}
}

// ToQCCDetail renders r in the 企查查 detail shape.
func ToQCCDetail(r Record) QCCDetail {
	var data FieldList
	for _, s := range OrderedDetail(r) {
		for _, f := range s.Fields {
			data = append(data, Field{Name: FlatKey(s.Name, f.Name), Value: f.Value})
		}
	}
	if data == nil {
		data = FieldList{}
	}
	return QCCDetail{ID: r.ID, Data: data}
}

// FlatKey returns the 企查查 key of label in section (see the rule at the
// top of this file).
func FlatKey(section, label string) string {
	switch section {
	case SectionCert:
		return label
	case SectionIssuer:
		return issuerPrefix + strings.TrimPrefix(label, "机构")
	}
	for _, p := range flatPrefixes {
		if p.section == section {
			return p.prefix + label
		}
	}
	return section + "-" + label
}

// splitFlatKey is FlatKey's inverse.
func splitFlatKey(key string) (section, label string) {
	for _, p := range flatPrefixes {
		if rest, ok := strings.CutPrefix(key, p.prefix); ok && rest != "" {
			return p.section, rest
		}
	}
	if rest, ok := strings.CutPrefix(key, issuerPrefix); ok && rest != "" {
		if slices.Contains(issuerKeepsJigou, rest) {
			rest = "机构" + rest
		}
		return SectionIssuer, rest
	}
	return SectionCert, key
}

// OrderedDetail returns r's detail sections in display order (see
// sectionOrder and fieldOrder). A record without any detail gets a minimal
// one built from its scalar fields, so every certificate shows something.
func OrderedDetail(r Record) []Section {
	secs := r.Detail
	if len(secs) == 0 {
		secs = minimalDetail(r)
	}
	out := make([]Section, 0, len(secs))
	for _, name := range sectionOrder {
		for _, s := range secs {
			if s.Name == name {
				out = append(out, Section{Name: s.Name, Fields: orderFields(s.Name, s.Fields)})
			}
		}
	}
	for _, s := range secs {
		if !slices.Contains(sectionOrder, s.Name) {
			out = append(out, Section{Name: s.Name, Fields: orderFields(s.Name, s.Fields)})
		}
	}
	return out
}

func orderFields(section string, fields []Field) []Field {
	order := fieldOrder[section]
	if len(order) == 0 {
		return fields
	}
	rank := func(name string) int {
		if i := slices.Index(order, name); i >= 0 {
			return i
		}
		return len(order)
	}
	out := slices.Clone(fields)
	slices.SortStableFunc(out, func(a, b Field) int { return rank(a.Name) - rank(b.Name) })
	return out
}

func minimalDetail(r Record) []Section {
	str := func(s string) *string { return &s }
	certFields := []Field{
		{Name: "证书编号", Value: str(r.CertNo)},
		{Name: "企业名称", Value: str(r.EnterpriseName)},
		{Name: "证书状态", Value: str(r.Status)},
		{Name: "颁证日期", Value: str(dateOnly(r.StartDate))},
		{Name: "证书到期日期", Value: str(dateOnly(r.EndDate))},
	}
	return []Section{
		{Name: SectionCert, Fields: certFields},
		{Name: SectionHolder, Fields: []Field{
			{Name: "企业名称", Value: str(r.EnterpriseName)},
			{Name: codeLabel, Value: str(r.CreditCode)},
		}},
	}
}

func dateOnly(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

// ErrDetailShape reports input that is not a detail in the expected shape.
var ErrDetailShape = errors.New("not a certificate detail")

// FromJumeiDetail reads a certificate in the 聚美 detail shape: the `data`
// object {"certNo","type","enterpriseName","startDate","endDate","detail"},
// or a whole response envelope holding one. Two optional keys the detail
// call does not show complete the record: "id" (the list's Id) and
// "typeCode".
func FromJumeiDetail(data []byte) (Record, error) {
	obj, err := decodeObject(data)
	if err != nil {
		return Record{}, err
	}
	if inner, ok := obj.get("data"); ok && !obj.has("certNo") {
		if obj, err = decodeObject(inner); err != nil {
			return Record{}, fmt.Errorf("data: %w", err)
		}
	}
	var r Record
	for _, m := range obj {
		switch m.key {
		case "id", "Id":
			r.ID, err = stringValue(m.value)
		case "certNo":
			r.CertNo, err = stringValue(m.value)
		case "type":
			r.TypeName, err = stringValue(m.value)
		case "typeCode":
			r.TypeCode, err = stringValue(m.value)
		case "enterpriseName":
			r.EnterpriseName, err = stringValue(m.value)
		case "startDate":
			r.StartDate, err = dateValue(m.value)
		case "endDate":
			r.EndDate, err = dateValue(m.value)
		case "detail":
			r.Detail, err = decodeSections(m.value)
		}
		if err != nil {
			return Record{}, fmt.Errorf("%s: %w", m.key, err)
		}
	}
	if r.CertNo == "" && len(r.Detail) == 0 {
		return Record{}, fmt.Errorf("%w: no certNo and no detail", ErrDetailShape)
	}
	if err := completeFromDetail(&r); err != nil {
		return Record{}, err
	}
	return r, nil
}

// FromQCCDetail reads a certificate in the 企查查 detail shape: the `Result`
// object {"Id","Data":{flat keys},"Schema"}, a whole response envelope
// holding one, or a bare Data object. The list item's keys may ride along
// in the Result object ("Type", "TypeDesc", "Name", "No", "StartDate",
// "EndDate"), since the detail call does not return the type.
func FromQCCDetail(data []byte) (Record, error) {
	obj, err := decodeObject(data)
	if err != nil {
		return Record{}, err
	}
	cur := json.RawMessage(data)
	if inner, ok := obj.get("Result"); ok {
		if obj, err = decodeObject(inner); err != nil {
			return Record{}, fmt.Errorf("Result: %w", err)
		}
		cur = inner
	}
	var r Record
	flat, hasData := obj.get("Data")
	if !hasData {
		flat, obj = cur, nil // a bare Data object
	}
	for _, m := range obj {
		switch m.key {
		case "Id":
			r.ID, err = stringValue(m.value)
		case "Type":
			r.TypeCode, err = stringValue(m.value)
		case "TypeDesc":
			r.TypeName, err = stringValue(m.value)
		case "Name":
			r.Name, err = stringValue(m.value)
		case "No":
			r.CertNo, err = stringValue(m.value)
		case "StartDate":
			r.StartDate, err = dateValue(m.value)
		case "EndDate":
			r.EndDate, err = dateValue(m.value)
		}
		if err != nil {
			return Record{}, fmt.Errorf("%s: %w", m.key, err)
		}
	}
	members, err := decodeObject(flat)
	if err != nil {
		return Record{}, fmt.Errorf("Data: %w", err)
	}
	for _, m := range members {
		v, err := nullableString(m.value)
		if err != nil {
			return Record{}, fmt.Errorf("Data: %s: %w", m.key, err)
		}
		section, label := splitFlatKey(m.key)
		r.Detail = addField(r.Detail, section, Field{Name: label, Value: v})
	}
	if len(r.Detail) == 0 && r.CertNo == "" {
		return Record{}, fmt.Errorf("%w: empty Data", ErrDetailShape)
	}
	if err := completeFromDetail(&r); err != nil {
		return Record{}, err
	}
	return r, nil
}

func addField(secs []Section, section string, f Field) []Section {
	for i := range secs {
		if secs[i].Name == section {
			secs[i].Fields = append(secs[i].Fields, f)
			return secs
		}
	}
	return append(secs, Section{Name: section, Fields: []Field{f}})
}

// completeFromDetail fills the scalar fields the detail sections carry but
// the top level left empty, and collects the parties.
func completeFromDetail(r *Record) error {
	get := func(section, label string) string {
		for _, s := range r.Detail {
			if s.Name != section {
				continue
			}
			for _, f := range s.Fields {
				if f.Name == label && f.Value != nil {
					return strings.TrimSpace(*f.Value)
				}
			}
		}
		return ""
	}
	fill := func(dst *string, vals ...string) {
		for _, v := range vals {
			if *dst == "" {
				*dst = v
			}
		}
	}
	fill(&r.CertNo, get(SectionCert, "证书编号"))
	fill(&r.EnterpriseName, get(SectionCert, "企业名称"), get(SectionHolder, "企业名称"))
	fill(&r.CreditCode, get(SectionHolder, codeLabel))
	fill(&r.Status, get(SectionCert, "证书状态"))
	for _, d := range []struct {
		dst   *time.Time
		label string
	}{{&r.StartDate, "颁证日期"}, {&r.EndDate, "证书到期日期"}} {
		if !d.dst.IsZero() {
			continue
		}
		t, err := ParseDate(get(SectionCert, d.label))
		if err != nil {
			return fmt.Errorf("%s: %w", d.label, err)
		}
		*d.dst = t
	}
	if r.EnterpriseName != "" {
		r.Parties = append(r.Parties, Party{Role: RoleHolder, Name: r.EnterpriseName, Code: r.CreditCode})
	}
	for _, p := range partySections {
		name := get(p.section, p.nameLabel)
		if name == "" || (p.role == RoleHolder && name == r.EnterpriseName) {
			continue
		}
		r.Parties = append(r.Parties, Party{Role: p.role, Name: name, Code: get(p.section, codeLabel)})
	}
	return nil
}

// member is one key of a JSON object, in document order.
type member struct {
	key   string
	value json.RawMessage
}

type object []member

func (o object) get(key string) (json.RawMessage, bool) {
	for _, m := range o {
		if m.key == key {
			return m.value, true
		}
	}
	return nil, false
}

func (o object) has(key string) bool { _, ok := o.get(key); return ok }

// decodeObject reads a JSON object keeping its key order, which
// encoding/json's maps would lose.
func decodeObject(data []byte) (object, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDetailShape, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("%w: want a JSON object", ErrDetailShape)
	}
	var obj object
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrDetailShape, err)
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrDetailShape, key, err)
		}
		obj = append(obj, member{key: key, value: v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDetailShape, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing data after the object", ErrDetailShape)
	}
	return obj, nil
}

func decodeSections(raw json.RawMessage) ([]Section, error) {
	if isNull(raw) {
		return nil, nil
	}
	obj, err := decodeObject(raw)
	if err != nil {
		return nil, err
	}
	secs := make([]Section, 0, len(obj))
	for _, m := range obj {
		fields, err := decodeObject(m.value)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.key, err)
		}
		s := Section{Name: m.key, Fields: make([]Field, 0, len(fields))}
		for _, f := range fields {
			v, err := nullableString(f.value)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", m.key, f.key, err)
			}
			s.Fields = append(s.Fields, Field{Name: f.key, Value: v})
		}
		secs = append(secs, s)
	}
	return secs, nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// nullableString accepts a string, null, a number or a boolean (kept as
// written); nested values are not field values.
func nullableString(raw json.RawMessage) (*string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return &s, nil
	case '{', '[':
		return nil, fmt.Errorf("%w: want a string, got a nested value", ErrDetailShape)
	}
	s := string(raw)
	if _, err := strconv.ParseFloat(s, 64); err != nil && s != "true" && s != "false" {
		return nil, fmt.Errorf("%w: bad value %s", ErrDetailShape, s)
	}
	return &s, nil
}

func stringValue(raw json.RawMessage) (string, error) {
	v, err := nullableString(raw)
	if err != nil || v == nil {
		return "", err
	}
	return strings.TrimSpace(*v), nil
}

func dateValue(raw json.RawMessage) (time.Time, error) {
	s, err := stringValue(raw)
	if err != nil {
		return time.Time{}, err
	}
	return ParseDate(s)
}
