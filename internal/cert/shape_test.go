package cert

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// The two certificates shown in the seeds, in the seeds' own detail shapes
// (the 企查查 one carries its list item's Type/TypeDesc beside Data).
const (
	jumeiSeedFile = "testdata/jumei-seed.json"
	qccSeedFile   = "testdata/qcc-seed.json"
)

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestFromJumeiDetailSeed(t *testing.T) {
	r, err := FromJumeiDetail(readFile(t, jumeiSeedFile))
	if err != nil {
		t.Fatalf("FromJumeiDetail: %v", err)
	}
	want := Record{
		ID: "85f8355cd221d46f5c5cfa6f1daae80b", CertNo: "浙RC-2020-0106", TypeName: "软件产品证书",
		Status: StatusWithdrawn, EnterpriseName: "阿里巴巴（中国）有限公司",
		StartDate: day("2025-03-30"), EndDate: day("2025-03-30"),
		Parties: []Party{
			{Role: RoleHolder, Name: "阿里巴巴（中国）有限公司"},
			{Role: RoleClient, Name: "合肥金德电力设备制造有限公司", Code: "723322222"},
			{Role: RoleManufacturer, Name: "合肥金德电力设备制造有限公司", Code: "723322222"},
		},
	}
	got := r
	got.Detail = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FromJumeiDetail(seed) scalars =\n%+v\nwant\n%+v", got, want)
	}
	var names []string
	for _, s := range r.Detail {
		names = append(names, s.Name)
	}
	if want := []string{SectionClient, SectionCert, SectionIssuer, SectionManufacturer}; !reflect.DeepEqual(names, want) {
		t.Errorf("sections = %q, want %q (as stored)", names, want)
	}
	if v := fieldValue(r, SectionIssuer, "处罚信息"); v != nil {
		t.Errorf("处罚信息 = %q, want null kept as nil", *v)
	}
}

func TestFromQCCDetailSeed(t *testing.T) {
	r, err := FromQCCDetail(readFile(t, qccSeedFile))
	if err != nil {
		t.Fatalf("FromQCCDetail: %v", err)
	}
	want := Record{
		ID: "145695151793ad28f7ffd5d8a24cd6191", CertNo: "17418Q20358R1M",
		TypeCode: "cnca027", TypeName: "质量管理体系认证（ISO9000）",
		Status: StatusValid, EnterpriseName: "企查查科技有限公司", CreditCode: "91320594088140947F",
		StartDate: day("2021-04-12"), EndDate: day("2024-05-15"),
		Parties: []Party{{Role: RoleHolder, Name: "企查查科技有限公司", Code: "91320594088140947F"}},
	}
	got := r
	got.Detail = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FromQCCDetail(seed) scalars =\n%+v\nwant\n%+v", got, want)
	}
	for _, c := range []struct{ section, label, want string }{
		{SectionHolder, "企业名称", "企查查科技有限公司"},
		{SectionClient, "组织名称", ""},
		{SectionManufacturer, "组织名称", ""},
		{SectionFactory, "组织地址", ""},
		{SectionIssuer, "机构名称", "华信创(北京)认证中心有限公司"},
		{SectionIssuer, "机构批准号", "CNCA-R-2015-189"},
		{SectionIssuer, "网址", "www.hxccc.org"},
		{SectionCert, "认证范围/认证覆盖的业务范围", "计算机软件开发及技术服务"},
		{SectionCert, "证书编号", "17418Q20358R1M"},
	} {
		v := fieldValue(r, c.section, c.label)
		if v == nil || *v != c.want {
			t.Errorf("field %s/%s = %v, want %q", c.section, c.label, v, c.want)
		}
	}
}

func fieldValue(r Record, section, label string) *string {
	for _, s := range r.Detail {
		if s.Name != section {
			continue
		}
		for _, f := range s.Fields {
			if f.Name == label {
				return f.Value
			}
		}
	}
	return nil
}

// TestSeedRoundTrip: a seed certificate read from its dialect's shape
// renders back in that shape with every key and value the seed shows.
func TestSeedRoundTrip(t *testing.T) {
	jumei := readFile(t, jumeiSeedFile)
	r, err := FromJumeiDetail(jumei)
	if err != nil {
		t.Fatal(err)
	}
	want := decodeAny(t, jumei).(map[string]any)
	delete(want, "id") // the list's Id, not part of the detail shape
	if got := decodeAny(t, mustMarshal(t, ToJumeiDetail(r))); !reflect.DeepEqual(got, want) {
		t.Errorf("聚美 round trip:\ngot  %v\nwant %v", got, want)
	}

	qcc := readFile(t, qccSeedFile)
	r, err = FromQCCDetail(qcc)
	if err != nil {
		t.Fatal(err)
	}
	want = decodeAny(t, qcc).(map[string]any)
	for _, k := range []string{"Type", "TypeDesc", "Name"} {
		delete(want, k) // list-item keys, not part of the detail shape
	}
	if got := decodeAny(t, mustMarshal(t, ToQCCDetail(r))); !reflect.DeepEqual(got, want) {
		t.Errorf("企查查 round trip:\ngot  %v\nwant %v", got, want)
	}
}

