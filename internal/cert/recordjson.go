package cert

import (
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// errSlowPath sends decodeCanonical's caller to the reflective decoder:
// the input is valid JSON of a form the fast path does not handle (other
// key spellings, nulls where strings go, trailing data …) or not valid at
// all, and the reflective decoder gives the proper answer or error.
var errSlowPath = errors.New("not the plain canonical shape")

// decodeCanonical reads the canonical JSONL shape exactly as AppendJSON
// writes it (any key order, escapes allowed) without reflection: a bulk
// import spends most of its parsing time here. The line is converted to a
// string once and every field is a substring of it, so a record costs a
// handful of allocations instead of one per field.
func decodeCanonical(b []byte) (recordJSON, []Section, error) {
	var j recordJSON
	if !utf8.Valid(b) {
		return j, nil, errSlowPath
	}
	d := canonDecoder{s: string(b)}
	var detail []Section
	err := d.object(func(key string) error {
		var dst *string
		switch key {
		case "id":
			dst = &j.ID
		case "certNo":
			dst = &j.CertNo
		case "typeCode":
			dst = &j.TypeCode
		case "typeName":
			dst = &j.TypeName
		case "name":
			dst = &j.Name
		case "status":
			dst = &j.Status
		case "enterpriseName":
			dst = &j.EnterpriseName
		case "creditCode":
			dst = &j.CreditCode
		case "regNo":
			dst = &j.RegNo
		case "startDate":
			dst = &j.StartDate
		case "endDate":
			dst = &j.EndDate
		case "parties":
			j.Parties = j.Parties[:0]
			return d.array(func() error {
				var p partyJSON
				err := d.object(func(key string) error {
					switch key {
					case "role":
						return d.str(&p.Role)
					case "name":
						return d.str(&p.Name)
					case "code":
						return d.str(&p.Code)
					}
					return errSlowPath
				})
				j.Parties = append(j.Parties, p)
				return err
			})
		case "detail":
			detail = detail[:0]
			return d.array(func() error {
				var sec Section
				err := d.object(func(key string) error {
					switch key {
					case "section":
						return d.str(&sec.Name)
					case "fields":
						sec.Fields = sec.Fields[:0]
						return d.array(func() error {
							var f Field
							var name string
							n := 0
							err := d.array(func() error {
								n++
								switch n {
								case 1:
									return d.str(&name)
								case 2:
									if d.null() {
										return nil
									}
									v := new(string)
									f.Value = v
									return d.str(v)
								}
								return errSlowPath
							})
							if n != 2 {
								return errSlowPath
							}
							f.Name = name
							sec.Fields = append(sec.Fields, f)
							return err
						})
					}
					return errSlowPath
				})
				if sec.Fields == nil {
					sec.Fields = []Field{}
				}
				detail = append(detail, sec)
				return err
			})
		default:
			return errSlowPath
		}
		return d.str(dst)
	})
	if err != nil {
		return j, nil, err
	}
	d.space()
	if d.i != len(d.s) {
		return j, nil, errSlowPath
	}
	return j, detail, nil
}

// canonDecoder walks a JSON text held in s from offset i.
type canonDecoder struct {
	s string
	i int
}

func (d *canonDecoder) space() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// expect consumes c after optional space.
func (d *canonDecoder) expect(c byte) bool {
	d.space()
	if d.i < len(d.s) && d.s[d.i] == c {
		d.i++
		return true
	}
	return false
}

// null consumes a JSON null if one comes next.
func (d *canonDecoder) null() bool {
	d.space()
	if len(d.s)-d.i >= 4 && d.s[d.i:d.i+4] == "null" {
		d.i += 4
		return true
	}
	return false
}

// str reads a JSON string into dst.
func (d *canonDecoder) str(dst *string) error {
	if !d.expect('"') {
		return errSlowPath
	}
	start := d.i
	for d.i < len(d.s) {
		c := d.s[d.i]
		switch {
		case c == '"':
			*dst = d.s[start:d.i]
			d.i++
			return nil
		case c == '\\':
			return d.escaped(start-1, dst)
		case c < 0x20:
			return errSlowPath
		}
		d.i++
	}
	return errSlowPath
}

// escaped reads a string with escapes, which is rare in certificate data,
// through encoding/json (from its opening quote at start).
func (d *canonDecoder) escaped(start int, dst *string) error {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case '\\':
			d.i += 2
			continue
		case '"':
			d.i++
			return json.Unmarshal([]byte(d.s[start:d.i]), dst)
		}
		d.i++
	}
	return errSlowPath
}

// object reads an object, calling field after each key to read its value.
func (d *canonDecoder) object(field func(key string) error) error {
	if !d.expect('{') {
		return errSlowPath
	}
	if d.expect('}') {
		return nil
	}
	for {
		var key string
		if err := d.str(&key); err != nil {
			return err
		}
		if !d.expect(':') {
			return errSlowPath
		}
		if err := field(key); err != nil {
			return err
		}
		if d.expect(',') {
			continue
		}
		if d.expect('}') {
			return nil
		}
		return errSlowPath
	}
}

// array reads an array, calling elem to read each element.
func (d *canonDecoder) array(elem func() error) error {
	if !d.expect('[') {
		return errSlowPath
	}
	if d.expect(']') {
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		if d.expect(',') {
			continue
		}
		if d.expect(']') {
			return nil
		}
		return errSlowPath
	}
}
