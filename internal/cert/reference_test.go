package cert

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// The implementations of AppendJSON, IndexKeys and Prepare before their
// fast paths, kept as the references the fast ones must match byte for
// byte: stores compare fingerprints and keys with what they wrote before.

func appendJSONRef(r *Record, b []byte) []byte {
	str := func(b []byte, key, v string, omitEmpty bool) []byte {
		if omitEmpty && v == "" {
			return b
		}
		if b[len(b)-1] != '{' {
			b = append(b, ',')
		}
		b = appendJSONStringRef(b, key)
		b = append(b, ':')
		return appendJSONStringRef(b, v)
	}
	b = append(b, '{')
	b = str(b, "id", r.ID, true)
	b = str(b, "certNo", r.CertNo, false)
	b = str(b, "typeCode", r.TypeCode, true)
	b = str(b, "typeName", r.TypeName, false)
	b = str(b, "name", r.Name, true)
	b = str(b, "status", r.Status, false)
	b = str(b, "enterpriseName", r.EnterpriseName, false)
	b = str(b, "creditCode", r.CreditCode, true)
	b = str(b, "regNo", r.RegNo, true)
	if len(r.Parties) > 0 {
		b = append(b, `,"parties":[`...)
		for i, p := range r.Parties {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			b = str(b, "role", p.Role, false)
			b = str(b, "name", p.Name, false)
			b = str(b, "code", p.Code, true)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = str(b, "startDate", formatDate(r.StartDate), true)
	b = str(b, "endDate", formatDate(r.EndDate), true)
	if len(r.Detail) > 0 {
		b = append(b, `,"detail":[`...)
		for i, sec := range r.Detail {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"section":`...)
			b = appendJSONStringRef(b, sec.Name)
			b = append(b, `,"fields":[`...)
			for j, f := range sec.Fields {
				if j > 0 {
					b = append(b, ',')
				}
				b = append(b, '[')
				b = appendJSONStringRef(b, f.Name)
				if f.Value == nil {
					b = append(b, ",null]"...)
				} else {
					b = append(b, ',')
					b = appendJSONStringRef(b, *f.Value)
					b = append(b, ']')
				}
			}
			b = append(b, "]}"...)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func appendJSONStringRef(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
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

func indexKeysRef(r Record) (names []NameKeys, codes []string) {
	seenName := map[string]bool{}
	addName := func(s string) {
		k := nameKeySlow(s)
		if k == "" || seenName[k] {
			return
		}
		seenName[k] = true
		names = append(names, NameKeys{Exact: k, Fuzzy: fuzzyKeySlow(s)})
	}
	seenCode := map[string]bool{}
	addCode := func(s string) {
		k := codeKeySlow(s)
		if k == "" || seenCode[k] {
			return
		}
		seenCode[k] = true
		codes = append(codes, k)
		if org := OrgCodeOf(k); org != "" && !seenCode[org] {
			seenCode[org] = true
			codes = append(codes, org)
		}
	}
	addName(r.EnterpriseName)
	addCode(r.CreditCode)
	addCode(r.RegNo)
	for _, p := range r.Parties {
		addName(p.Name)
		addCode(p.Code)
	}
	return names, codes
}

func prepareRef(r *Record) error {
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
	holder := nameKeySlow(r.EnterpriseName)
	for _, p := range r.Parties {
		if nameKeySlow(p.Name) == holder {
			return nil
		}
	}
	r.Parties = append([]Party{{Role: RoleHolder, Name: r.EnterpriseName, Code: r.CreditCode}}, r.Parties...)
	return nil
}