// TestCrossDialect: rendering in the other dialect and reading that back
// loses nothing.
func TestCrossDialect(t *testing.T) {
	for _, name := range []string{jumeiSeedFile, qccSeedFile} {
		t.Run(filepath.Base(name), func(t *testing.T) {
			r := readSeed(t, name)
			jumei := mustMarshal(t, ToJumeiDetail(r))
			qcc := mustMarshal(t, ToQCCDetail(r))

			viaQCC, err := FromQCCDetail(qcc)
			if err != nil {
				t.Fatalf("FromQCCDetail(%s): %v", qcc, err)
			}
			if got, want := SectionList(OrderedDetail(viaQCC)), SectionList(OrderedDetail(r)); !reflect.DeepEqual(got, want) {
				t.Errorf("detail after 企查查 shape:\ngot  %s\nwant %s", mustMarshal(t, got), mustMarshal(t, want))
			}
			viaJumei, err := FromJumeiDetail(jumei)
			if err != nil {
				t.Fatalf("FromJumeiDetail(%s): %v", jumei, err)
			}
			// The 聚美 detail has no id; compare the data.
			if got, want := mustMarshal(t, ToQCCDetail(viaJumei).Data), mustMarshal(t, ToQCCDetail(r).Data); !bytes.Equal(got, want) {
				t.Errorf("企查查 shape after 聚美 shape:\ngot  %s\nwant %s", got, want)
			}
		})
	}
}

// TestGolden renders each seed certificate in both dialects. Run with
// -update to rewrite the goldens, then read the diff.
func TestGolden(t *testing.T) {
	for _, name := range []string{jumeiSeedFile, qccSeedFile} {
		r := readSeed(t, name)
		base := name[:len(name)-len(".json")]
		for _, out := range []struct {
			suffix string
			v      any
		}{{".jumei.golden", ToJumeiDetail(r)}, {".qcc.golden", ToQCCDetail(r)}} {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(out.v); err != nil {
				t.Fatal(err)
			}
			golden := base + out.suffix
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			if want := readFile(t, golden); !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s differs (rerun with -update and review the diff):\n%s", golden, buf.Bytes())
			}
		}
	}
}

