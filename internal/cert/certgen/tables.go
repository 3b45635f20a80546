package certgen

// The word lists below are the generator's vocabulary. Region codes are
// GB/T 2260 divisions; certification bodies carry their CNCA approval
// numbers; contact details of bodies are synthetic.

type region struct {
	province string // as 所在国别地区 prints it after "中国 "
	abbr     string // one-character abbreviation used in software certificate numbers
	prov2    string // two-digit province code used in 高新技术企业 numbers
	city     string // city name as it prefixes company names
	district string // six-digit division code of the registering office
	street   []string
	postcode string
}

var regions = []region{
	{"北京市", "京", "11", "北京", "110108", []string{"海淀区中关村大街", "海淀区上地十街", "海淀区学院路"}, "100080"},
	{"北京市", "京", "11", "北京", "110105", []string{"朝阳区建国路", "朝阳区酒仙桥路", "朝阳区望京街"}, "100020"},
	{"上海市", "沪", "31", "上海", "310115", []string{"浦东新区张江路", "浦东新区世纪大道", "浦东新区金桥路"}, "200120"},
	{"上海市", "沪", "31", "上海", "310112", []string{"闵行区莘庄工业区春东路", "闵行区虹梅南路"}, "201100"},
	{"广东省", "粤", "44", "深圳市", "440300", []string{"南山区科技园科苑路", "宝安区西乡街道", "龙岗区坂田街道"}, "518000"},
	{"广东省", "粤", "44", "广州市", "440106", []string{"天河区天河北路", "天河区科韵路", "黄埔区科学大道"}, "510000"},
	{"广东省", "粤", "44", "东莞市", "441900", []string{"长安镇振安中路", "松山湖高新区工业西路"}, "523000"},
	{"浙江省", "浙", "33", "杭州市", "330106", []string{"西湖区文三路", "滨江区网商路", "余杭区文一西路"}, "310000"},
	{"浙江省", "浙", "33", "宁波市", "330212", []string{"鄞州区天童南路", "北仑区明州路"}, "315000"},
	{"江苏省", "苏", "32", "苏州", "320594", []string{"苏州工业园区星湖街", "苏州工业园区东长路"}, "215000"},
	{"江苏省", "苏", "32", "南京", "320114", []string{"雨花台区软件大道", "江宁区胜太路"}, "210000"},
	{"山东省", "鲁", "37", "青岛", "370212", []string{"崂山区株洲路", "黄岛区江山中路"}, "266000"},
	{"山东省", "鲁", "37", "济南", "370112", []string{"历城区工业北路", "高新区舜华路"}, "250000"},
	{"四川省", "川", "51", "成都", "510107", []string{"武侯区天府大道", "高新区天府五街"}, "610000"},
	{"湖北省", "鄂", "42", "武汉", "420111", []string{"洪山区光谷大道", "东湖新技术开发区高新大道"}, "430000"},
	{"湖南省", "湘", "43", "长沙", "430104", []string{"岳麓区麓谷大道", "岳麓区桐梓坡路"}, "410000"},
	{"福建省", "闽", "35", "厦门", "350203", []string{"思明区软件园二期观日路", "湖里区火炬路"}, "361000"},
	{"安徽省", "皖", "34", "合肥", "340104", []string{"蜀山区黄山路", "高新区望江西路"}, "230000"},
	{"河南省", "豫", "41", "郑州", "410102", []string{"中原区建设西路", "高新区翠竹街"}, "450000"},
	{"天津市", "津", "12", "天津", "120116", []string{"滨海新区第二大街", "滨海新区黄海路"}, "300450"},
	{"重庆市", "渝", "50", "重庆", "500108", []string{"南岸区茶园路", "渝北区金开大道"}, "400060"},
	{"陕西省", "陕", "61", "西安", "610113", []string{"雁塔区科技路", "高新区锦业路"}, "710065"},
	{"辽宁省", "辽", "21", "大连", "210211", []string{"甘井子区黄浦路", "高新园区火炬路"}, "116000"},
	{"河北省", "冀", "13", "石家庄", "130102", []string{"长安区中山东路", "高新区湘江道"}, "050000"},
}

