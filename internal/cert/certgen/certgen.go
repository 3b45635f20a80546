// Package certgen generates synthetic, realistic certificate records: the
// built-in demo data and benchmark input. The same seed always yields the
// same sequence, and a longer run extends a shorter one. Records carry
// valid check characters (GB 32100, GB 11714, GS 15-2006), names across
// provinces and industries, certificate numbers in their types' formats,
// and detail sections in the canonical vocabulary of package cert.
//
// The data is made up: names, codes and numbers may coincide with real
// entities only by chance.
package certgen

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/zhengapi/zheng/internal/cert"
)

// Reference returns the date the generator treats as "today" when it
// decides which certificates have expired; fixed so output never depends
// on the clock.
func Reference() time.Time { return time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC) }

// Generator yields records. It is not safe for concurrent use.
type Generator struct {
	rng     *rand.Rand
	serials map[string]int
	company company
	left    int // certificates still to issue to company
}

// New returns a generator for seed.
func New(seed uint64) *Generator {
	return &Generator{rng: rand.New(rand.NewPCG(seed, 0x7a68656e67)), serials: map[string]int{}}
}

type company struct {
	name, uscc, orgCode, regNo string
	region                     region
	industry                   industry
	founded                    time.Time
	address                    string
	staff                      int
}

// Next returns the next record.
func (g *Generator) Next() cert.Record {
	if g.left == 0 {
		g.company = g.newCompany()
		g.left = 1 + g.pick([]int{40, 25, 15, 10, 6, 4})
	}
	g.left--
	return g.newCert(g.company)
}

func (g *Generator) intn(n int) int { return g.rng.IntN(n) }

// pick returns an index drawn with the given weights.
func (g *Generator) pick(weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := g.intn(total)
	for i, w := range weights {
		if n < w {
			return i
		}
		n -= w
	}
	return len(weights) - 1
}

func (g *Generator) newCompany() company {
	return g.newCompanyIn(industries[g.intn(len(industries))])
}

func (g *Generator) newCompanyIn(ind industry) company {
	reg := regions[g.intn(len(regions))]
	brandLen := 2
	if g.intn(5) == 0 {
		brandLen = 3
	}
	var brand strings.Builder
	for range brandLen {
		brand.WriteRune(brandChars[g.intn(len(brandChars))])
	}
	trade := ind.trade[g.intn(len(ind.trade))]
	fw := make([]int, len(legalForms))
	for i, f := range legalForms {
		fw[i] = f.weight
	}
	form := legalForms[g.pick(fw)].form
	var name string
	switch n := g.intn(20); {
	case n == 0: // region in brackets after the trade name
		name = brand.String() + trade + "（" + strings.TrimSuffix(strings.TrimSuffix(reg.city, "市"), "省") + "）" + form
	case n == 1: // operates nationwide, no region
		name = brand.String() + trade + form
	default:
		name = reg.city + brand.String() + trade + form
	}
	if g.intn(40) == 0 {
		name += reg.city + "分公司"
	}
	founded := time.Date(1995+g.intn(29), time.Month(1+g.intn(12)), 1+g.intn(28), 0, 0, 0, 0, time.UTC)
	c := company{
		name: name, region: reg, industry: ind, founded: founded,
		address: address(reg, reg.street[g.intn(len(reg.street))], 1+g.intn(300)),
		staff:   []int{15, 40, 80, 150, 300, 800, 2000}[g.intn(7)],
	}
	// Registered after the 2015 reform: an MA… subject identifier and no
	// old registration number; before it: a numeric org code.
	var body string
	if founded.Year() >= 2016 {
		body = "MA" + g.usccChars(6)
	} else {
		body = fmt.Sprintf("%08d", 10000000+g.intn(89999999))
		c.regNo = g.regNo(reg.district, founded)
	}
	check, _ := cert.OrgCodeCheck(body)
	c.orgCode = body + string(check)
	// 91: an enterprise registered with market regulation, which every
	// 有限公司 is.
	first17 := "91" + reg.district + c.orgCode
	uc, _ := cert.USCCCheck(first17)
	c.uscc = first17 + string(uc)
	return c
}

// address prints a street address the way registers do: province, city
// (not repeated for the four municipalities), street, number.
func address(reg region, street string, n int) string {
	city := reg.city
	if !strings.HasSuffix(city, "市") {
		city += "市"
	}
	if city == reg.province {
		return fmt.Sprintf("%s%s%d号", reg.province, street, n)
	}
	return fmt.Sprintf("%s%s%s%d号", reg.province, city, street, n)
}

const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

func (g *Generator) usccChars(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = usccAlphabet[g.intn(len(usccAlphabet))]
	}
	return string(b)
}

func (g *Generator) regNo(district string, founded time.Time) string {
	kind := g.intn(4) // domestic enterprise
	if g.intn(8) == 0 {
		kind = 4 + g.intn(2) // foreign-invested
	}
	first14 := fmt.Sprintf("%s%d%07d", district, kind, g.intn(10000000))
	c, _ := cert.RegNoCheck(first14)
	return first14 + string(c)
}