func readSeed(t *testing.T, name string) Record {
	t.Helper()
	parse := FromJumeiDetail
	if name == qccSeedFile {
		parse = FromQCCDetail
	}
	r, err := parse(readFile(t, name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return r
}

func TestDetailOrder(t *testing.T) {
	r := readSeed(t, jumeiSeedFile)
	var names []string
	for _, s := range OrderedDetail(r) {
		names = append(names, s.Name)
	}
	if want := []string{SectionCert, SectionClient, SectionManufacturer, SectionIssuer}; !reflect.DeepEqual(names, want) {
		t.Errorf("OrderedDetail sections = %q, want %q", names, want)
	}
	cert := OrderedDetail(r)[0].Fields
	var first []string
	for _, f := range cert[:4] {
		first = append(first, f.Name)
	}
	if want := []string{"证书编号", "证书状态", "颁证日期", "证书到期日期"}; !reflect.DeepEqual(first, want) {
		t.Errorf("证书信息 starts with %q, want %q", first, want)
	}
}

func TestMinimalDetail(t *testing.T) {
	r := Record{CertNo: "00216Q10097R1S", EnterpriseName: "示例有限公司", CreditCode: "91330106MA2H3K5L0W",
		Status: StatusValid, StartDate: day("2024-01-02"), EndDate: day("2027-01-01")}
	got := string(mustMarshal(t, ToQCCDetail(r).Data))
	want := `{"证书编号":"00216Q10097R1S","企业名称":"示例有限公司","证书状态":"有效","颁证日期":"2024-01-02","证书到期日期":"2027-01-01","获证组织基本信息-企业名称":"示例有限公司","获证组织基本信息-统一社会信用代码/组织机构代码":"91330106MA2H3K5L0W"}`
	if got != want {
		t.Errorf("Data of a record without detail =\n%s\nwant\n%s", got, want)
	}
}

func TestFlatKey(t *testing.T) {
	tests := []struct {
		section, label, key string
	}{
		{SectionCert, "证书编号", "证书编号"},
		{SectionCert, "认证范围/认证覆盖的业务范围", "认证范围/认证覆盖的业务范围"},
		{SectionCert, "A-B", "A-B"},
		{SectionHolder, "企业名称", "获证组织基本信息-企业名称"},
		{SectionClient, "组织名称", "认证委托人-组织名称"},
		{SectionManufacturer, "组织名称", "生产者(制造商)-组织名称"},
		{SectionFactory, "组织地址", "生产企业-组织地址"},
		{SectionIssuer, "机构名称", "发证机构名称"},
		{SectionIssuer, "机构批准号", "发证机构批准号"},
		{SectionIssuer, "机构状态", "发证机构状态"},
		{SectionIssuer, "网址", "发证机构网址"},
		{SectionIssuer, "有效期", "发证机构有效期"},
		{SectionIssuer, "处罚信息", "发证机构处罚信息"},
	}
	for _, tt := range tests {
		if got := FlatKey(tt.section, tt.label); got != tt.key {
			t.Errorf("FlatKey(%q, %q) = %q, want %q", tt.section, tt.label, got, tt.key)
		}
		if s, l := splitFlatKey(tt.key); s != tt.section || l != tt.label {
			t.Errorf("splitFlatKey(%q) = %q, %q; want %q, %q", tt.key, s, l, tt.section, tt.label)
		}
	}
}

func TestDetailShapeErrors(t *testing.T) {
	tests := []struct {
		name  string
		parse func([]byte) (Record, error)
		in    string
	}{
		{"jumei not json", FromJumeiDetail, `certNo`},
		{"jumei array", FromJumeiDetail, `[]`},
		{"jumei empty", FromJumeiDetail, `{}`},
		{"jumei trailing", FromJumeiDetail, `{"certNo":"1"} {}`},
		{"jumei nested field", FromJumeiDetail, `{"certNo":"1","detail":{"证书信息":{"a":{"b":1}}}}`},
		{"jumei section not object", FromJumeiDetail, `{"certNo":"1","detail":{"证书信息":"x"}}`},
		{"jumei bad date", FromJumeiDetail, `{"certNo":"1","startDate":"yesterday"}`},
		{"qcc empty data", FromQCCDetail, `{"Id":"x","Data":{}}`},
		{"qcc data array", FromQCCDetail, `{"Id":"x","Data":[]}`},
		{"qcc nested value", FromQCCDetail, `{"Data":{"证书编号":["1"]}}`},
		{"qcc bad date", FromQCCDetail, `{"Data":{"证书编号":"1","颁证日期":"2021-13-45"}}`},
	}
	for _, tt := range tests {
		if r, err := tt.parse([]byte(tt.in)); err == nil {
			t.Errorf("%s: parse(%s) = %+v, want an error", tt.name, tt.in, r)
		}
	}
	if _, err := FromQCCDetail([]byte(`[1]`)); !errors.Is(err, ErrDetailShape) {
		t.Errorf("FromQCCDetail([1]) error = %v, want ErrDetailShape", err)
	}
}

func TestDetailShapeVariants(t *testing.T) {
	// Envelopes and bare objects are accepted; numbers and booleans are kept as written.
	tests := []struct {
		name  string
		parse func([]byte) (Record, error)
		in    string
		want  Record
	}{
		{"jumei envelope", FromJumeiDetail,
			`{"code":200,"msg":"成功","taskNo":"1","data":{"certNo":"C1","type":"T","enterpriseName":"甲公司","startDate":"2020-01-02","endDate":"2023-01-01 00:00:00","detail":{"证书信息":{"证书状态":"有效"}}}}`,
			Record{CertNo: "C1", TypeName: "T", EnterpriseName: "甲公司", Status: "有效", StartDate: day("2020-01-02"), EndDate: day("2023-01-01"),
				Parties: []Party{{Role: RoleHolder, Name: "甲公司"}}}},
		{"qcc envelope", FromQCCDetail,
			`{"Result":{"Id":"i1","Data":{"证书编号":"C2","企业名称":"乙公司","再认证次数":1,"生产企业-组织名称":"丙厂"},"Schema":null},"Status":"200"}`,
			Record{ID: "i1", CertNo: "C2", EnterpriseName: "乙公司",
				Parties: []Party{{Role: RoleHolder, Name: "乙公司"}, {Role: RoleFactory, Name: "丙厂"}}}},
		{"qcc bare data", FromQCCDetail, `{"证书编号":"C3","获证组织基本信息-企业名称":"丁公司"}`,
			Record{CertNo: "C3", EnterpriseName: "丁公司", Parties: []Party{{Role: RoleHolder, Name: "丁公司"}}}},
	}
	for _, tt := range tests {
		got, err := tt.parse([]byte(tt.in))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		got.Detail = nil
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
	r, err := FromQCCDetail([]byte(`{"Data":{"证书编号":"C","再认证次数":1,"是否覆盖多场所":false}}`))
	if err != nil {
		t.Fatal(err)
	}
	if v := fieldValue(r, SectionCert, "再认证次数"); v == nil || *v != "1" {
		t.Errorf("再认证次数 = %v, want \"1\"", v)
	}
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote\back`, "tab\tnl\ncr\r\x01", "<a&b>", "中文（括号）", "\u2028\u2029", "bad\xffutf8"} {
		b := AppendJSONString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Errorf("AppendJSONString(%q) = %s: not JSON: %v", s, b, err)
			continue
		}
		want := string(bytes.ToValidUTF8([]byte(s), []byte("\uFFFD")))
		if got != want {
			t.Errorf("AppendJSONString(%q) decodes to %q, want %q", s, got, want)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	f.Add("中文\"\\\n\x00\u2028")
	f.Fuzz(func(t *testing.T, s string) {
		var got string
		if err := json.Unmarshal(AppendJSONString(nil, s), &got); err != nil {
			t.Fatalf("AppendJSONString(%q) not JSON: %v", s, err)
		}
		if want := string(bytes.ToValidUTF8([]byte(s), []byte("\uFFFD"))); got != want {
			// ToValidUTF8 merges runs of bad bytes; compare rune counts of valid input only.
			if bytes.Equal([]byte(s), []byte(want)) {
				t.Fatalf("AppendJSONString(%q) decodes to %q", s, got)
			}
		}
	})
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeAny(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return v
}

// FuzzDetailShapes: the parsers never panic, and whatever they accept
// renders to a shape that reads back to the same rendering: byte for byte
// in 聚美, and key for key in 企查查 (where a section zheng does not know
// reads back as certificate fields, so the order may change).
func FuzzDetailShapes(f *testing.F) {
	for _, name := range []string{jumeiSeedFile, qccSeedFile} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"Data":{"发证机构":"x","生产企业-":"y","a-b":1.5e3,"c":true}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, parse := range []func([]byte) (Record, error){FromJumeiDetail, FromQCCDetail} {
			r, err := parse(data)
			if err != nil {
				continue
			}
			jumei := mustMarshal(t, ToJumeiDetail(r))
			qcc := mustMarshal(t, ToQCCDetail(r))
			r2, err := FromJumeiDetail(jumei)
			if err != nil {
				// Only a record with no certificate number and no detail renders unreadably.
				continue
			}
			if got := mustMarshal(t, ToJumeiDetail(r2)); !bytes.Equal(got, jumei) {
				t.Fatalf("聚美 rendering not stable:\n%s\n%s", jumei, got)
			}
			r3, err := FromQCCDetail(qcc)
			if err != nil {
				continue
			}
			if got, want := sortedFields(ToQCCDetail(r3).Data), sortedFields(ToQCCDetail(r).Data); !reflect.DeepEqual(got, want) {
				t.Fatalf("企查查 rendering not stable:\n%s\n%v", qcc, got)
			}
		}
	})
}

func sortedFields(fl FieldList) []string {
	var out []string
	for _, f := range fl {
		v := "<nil>"
		if f.Value != nil {
			v = "=" + *f.Value
		}
		out = append(out, f.Name+v)
	}
	slices.Sort(out)
	return out
}

func BenchmarkRenderDetail(b *testing.B) {
	raw, err := os.ReadFile(qccSeedFile)
	if err != nil {
		b.Fatal(err)
	}
	r, err := FromQCCDetail(raw)
	if err != nil {
		b.Fatal(err)
	}
	for _, d := range []struct {
		name   string
		render func(Record) any
	}{
		{"dialect=jumei", func(r Record) any { return ToJumeiDetail(r) }},
		{"dialect=qcc", func(r Record) any { return ToQCCDetail(r) }},
	} {
		b.Run(d.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := json.Marshal(d.render(r)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestAppendJSON: the direct writers produce what encoding/json does.
func TestAppendJSON(t *testing.T) {
	for _, name := range []string{jumeiSeedFile, qccSeedFile} {
		r := readSeed(t, name)
		r.EnterpriseName += "<&>" // encoding/json is told not to escape these either
		for _, v := range []interface{ AppendJSON([]byte) []byte }{ToJumeiDetail(r), ToQCCDetail(r)} {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(v); err != nil {
				t.Fatal(err)
			}
			want := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
			if got := v.AppendJSON([]byte("x")); !bytes.Equal(got[1:], want) || got[0] != 'x' {
				t.Errorf("%s %T: AppendJSON =\n%s\nwant\n%s", name, v, got, want)
			}
		}
	}
}