// brandChars make up 字号 (the trade name), two or three characters.
var brandChars = []rune("华信创达瑞恒博宏鑫泰康盛德金源新天中海通联嘉诚兴安丰正宇明景远卓越精英飞腾隆凯智云汇锦祥和顺昌荣辉光晟润宁鼎立峰誉航尚星晨")

// industry is a line of business: the words in the name and the
// certificates its companies tend to hold.
type industry struct {
	trade []string // 行业或经营特点
	scope []string // 认证范围
	kinds []int    // indexes into certTypes, by preference
}

var industries = []industry{
	{[]string{"信息技术", "网络科技", "软件技术", "数据科技", "智能科技"},
		[]string{"计算机软件开发及技术服务", "信息系统集成服务", "计算机信息系统运维服务", "云计算平台的开发与运营"},
		[]int{tQMS, tISMS, tITSMS, tSoft, tHNTE, tIP, tEMS}},
	{[]string{"电气设备", "电力设备", "开关设备", "电器"},
		[]string{"低压成套开关设备的设计、生产", "高低压开关柜的生产和服务", "电力金具的生产"},
		[]int{tCCC, tQMS, tEMS, tOHS, tHNTE}},
	{[]string{"建设工程", "建筑工程", "市政工程", "装饰工程"},
		[]string{"房屋建筑工程施工总承包", "市政公用工程施工", "建筑装修装饰工程专业承包"},
		[]int{tQMS, tEMS, tOHS}},
	{[]string{"食品", "农业发展", "乳业", "茶业"},
		[]string{"糕点的生产", "茶叶（绿茶）的种植和加工", "巴氏杀菌乳的生产"},
		[]int{tFSMS, tQMS, tOrganic}},
	{[]string{"机械制造", "精密机械", "自动化设备", "汽车零部件"},
		[]string{"数控机床的设计和生产", "汽车零部件的机加工", "自动化生产线的设计、制造"},
		[]int{tQMS, tEMS, tOHS, tHNTE, tIP}},
	{[]string{"医疗器械", "生物科技", "医药科技"},
		[]string{"一次性使用医用口罩的生产", "体外诊断试剂的研发和生产"},
		[]int{tQMS, tEMS, tHNTE}},
	{[]string{"家电", "电子科技", "照明电器"},
		[]string{"电风扇的设计和生产", "LED灯具的生产", "电子元器件的组装"},
		[]int{tCCC, tQMS, tEMS}},
	{[]string{"物业管理", "环保科技", "物流"},
		[]string{"物业管理服务", "生活垃圾清运服务", "道路普通货物运输服务"},
		[]int{tQMS, tEMS, tOHS}},
}

// Type indexes into certTypes.
const (
	tQMS = iota
	tEMS
	tOHS
	tIP
	tISMS
	tITSMS
	tFSMS
	tCCC
	tOrganic
	tSoft
	tHNTE
)

// certType is one certificate type. Codes follow 企查查's style (cnca…)
// where the seed shows one (cnca027, cnca058); the others are zheng's.
type certType struct {
	code, name string
	letters    string // management-system scheme letters in the number
	basis      string // 认证依据
	years      int    // validity
	weight     int    // share among a company's certificates
}

var certTypes = []certType{
	tQMS:     {"cnca027", "质量管理体系认证（ISO9000）", "Q", "GB/T19001-2016 / ISO9001:2015", 3, 424},
	tEMS:     {"cnca028", "环境管理体系认证", "E", "GB/T24001-2016 / ISO14001:2015", 3, 189},
	tOHS:     {"cnca029", "中国职业健康安全管理体系认证", "S", "GB/T45001-2020 / ISO45001:2018", 3, 147},
	tIP:      {"cnca058", "企业知识产权管理体系认证", "IP", "GB/T29490-2013", 3, 20},
	tISMS:    {"cnca031", "信息安全管理体系认证", "IS", "GB/T22080-2016 / ISO/IEC27001:2013", 3, 30},
	tITSMS:   {"cnca032", "信息技术服务管理体系认证", "IT", "ISO/IEC20000-1:2018", 3, 20},
	tFSMS:    {"cnca040", "食品安全管理体系认证", "FSMS", "GB/T22000-2006 / ISO22000:2005", 3, 60},
	tCCC:     {"cnca001", "强制性产品认证（CCC）", "", "", 5, 200},
	tOrganic: {"cnca060", "有机产品认证", "OP", "GB/T19630-2019", 1, 20},
	tSoft:    {"zh_soft", "软件产品证书", "", "", 5, 60},
	tHNTE:    {"zh_hnte", "高新技术企业认证", "", "", 3, 60},
}

