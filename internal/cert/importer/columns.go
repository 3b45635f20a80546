package importer

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/zhengapi/zheng/internal/cert"
)

// Fields are the record fields a CSV or XLSX column can fill.
var Fields = []string{
	"id", "certNo", "typeCode", "typeName", "name", "status", "statusCode",
	"enterpriseName", "creditCode", "regNo", "startDate", "endDate",
	"issuer", "issuerApproval", "scope", "standard", "address",
}

// headerAliases maps header names (compared case-insensitively, without
// spaces) to fields: our own names, the columns of the CNCA register's
// list rows (certificates.md §4.4) and the Chinese labels of the detail.
var headerAliases = map[string]string{
	"certnumber": "certNo", "证书编号": "certNo", "证书号": "certNo",
	"orgname": "enterpriseName", "企业名称": "enterpriseName", "获证组织": "enterpriseName", "组织名称": "enterpriseName", "获证组织名称": "enterpriseName",
	"orgcode": "creditCode", "统一社会信用代码": "creditCode", "统一社会信用代码/组织机构代码": "creditCode", "组织机构代码": "creditCode", "uscc": "creditCode",
	"注册号":          "regNo",
	"authprojcode": "typeCode", "证书类型代码": "typeCode", "type": "typeCode",
	"authprojcodename": "typeName", "authprojname": "typeName", "证书类型": "typeName", "认证项目": "typeName", "typedesc": "typeName",
	"certistatus": "statusCode", "certistatusname": "status", "证书状态": "status",
	"certiedate": "endDate", "证书到期日期": "endDate", "有效截止日期": "endDate", "到期日期": "endDate",
	"zersda": "startDate", "颁证日期": "startDate", "有效起始日期": "startDate", "发证日期": "startDate",
	"rzjgid": "issuerApproval", "发证机构批准号": "issuerApproval", "机构批准号": "issuerApproval",
	"rzjgidname": "issuer", "rzjgname": "issuer", "发证机构": "issuer", "发证机构名称": "issuer", "认证机构": "issuer",
	"认证范围": "scope", "认证范围/认证覆盖的业务范围": "scope", "认证依据": "standard",
	"产品名称": "name", "组织地址": "address",
}

func headerKey(h string) string {
	return strings.ToLower(strings.Join(strings.Fields(cert.NameKey(h)), ""))
}

// typeNames names the CNCA project codes seen in register exports
// (RB/T 188, certificates.md §2.1) by their first three characters.
var typeNames = map[string]string{
	"A01": "质量管理体系认证（ISO9000）", "A02": "环境管理体系认证", "A03": "中国职业健康安全管理体系认证",
	"A04": "食品安全管理体系认证", "A05": "信息安全管理体系认证", "A06": "信息技术服务管理体系认证",
	"A10": "企业知识产权管理体系认证", "C02": "一般服务认证",
}

// mapping knows which cell holds which field.
type mapping struct {
	col     map[string]int // field → column index
	ignored []string       // headers no field claims
}

