package cert

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// errSlowPath sends decodeCanonical's caller to the reflective decoder:
// the input is valid JSON of a form the fast path does not handle (other
// key spellings, nulls where strings go, trailing data …) or not valid at
// all, and the reflective decoder gives the proper answer or error.
var errSlowPath = errors.New("not the plain canonical shape")

// errBadUTF8 is the errSlowPath of a line the fast path found not to be
// UTF-8: UnmarshalJSON still hands it to the reflective decoder, which
// reads bad bytes as U+FFFD; ParseJSONLine refuses it.
var errBadUTF8 = fmt.Errorf("%w: invalid UTF-8", errSlowPath)

// maxPrealloc caps the slices decodeLine sizes from a line's brackets.
const maxPrealloc = 1024

// canonLine is a canonical line as decodeLine reads it: the record and
// its dates as written.
type canonLine struct {
	rec        Record
	start, end string
}

// decodeCanonical is decodeLine in the shape of decodeReflect's answer.
func decodeCanonical(b []byte) (recordJSON, []Section, error) {
	var c canonLine
	if err := decodeLine(b, &c); err != nil {
		return recordJSON{}, nil, err
	}
	r := &c.rec
	j := recordJSON{
		ID: r.ID, CertNo: r.CertNo, TypeCode: r.TypeCode, TypeName: r.TypeName, Name: r.Name,
		Status: r.Status, EnterpriseName: r.EnterpriseName, CreditCode: r.CreditCode, RegNo: r.RegNo,
		StartDate: c.start, EndDate: c.end,
	}
	for _, p := range r.Parties {
		j.Parties = append(j.Parties, partyJSON(p))
	}
	return j, r.Detail, nil
}

// decodeLine reads the canonical JSONL shape exactly as AppendJSON writes
// it (any key order, escapes allowed) without reflection, checking that
// it is UTF-8 on the way: a bulk import spends most of its parsing time
// here. The line is converted to a string once and every value is a
// substring of it; the detail fields of all sections share one slice and
// their values another, so a record costs a handful of allocations
// instead of several per field. It returns errSlowPath (or errBadUTF8)
// for anything else, which decodeReflect then reads or refuses.
func decodeLine(b []byte, c *canonLine) error {
	// Every field is an array, and every section and party an object:
	// the counts of brackets bound the slices to allocate. Brackets
	// inside strings count too, so the bound is capped; a record with
	// more fields than that grows the slices as it goes.
	arrays, objects := bytes.Count(b, []byte{'['}), bytes.Count(b, []byte{'{'})
	d := canonDecoder{s: string(b)}
	if arrays > 0 {
		d.fields = make([]Field, 0, min(arrays, maxPrealloc))
		d.values = make([]string, 0, min(arrays, maxPrealloc))
	}
	d.objects = min(objects, maxPrealloc)
	if err := d.record(c); err != nil {
		return err
	}
	d.space()
	if d.i != len(d.s) {
		return errSlowPath
	}
	if len(c.rec.Parties) == 0 {
		c.rec.Parties = nil
	}
	return nil
}

func (d *canonDecoder) record(c *canonLine) error {
	r := &c.rec
	if !d.expect('{') {
		return errSlowPath
	}
	if d.expect('}') {
		return nil
	}
	for {
		var key string
		if err := d.key(&key); err != nil {
			return err
		}
		var err error
		switch key {
		case "id":
			err = d.str(&r.ID)
		case "certNo":
			err = d.str(&r.CertNo)
		case "typeCode":
			err = d.str(&r.TypeCode)
		case "typeName":
			err = d.str(&r.TypeName)
		case "name":
			err = d.str(&r.Name)
		case "status":
			err = d.str(&r.Status)
		case "enterpriseName":
			err = d.str(&r.EnterpriseName)
		case "creditCode":
			err = d.str(&r.CreditCode)
		case "regNo":
			err = d.str(&r.RegNo)
		case "startDate":
			err = d.str(&c.start)
		case "endDate":
			err = d.str(&c.end)
		case "parties":
			err = d.parties(&r.Parties)
		case "detail":
			err = d.detail(&r.Detail)
		default:
			return errSlowPath
		}
		if err != nil {
			return err
		}
		if !d.next() {
			return d.end('}')
		}
	}
}

// parties reads the parties array; a repeated key replaces the earlier
// array, as in encoding/json.
func (d *canonDecoder) parties(dst *[]Party) error {
	ps := (*dst)[:0]
	if !d.expect('[') {
		return errSlowPath
	}
	if d.expect(']') {
		*dst = ps
		return nil
	}
	for {
		if ps == nil {
			ps = make([]Party, 0, min(2, d.objects))
		}
		var p Party
		if err := d.party(&p); err != nil {
			return err
		}
		ps = append(ps, p)
		if !d.next() {
			*dst = ps
			return d.end(']')
		}
	}
}