// serial returns the next serial number for key, starting at a random
// offset so numbers do not all begin at 00001.
func (g *Generator) serial(key string) int {
	n, ok := g.serials[key]
	if !ok {
		n = 1 + g.intn(20000)
	}
	g.serials[key] = n + 1
	return n
}

func str(s string) *string { return &s }

func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

func (g *Generator) newCert(c company) cert.Record {
	// Types: mostly the industry's own, sometimes any.
	ti := c.industry.kinds[g.intn(len(c.industry.kinds))]
	if g.intn(10) == 0 {
		w := make([]int, len(certTypes))
		for i, t := range certTypes {
			w[i] = t.weight
		}
		ti = g.pick(w)
	}
	t := certTypes[ti]
	earliest := c.founded.AddDate(1, 0, 0)
	if y := time.Date(2012, 1, 1, 0, 0, 0, 0, time.UTC); earliest.Before(y) {
		earliest = y
	}
	span := int(time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC).Sub(earliest).Hours() / 24)
	if span < 30 {
		span = 30
	}
	start := earliest.AddDate(0, 0, g.intn(span))
	end := start.AddDate(t.years, 0, -1)
	first := start
	recerts := 0
	if t.years == 3 && g.intn(2) == 0 {
		recerts = 1 + g.intn(3)
		first = start.AddDate(-3*recerts, 0, 0)
	}
	status := cert.StatusValid
	switch {
	case end.Before(Reference()):
		status = []string{cert.StatusExpired, cert.StatusExpired, cert.StatusExpired, cert.StatusCancelled}[g.intn(4)]
	default:
		switch g.intn(20) {
		case 0:
			status = cert.StatusSuspended
		case 1:
			status = cert.StatusWithdrawn
		case 2:
			status = cert.StatusCancelled
		}
	}
	b := bodies[g.intn(len(bodies))]
	holderCode := c.uscc
	if start.Year() < 2016 && g.intn(2) == 0 {
		holderCode = c.orgCode // pre-reform certificates print the org code
	}
	r := cert.Record{
		TypeCode: t.code, TypeName: t.name, Status: status,
		EnterpriseName: c.name, CreditCode: holderCode, RegNo: c.regNo,
		StartDate: start, EndDate: end,
	}
	country := "中国 " + c.region.province
	reported := start.AddDate(0, 0, 1+g.intn(6))
	surveil := "0"
	if months := Reference().Sub(start).Hours() / 24 / 365; months >= 1 {
		surveil = fmt.Sprint(min(2, int(months)))
	}
	certInfo := []cert.Field{}
	add := func(name, value string) { certInfo = append(certInfo, cert.Field{Name: name, Value: str(value)}) }
	switch ti {
	case tCCC:
		p := cccProducts[g.intn(len(cccProducts))]
		product := p.products[g.intn(len(p.products))]
		year := first.Year()
		r.CertNo = fmt.Sprintf("%d01%s%06d", year, p.code, g.serial(fmt.Sprint("ccc", year, p.code)))
		r.Name = product
		b = bodies[0] // CCC certificates come from CQC
		add("证书编号", r.CertNo)
		add("证书状态", status)
		add("颁证日期", date(start))
		add("证书到期日期", date(end))
		add("初次获证日期", date(first))
		add("信息上报日期", date(reported))
		add("产品类别", p.code+"："+p.class)
		add("产品名称及单元（主）", product)
		add("规格型号", fmt.Sprintf("%s-%d %dV;50Hz", strings.ToUpper(g.usccChars(2)), 100+g.intn(900), []int{220, 380}[g.intn(2)]))
		add("认证标准和技术要求", p.standard)
		if status == cert.StatusWithdrawn {
			add("撤销日期", date(Reference().AddDate(0, -g.intn(12), -g.intn(28))))
		}
	case tSoft:
		r.CertNo = fmt.Sprintf("%sRC-%d-%04d", c.region.abbr, start.Year(), g.serial("soft"+c.region.abbr+fmt.Sprint(start.Year()))%10000)
		r.Name = strings.TrimSuffix(strings.TrimSuffix(c.name, "有限公司"), "股份") + []string{"管理系统", "数据平台", "监控软件", "服务平台"}[g.intn(4)] + fmt.Sprintf("V%d.0", 1+g.intn(5))
		add("证书编号", r.CertNo)
		add("软件名称", r.Name)
		add("证书状态", status)
		add("颁证日期", date(start))
		add("证书到期日期", date(end))
	case tHNTE:
		r.CertNo = fmt.Sprintf("GR%d%s%06d", start.Year(), c.region.prov2, g.serial("gr"+c.region.prov2+fmt.Sprint(start.Year())))
		add("证书编号", r.CertNo)
		add("证书状态", status)
		add("颁证日期", date(start))
		add("证书到期日期", date(end))
	default:
		yy := start.Year() % 100
		switch ti {
		case tFSMS:
			r.CertNo = fmt.Sprintf("%sFSMS%02d%05d", b.prefix, yy, g.serial(fmt.Sprint(b.prefix, "FSMS", yy))%100000)
		case tOrganic:
			r.CertNo = fmt.Sprintf("%sOP%02d%05d", b.prefix, first.Year()%100, g.serial(fmt.Sprint(b.prefix, "OP", first.Year()))%100000)
		default:
			size := "S"
			if c.staff >= 300 {
				size = "L"
			} else if c.staff >= 80 {
				size = "M"
			}
			r.CertNo = fmt.Sprintf("%s%02d%s%05dR%d%s", b.prefix, yy, t.letters, g.serial(fmt.Sprint(b.prefix, t.letters, yy))%100000, recerts, size)
		}
		add("证书编号", r.CertNo)
		add("企业名称", c.name)
		add("证书状态", status)
		add("颁证日期", date(start))
		add("证书到期日期", date(end))
		add("初次获证日期", date(first))
		add("变更日期", "")
		add("信息上报日期", date(reported))
		add("主认证证书号", "")
		add("是否是子证书", "否")
		add("再认证次数", fmt.Sprint(recerts))
		add("监督次数", surveil)
		add("证书使用的认可标识", []string{"CNAS", "CNAS", "CNAS", "CNAS", "UKAS", ""}[g.intn(6)])
		add("认证依据", t.basis)
		add("认证范围/认证覆盖的业务范围", c.industry.scope[g.intn(len(c.industry.scope))])
		add("是否覆盖多场所", "否")
		add("认证覆盖的场所名称及地址", "")
		add("认证相关员工数量", "")
	}
	r.Detail = append(r.Detail, cert.Section{Name: cert.SectionCert, Fields: certInfo})
	r.ID = cert.DeriveID(r.TypeCode, r.TypeName, r.CertNo)

	holder := cert.Party{Role: cert.RoleHolder, Name: c.name, Code: holderCode}
	r.Parties = []cert.Party{holder}
	if ti == tCCC {
		// Product certificates name the client, the maker and the factory;
		// in OEM arrangements they are different companies.
		maker, factory := c, c
		if g.intn(4) == 0 {
			maker = g.newCompanyIn(c.industry)
		}
		if g.intn(4) == 0 {
			factory = g.newCompanyIn(c.industry)
		}
		r.Detail = append(r.Detail,
			partySection(cert.SectionClient, c, holderCode, country),
			partySection(cert.SectionManufacturer, maker, maker.uscc, "中国 "+maker.region.province),
			cert.Section{Name: cert.SectionFactory, Fields: []cert.Field{
				{Name: "组织名称", Value: str(factory.name)},
				{Name: "组织地址", Value: str(factory.address)},
			}})
		r.Parties[0].Role = cert.RoleClient
		r.Parties = append(r.Parties,
			cert.Party{Role: cert.RoleManufacturer, Name: maker.name, Code: maker.uscc},
			cert.Party{Role: cert.RoleFactory, Name: factory.name})
	} else {
		r.Detail = append(r.Detail, cert.Section{Name: cert.SectionHolder, Fields: []cert.Field{
			{Name: "企业名称", Value: str(c.name)},
			{Name: "统一社会信用代码/组织机构代码", Value: str(holderCode)},
			{Name: "所在国别地区", Value: str(country)},
			{Name: "组织地址", Value: str(c.address)},
			{Name: "邮政编码", Value: str(c.region.postcode)},
			{Name: "本证书体系覆盖人数", Value: str(fmt.Sprint(c.staff))},
		}})
	}
	r.Detail = append(r.Detail, issuerSection(ti, b, c))
	return r
}