func newMapping(header []string, extra map[string]string) (*mapping, error) {
	m := &mapping{col: map[string]int{}}
	custom := map[string]string{}
	for h, f := range extra {
		if !slices.Contains(Fields, f) {
			return nil, fmt.Errorf("column mapping %s=%s: unknown field %q (fields: %s)", h, f, f, strings.Join(Fields, ", "))
		}
		custom[headerKey(h)] = f
	}
	for i, h := range header {
		k := headerKey(h)
		f, ok := custom[k]
		if !ok {
			f, ok = headerAliases[k]
		}
		if !ok {
			for _, name := range Fields {
				if strings.ToLower(name) == k {
					f, ok = name, true
				}
			}
		}
		if !ok {
			if strings.TrimSpace(h) != "" {
				m.ignored = append(m.ignored, h)
			}
			continue
		}
		if _, dup := m.col[f]; dup {
			return nil, fmt.Errorf("header: two columns map to %s (the second is %q)", f, h)
		}
		m.col[f] = i
	}
	var missing []string
	for _, f := range []string{"certNo", "enterpriseName"} {
		if _, ok := m.col[f]; !ok {
			missing = append(missing, f)
		}
	}
	if _, ok := m.col["typeName"]; !ok {
		if _, ok := m.col["typeCode"]; !ok {
			missing = append(missing, "typeName or typeCode")
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("header %q has no column for %s (map one with col=field)", header, strings.Join(missing, ", "))
	}
	return m, nil
}

// record builds a certificate from one row.
func (m *mapping) record(cells []string, now time.Time) (cert.Record, error) {
	get := func(f string) string {
		if i, ok := m.col[f]; ok && i < len(cells) {
			return strings.TrimSpace(cells[i])
		}
		return ""
	}
	r := cert.Record{
		ID: get("id"), CertNo: get("certNo"), TypeCode: get("typeCode"), TypeName: get("typeName"),
		Name: get("name"), EnterpriseName: get("enterpriseName"), CreditCode: get("creditCode"), RegNo: get("regNo"),
	}
	if r.TypeName == "" && len(r.TypeCode) >= 3 {
		r.TypeName = typeNames[strings.ToUpper(r.TypeCode[:3])]
	}
	var err error
	if r.StartDate, err = cert.ParseDate(get("startDate")); err != nil {
		return r, fmt.Errorf("startDate: %w", err)
	}
	if r.EndDate, err = cert.ParseDate(get("endDate")); err != nil {
		return r, fmt.Errorf("endDate: %w", err)
	}
	status := get("status")
	if status == "" {
		status = get("statusCode")
	}
	switch {
	case status != "":
		s, ok := cert.NormalizeStatus(status)
		if !ok {
			return r, fmt.Errorf("unknown status %q", status)
		}
		r.Status = s
	case r.EndDate.IsZero():
		return r, errors.New("no status and no end date")
	case r.EndDate.Before(now):
		r.Status = cert.StatusExpired
	default:
		r.Status = cert.StatusValid
	}
	str := func(s string) *string { return &s }
	certFields := []cert.Field{{Name: "证书编号", Value: str(r.CertNo)}, {Name: "企业名称", Value: str(r.EnterpriseName)},
		{Name: "证书状态", Value: str(r.Status)}}
	for _, f := range []struct{ label, v string }{
		{"颁证日期", dateOnly(r.StartDate)}, {"证书到期日期", dateOnly(r.EndDate)},
		{"认证依据", get("standard")}, {"认证范围/认证覆盖的业务范围", get("scope")},
	} {
		if f.v != "" {
			certFields = append(certFields, cert.Field{Name: f.label, Value: str(f.v)})
		}
	}
	holder := []cert.Field{{Name: "企业名称", Value: str(r.EnterpriseName)}, {Name: "统一社会信用代码/组织机构代码", Value: str(r.CreditCode)}}
	if a := get("address"); a != "" {
		holder = append(holder, cert.Field{Name: "组织地址", Value: str(a)})
	}
	r.Detail = []cert.Section{{Name: cert.SectionCert, Fields: certFields}, {Name: cert.SectionHolder, Fields: holder}}
	if issuer, approval := get("issuer"), get("issuerApproval"); issuer != "" || approval != "" {
		var fs []cert.Field
		if issuer != "" {
			fs = append(fs, cert.Field{Name: "机构名称", Value: str(issuer)})
		}
		if approval != "" {
			fs = append(fs, cert.Field{Name: "机构批准号", Value: str(approval)})
		}
		r.Detail = append(r.Detail, cert.Section{Name: cert.SectionIssuer, Fields: fs})
	}
	return r, nil
}

func dateOnly(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

func csvSource(r io.Reader, extra map[string]string) (*mapping, func(func(unit) bool) error, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err == io.EOF {
		return nil, nil, errors.New("empty file: want a header row")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("header: %w", err)
	}
	m, err := newMapping(header, extra)
	if err != nil {
		return nil, nil, err
	}
	return m, func(yield func(unit) bool) error {
		for {
			rec, err := cr.Read()
			if err == io.EOF {
				return nil
			}
			line, _ := cr.FieldPos(0)
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				// A malformed row is that row's problem, not the file's.
				if !yield(unit{line: pe.StartLine, err: pe.Err}) {
					return nil
				}
				continue
			}
			if err != nil {
				return err
			}
			if emptyRow(rec) {
				continue
			}
			if !yield(unit{line: line, cells: rec}) {
				return nil
			}
		}
	}, nil
}

func emptyRow(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// xlsxSource reads the first sheet; its first non-empty row is the header.
func xlsxSource(r io.Reader, extra map[string]string, rowsDone *int64) (*mapping, func(func(unit) bool) error, error) {
	f, err := excelize.OpenReader(r)
	if err != nil {
		return nil, nil, fmt.Errorf("open xlsx: %w", err)
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		f.Close()
		return nil, nil, errors.New("xlsx has no sheets")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("sheet %s: %w", sheets[0], err)
	}
	n := 0
	var header []string
	for rows.Next() {
		n++
		cells, err := rows.Columns()
		if err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("row %d: %w", n, err)
		}
		if !emptyRow(cells) {
			header = cells
			break
		}
	}
	if header == nil {
		f.Close()
		return nil, nil, errors.New("empty sheet: want a header row")
	}
	m, err := newMapping(header, extra)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return m, func(yield func(unit) bool) error {
		defer f.Close()
		defer rows.Close()
		for rows.Next() {
			n++
			*rowsDone = int64(n)
			cells, err := rows.Columns()
			if err != nil {
				return fmt.Errorf("row %d: %w", n, err)
			}
			if emptyRow(cells) {
				continue
			}
			if !yield(unit{line: n, cells: cells}) {
				return nil
			}
		}
		return rows.Error()
	}, nil
}
