package client

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Field is one named value of a certificate detail. Value is nil when the
// server sent null; a non-string JSON value is kept as its JSON text.
type Field struct {
	Name  string
	Value *string
}

// Fields is a JSON object of strings whose order is kept, since detail
// fields come in a meaningful order that a Go map would lose.
type Fields []Field

// Get returns the value of the named field and whether it is present and
// not null.
func (fs Fields) Get(name string) (string, bool) {
	for _, f := range fs {
		if f.Name == name {
			if f.Value == nil {
				return "", false
			}
			return *f.Value, true
		}
	}
	return "", false
}

// UnmarshalJSON reads an object, keeping its key order.
func (fs *Fields) UnmarshalJSON(b []byte) error {
	*fs = nil
	return decodeObject(b, func(name string, raw json.RawMessage) error {
		f := Field{Name: name}
		switch {
		case bytes.Equal(raw, []byte("null")):
		case len(raw) > 0 && raw[0] == '"':
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return err
			}
			f.Value = &s
		default:
			s := string(raw)
			f.Value = &s
		}
		*fs = append(*fs, f)
		return nil
	})
}

// MarshalJSON writes the fields as an object, in order.
func (fs Fields) MarshalJSON() ([]byte, error) {
	if fs == nil {
		return []byte("null"), nil
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range fs {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := writeKey(&b, f.Name); err != nil {
			return nil, err
		}
		if f.Value == nil {
			b.WriteString("null")
			continue
		}
		v, err := json.Marshal(*f.Value)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Section is one titled group of detail fields (聚美 detail).
type Section struct {
	Name   string
	Fields Fields
}

// Sections is a JSON object of sections whose order is kept.
type Sections []Section

// Section returns the named section, or nil.
func (ss Sections) Section(name string) Fields {
	for _, s := range ss {
		if s.Name == name {
			return s.Fields
		}
	}
	return nil
}

// UnmarshalJSON reads an object of objects, keeping key order.
func (ss *Sections) UnmarshalJSON(b []byte) error {
	*ss = nil
	return decodeObject(b, func(name string, raw json.RawMessage) error {
		s := Section{Name: name}
		if err := json.Unmarshal(raw, &s.Fields); err != nil {
			return fmt.Errorf("section %q: %w", name, err)
		}
		*ss = append(*ss, s)
		return nil
	})
}

// MarshalJSON writes the sections as an object, in order.
func (ss Sections) MarshalJSON() ([]byte, error) {
	if ss == nil {
		return []byte("null"), nil
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, s := range ss {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := writeKey(&b, s.Name); err != nil {
			return nil, err
		}
		v, err := s.Fields.MarshalJSON()
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func writeKey(b *bytes.Buffer, k string) error {
	kb, err := json.Marshal(k)
	if err != nil {
		return err
	}
	b.Write(kb)
	b.WriteByte(':')
	return nil
}

// decodeObject calls f for each member of the JSON object b, in order; null
// is an empty object.
func decodeObject(b []byte, f func(name string, raw json.RawMessage) error) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == nil {
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("want a JSON object, got %v", tok)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		name, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		if err := f(name, raw); err != nil {
			return err
		}
	}
	_, err = dec.Token()
	return err
}