func partySection(name string, c company, code, country string) cert.Section {
	return cert.Section{Name: name, Fields: []cert.Field{
		{Name: "组织名称", Value: str(c.name)},
		{Name: "统一社会信用代码/组织机构代码", Value: str(code)},
		{Name: "所在国别地区", Value: str(country)},
		{Name: "组织地址", Value: str(c.address)},
	}}
}

func issuerSection(ti int, b body, c company) cert.Section {
	switch ti {
	case tSoft:
		return cert.Section{Name: cert.SectionIssuer, Fields: []cert.Field{
			{Name: "机构名称", Value: str(strings.TrimSuffix(c.region.province, "省") + "软件行业协会")},
		}}
	case tHNTE:
		p := c.region.province
		return cert.Section{Name: cert.SectionIssuer, Fields: []cert.Field{
			{Name: "机构名称", Value: str(p + "科学技术厅、" + p + "财政厅、国家税务总局" + p + "税务局")},
		}}
	}
	return cert.Section{Name: cert.SectionIssuer, Fields: []cert.Field{
		{Name: "机构名称", Value: str(b.name)},
		{Name: "机构批准号", Value: str(b.approval)},
		{Name: "机构状态", Value: str("有效")},
		{Name: "有效期", Value: str(b.until)},
		{Name: "地址", Value: str(b.address)},
		{Name: "电话", Value: str(b.phone)},
		{Name: "网址", Value: str(b.site)},
		{Name: "业务范围", Value: str(b.scope)},
		{Name: "处罚信息", Value: nil},
	}}
}