// cccProduct is a CCC product code and the products a maker names.
type cccProduct struct {
	code, class string
	products    []string
	standard    string
}

var cccProducts = []cccProduct{
	{"0301", "低压成套开关设备", []string{"低压成套开关设备", "电缆分线箱(公用电网动力配电成套设备)", "动力配电柜"}, "GB/T 7251.1-2013"},
	{"0302", "低压元器件", []string{"小型断路器", "漏电保护器"}, "GB/T 10963.1-2020"},
	{"0702", "电风扇", []string{"落地扇", "台扇", "吊扇"}, "GB 4706.1-2005;GB 4706.27-2008"},
	{"0703", "空调器", []string{"房间空气调节器"}, "GB 4706.1-2005;GB 4706.32-2012"},
	{"0706", "电热水器", []string{"储水式电热水器"}, "GB 4706.1-2005;GB 4706.12-2006"},
	{"0901", "微型计算机", []string{"台式微型计算机", "便携式计算机"}, "GB 4943.1-2011;GB/T 9254-2008"},
	{"1001", "照明电器", []string{"LED筒灯", "嵌入式灯具"}, "GB 7000.1-2015"},
}

// body is a certification body.
type body struct {
	name, approval, prefix, address, phone, site, until string
	scope                                               string
}

var bodies = []body{
	{"中国质量认证中心", "CNCA-R-2002-001", "001", "南四环西路188号9区", "010-83886666", "www.cqc.com.cn", "2026-12-10",
		"管理体系认证-质量管理体系认证,管理体系认证-环境管理体系认证,管理体系认证-职业健康安全管理体系认证,强制性产品认证"},
	{"方圆标志认证集团有限公司", "CNCA-R-2002-002", "002", "海淀区增光路33号", "010-68410000", "www.cqm.com.cn", "2026-10-15",
		"管理体系认证-质量管理体系认证,管理体系认证-环境管理体系认证,国推认证-食品安全管理体系"},
	{"华夏认证中心有限公司", "CNCA-R-2002-021", "021", "丰台区南四环西路186号", "010-63720000", "www.cqm-chn.com", "2027-03-01",
		"管理体系认证-质量管理体系认证,管理体系认证-职业健康安全管理体系认证"},
	{"山东世通质量认证有限公司", "CNCA-R-2003-104", "104", "济南市高新区舜华路", "0531-88870000", "www.sdstzr.com", "2026-06-30",
		"管理体系认证-质量管理体系认证,管理体系认证-环境管理体系认证"},
	{"中环联合（北京）认证中心有限公司", "CNCA-R-2002-105", "105", "朝阳区育慧南路1号", "010-84660000", "www.mepcec.com", "2027-05-20",
		"管理体系认证-环境管理体系认证,产品认证-环保产品认证"},
	{"华信创(北京)认证中心有限公司", "CNCA-R-2015-189", "174", "鼓楼南街6号8层二单元802", "13751754425", "www.hxccc.org", "2025-07-09",
		"管理体系认证-质量管理体系认证,管理体系认证-信息安全管理体系认证,管理体系认证-信息技术服务管理体系认证"},
	{"北京鉴衡认证中心有限公司", "CNCA-R-2003-091", "091", "海淀区学院路30号", "010-62310000", "www.cgc.org.cn", "2026-11-11",
		"管理体系认证-质量管理体系认证,国推认证-光伏产品"},
	{"中知（北京）认证有限公司", "CNCA-R-2018-404", "840", "海淀区蓟门桥西土城路", "010-62080000", "www.zzrz.com", "2027-09-01",
		"管理体系认证-知识产权管理体系认证"},
}

var legalForms = []struct {
	form   string
	weight int
}{
	{"有限公司", 70}, {"有限责任公司", 10}, {"股份有限公司", 10}, {"集团有限公司", 10},
}