func (d *canonDecoder) party(p *Party) error {
	if !d.expect('{') {
		return errSlowPath
	}
	if d.expect('}') {
		return nil
	}
	for {
		var key string
		if err := d.key(&key); err != nil {
			return err
		}
		var err error
		switch key {
		case "role":
			err = d.str(&p.Role)
		case "name":
			err = d.str(&p.Name)
		case "code":
			err = d.str(&p.Code)
		default:
			return errSlowPath
		}
		if err != nil {
			return err
		}
		if !d.next() {
			return d.end('}')
		}
	}
}

// detail reads the detail array of sections.
func (d *canonDecoder) detail(dst *[]Section) error {
	secs := (*dst)[:0]
	if !d.expect('[') {
		return errSlowPath
	}
	if d.expect(']') {
		*dst = secs
		return nil
	}
	for {
		if secs == nil {
			secs = make([]Section, 0, max(1, d.objects-1))
		}
		var sec Section
		err := d.section(&sec)
		if sec.Fields == nil {
			sec.Fields = []Field{}
		}
		if err != nil {
			return err
		}
		secs = append(secs, sec)
		if !d.next() {
			*dst = secs
			return d.end(']')
		}
	}
}

func (d *canonDecoder) section(sec *Section) error {
	if !d.expect('{') {
		return errSlowPath
	}
	if d.expect('}') {
		return nil
	}
	for {
		var key string
		if err := d.key(&key); err != nil {
			return err
		}
		var err error
		switch key {
		case "section":
			err = d.str(&sec.Name)
		case "fields":
			err = d.sectionFields(sec)
		default:
			return errSlowPath
		}
		if err != nil {
			return err
		}
		if !d.next() {
			return d.end('}')
		}
	}
}

// sectionFields reads a fields array into the line's shared field slice.
func (d *canonDecoder) sectionFields(sec *Section) error {
	start := len(d.fields)
	if !d.expect('[') {
		return errSlowPath
	}
	if !d.expect(']') {
		for {
			if err := d.field(); err != nil {
				return err
			}
			if !d.next() {
				if err := d.end(']'); err != nil {
					return err
				}
				break
			}
		}
	}
	sec.Fields = d.fields[start:len(d.fields):len(d.fields)]
	return nil
}

// field reads one [name, value] pair; value may be null.
func (d *canonDecoder) field() error {
	var f Field
	if !d.expect('[') {
		return errSlowPath
	}
	if err := d.str(&f.Name); err != nil {
		return err
	}
	if !d.expect(',') {
		return errSlowPath
	}
	if !d.null() {
		var v string
		if err := d.str(&v); err != nil {
			return err
		}
		if len(d.values) == cap(d.values) {
			// Only a record of more than maxPrealloc fields gets here;
			// the values already taken keep the old array.
			d.values = make([]string, 0, 2*cap(d.values)+1)
		}
		d.values = append(d.values, v)
		f.Value = &d.values[len(d.values)-1]
	}
	if !d.expect(']') {
		return errSlowPath
	}
	d.fields = append(d.fields, f)
	return nil
}

// canonDecoder walks a JSON text held in s from offset i.
type canonDecoder struct {
	s       string
	i       int
	fields  []Field  // the detail fields of every section
	values  []string // the non-null field values
	objects int      // the number of '{' in the line, capped
}

// key reads an object key and its colon.
func (d *canonDecoder) key(dst *string) error {
	if err := d.str(dst); err != nil {
		return err
	}
	if !d.expect(':') {
		return errSlowPath
	}
	return nil
}

// next consumes the comma before another element or member, or reports
// false: then the container must end (see end).
func (d *canonDecoder) next() bool {
	return d.expect(',')
}

// end consumes close, the end of a container, or reports errSlowPath.
func (d *canonDecoder) end(close byte) error {
	if d.expect(close) {
		return nil
	}
	return errSlowPath
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

// str reads a JSON string into dst, checking that it is UTF-8.
func (d *canonDecoder) str(dst *string) error {
	if !d.expect('"') {
		return errSlowPath
	}
	s := d.s
	start := d.i
	for i := d.i; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"':
				*dst = s[start:i]
				d.i = i + 1
				return nil
			case c == '\\':
				d.i = i
				return d.escaped(start-1, dst)
			case c < 0x20:
				return errSlowPath
			}
			i++
			continue
		}
		// Well-formed three-byte sequences with lead bytes whose second
		// byte may be anything 0x80–0xbf, the CJK blocks among them;
		// 0xe0 and 0xed have narrower ranges (overlong forms, surrogates).
		if c >= 0xe1 && c <= 0xef && c != 0xed && i+2 < len(s) && s[i+1]&0xc0 == 0x80 && s[i+2]&0xc0 == 0x80 {
			i += 3
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return errBadUTF8
		}
		i += size
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
			if !utf8.ValidString(d.s[start:d.i]) {
				return errBadUTF8
			}
			// Unmarshalling into dst would move every string the
			// decoder reads to the heap.
			var v string
			if err := json.Unmarshal([]byte(d.s[start:d.i]), &v); err != nil {
				return err
			}
			*dst = v
			return nil
		}
		d.i++
	}
	return errSlowPath
}
