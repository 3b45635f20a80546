package cert

import (
	"reflect"
	"testing"
)

// canonicalCases are canonical lines the fast decoder must read exactly as
// the reflective one does, or hand over to it.
var canonicalCases = []string{
	`{"id":"a1","certNo":"00120Q31234R0M","typeCode":"cnca027","typeName":"质量管理体系认证（ISO9000）","status":"有效","enterpriseName":"北京百度网讯科技有限公司","creditCode":"91110000802100433B","parties":[{"role":"获证组织","name":"北京百度网讯科技有限公司","code":"91110000802100433B"},{"role":"生产企业","name":"百度"}],"startDate":"2020-01-02","endDate":"2023-01-01 12:00:00","detail":[{"section":"证书信息","fields":[["证书编号","00120Q31234R0M"],["备注",null]]},{"section":"空","fields":[]}]}`,
	` { "certNo" : "a\"b\\c\u4e2d\n" , "typeName":"t", "status":"有效", "enterpriseName":"x", "detail": [] , "parties": [] } `,
	`{"certNo":"a","typeName":"t","status":"有效","enterpriseName":"x","certNo":"b"}`,
	`{"CertNo":"case-insensitive key, reflective path","typeName":"t","status":"s","enterpriseName":"x"}`,
	`{"certNo":null,"typeName":"t","status":"s","enterpriseName":"x"}`,
	`{"certNo":"a","typeName":"t","status":"s","enterpriseName":"x"} trailing`,
	`{"certNo":"a","detail":[{"section":"s","fields":[["only one"]]}]}`,
	`{"certNo":"a","detail":[{"section":"s","fields":[[null,"v"]]}]}`,
	`{"certNo":"a","unknown":"refused"}`,
	`{"certNo":"a","typeName":1}`,
	`{"certNo":"a"`,
	`{"certNo":"bad\x01control"}`,
	"{\"certNo\":\"bad utf-8 \xff\"}",
	`[]`,
	``,
}

func TestDecodeCanonicalMatchesReflective(t *testing.T) {
	for i, c := range canonicalCases {
		// The first three are what zheng cert gen writes (escapes, spacing
		// and a repeated key aside): they must take the fast path.
		if _, _, err := decodeCanonical([]byte(c)); i < 3 && err != nil {
			t.Errorf("case %d: fast decoder refused a canonical line: %v", i, err)
		}
		checkCanonical(t, []byte(c))
	}
}

func FuzzDecodeCanonical(f *testing.F) {
	for _, c := range canonicalCases {
		f.Add([]byte(c))
	}
	f.Fuzz(checkCanonical)
}

// checkCanonical fails when the fast decoder accepts b but reads it
// differently from the reflective decoder.
func checkCanonical(t *testing.T, b []byte) {
	fj, fd, ferr := decodeCanonical(b)
	if ferr != nil {
		return // handed over to decodeReflect
	}
	sj, sd, serr := decodeReflect(b)
	if serr != nil {
		t.Fatalf("%q: fast decoder accepted what the reflective one refuses: %v", b, serr)
	}
	if len(fj.Parties) == 0 && len(sj.Parties) == 0 {
		fj.Parties, sj.Parties = nil, nil
	}
	if !reflect.DeepEqual(fj, sj) || !reflect.DeepEqual(fd, sd) {
		t.Fatalf("%q:\nfast %+v %+v\nslow %+v %+v", b, fj, fd, sj, sd)
	}
}
