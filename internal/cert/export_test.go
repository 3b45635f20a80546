package cert

import "fmt"

// Exported for the tests of package cert_test, which draw records from
// certgen (a package that imports cert).
var (
	AppendJSONRef = appendJSONRef
	IndexKeysRef  = indexKeysRef
	PrepareRef    = prepareRef
	JSONSize      = (*Record).jsonSize
	UnmarshalRef  = unmarshalRef
)

// unmarshalRef is UnmarshalJSON through the reflective decoder alone,
// which the fast decoder must agree with wherever it answers.
func unmarshalRef(b []byte) (Record, error) {
	j, detail, err := decodeReflect(b)
	if err != nil {
		return Record{}, err
	}
	start, err := ParseDate(j.StartDate)
	if err != nil {
		return Record{}, fmt.Errorf("startDate: %w", err)
	}
	end, err := ParseDate(j.EndDate)
	if err != nil {
		return Record{}, fmt.Errorf("endDate: %w", err)
	}
	r := Record{
		ID: j.ID, CertNo: j.CertNo, TypeCode: j.TypeCode, TypeName: j.TypeName, Name: j.Name,
		Status: j.Status, EnterpriseName: j.EnterpriseName, CreditCode: j.CreditCode, RegNo: j.RegNo,
		StartDate: start, EndDate: end, Detail: detail,
	}
	for _, p := range j.Parties {
		r.Parties = append(r.Parties, Party(p))
	}
	return r, nil
}
