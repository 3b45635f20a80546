package idphoto

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/zhengapi/zheng/internal/imageio"
)

// DefaultSpec is used when a request names none.
const DefaultSpec = "一寸"

// Layouts are the print sheets Make can add.
var Layouts = []string{"6inch", "5inch", "a4"}

// Request is one ID photo to make. ParseRequest fills it from the seed's
// string parameters; zero values mean the spec's defaults.
type Request struct {
	Image      []byte // the portrait, any supported format
	Spec       string // ID, exact name or "12" (custom size); "" = 一寸
	Width      int    // custom size (spec "12")
	Height     int
	BgColor    string          // name or #RRGGBB; "" = the spec's first colour
	Beauty     float64         // 1.0–5.0; 0 = none
	KB         imageio.KBRange // zero = the spec's range, if any
	DPI        int             // 0 = the spec's DPI
	FaceRatio  float64         // the seed's 人脸占比 (see BrowChinPerFaceRatio); 0 = spec default
	FaceCenter float64         // face centre height over photo height; 0 = 0.45
	TopEmpty   *[2]int         // head-top gap range in px; nil = no rule
	Layout     string          // "", "6inch", "5inch" or "a4"
	Format     string          // "jpeg" (default) or "png"

	warnings []string // set by ParseRequest for values the seed says to ignore
}

// ParseRequest reads the seed's parameters (all strings, as a form carries
// them) through get, which returns "" for an absent one. A malformed value
// is an *Error with CodeBadParam naming the parameter.
func ParseRequest(get func(name string) string) (*Request, error) {
	r := &Request{Spec: strings.TrimSpace(get("spec")), BgColor: strings.TrimSpace(get("bgColor"))}
	var err error
	if v := strings.TrimSpace(get("size")); v != "" {
		if r.Spec != CustomSpecID {
			return nil, paramErr("size", "使用size时spec需设置为12")
		}
		w, h, err := parseWxH(v)
		if err != nil || w < 16 || h < 16 || w > 4000 || h > 4000 {
			return nil, paramErr("size", "格式为宽x高，16~4000像素")
		}
		r.Width, r.Height = w, h
	} else if r.Spec == CustomSpecID {
		return nil, paramErr("size", "spec为12时需提供size")
	}
	if r.BgColor != "" {
		if _, err := ParseBackground(r.BgColor); err != nil {
			return nil, paramErr("bgColor", "不支持的颜色")
		}
	}
	if v := strings.TrimSpace(get("beautyDegree")); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) {
			return nil, paramErr("beautyDegree", "应为1.0~5.0的数字")
		}
		if f >= 1 && f <= 5 {
			r.Beauty = f
		} else {
			// The seed: "超出范围后的值无效" — ignored, not refused.
			r.warnings = append(r.warnings, fmt.Sprintf("beautyDegree %s outside 1.0–5.0 ignored", v))
		}
	}
	if v := strings.TrimSpace(get("fileSize")); v != "" {
		lo, hi, ok := parsePair(v)
		if !ok || lo < 0 || hi <= 0 || lo > hi || hi > 10240 {
			return nil, paramErr("fileSize", "格式为最小值,最大值（KB）")
		}
		r.KB = imageio.KBRange{Min: int(lo), Max: int(hi)}
	}
	if v := strings.TrimSpace(get("dpi")); v != "" {
		if r.DPI, err = strconv.Atoi(v); err != nil || r.DPI < 50 || r.DPI > 1200 {
			return nil, paramErr("dpi", "应为50~1200的整数")
		}
	}
	if r.FaceRatio, err = unitFloat(get("faceRatio")); err != nil {
		return nil, paramErr("faceRatio", "取值范围(0,1)")
	}
	if r.FaceCenter, err = unitFloat(get("faceCenterRange")); err != nil {
		return nil, paramErr("faceCenterRange", "取值范围(0,1)")
	}
	if v := strings.TrimSpace(get("topEmpty")); v != "" {
		lo, hi, ok := parsePair(v)
		if !ok || lo < 0 || hi <= lo || hi > 10000 {
			return nil, paramErr("topEmpty", "格式为最小值,最大值，最大值需大于最小值")
		}
		r.TopEmpty = &[2]int{int(lo), int(hi)}
	}
	if v := strings.ToLower(strings.TrimSpace(get("layout"))); v != "" {
		ok := false
		for _, l := range Layouts {
			ok = ok || v == l
		}
		if !ok {
			return nil, paramErr("layout", "应为6inch、5inch或a4")
		}
		r.Layout = v
	}
	switch v := strings.ToLower(strings.TrimSpace(get("format"))); v {
	case "", "jpg", "jpeg":
		r.Format = "jpeg"
	case "png":
		r.Format = "png"
	default:
		return nil, paramErr("format", "应为jpeg或png")
	}
	return r, nil
}

func unitFloat(v string) (float64, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !(f > 0 && f < 1) {
		return 0, fmt.Errorf("%q not in (0,1)", v)
	}
	return f, nil
}

// parsePair parses "a,b" (also the full-width comma) of non-negative numbers.
func parsePair(v string) (float64, float64, bool) {
	v = strings.ReplaceAll(v, "，", ",")
	a, b, ok := strings.Cut(v, ",")
	if !ok {
		return 0, 0, false
	}
	lo, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
	hi, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
	if err1 != nil || err2 != nil || math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return 0, 0, false
	}
	return lo, hi, true
}

// resolve applies the spec and defaults to the job.
func (j *job) resolve() error {
	r := j.req
	j.report.Warnings = append(j.report.Warnings, r.warnings...)
	key := r.Spec
	if key == "" {
		key = DefaultSpec
	}
	if key == CustomSpecID {
		if r.Width <= 0 || r.Height <= 0 {
			return paramErr("size", "spec为12时需提供size")
		}
		j.spec = &Spec{ID: CustomSpecID, Name: "自定义尺寸", Width: r.Width, Height: r.Height, Unit: "px",
			DPI: DefaultDPI, Colors: ColorNames(), PixelWidth: r.Width, PixelHeight: r.Height, FaceRatio: DefaultFaceRatio}
	} else {
		s, ok := Specs().Lookup(key)
		if !ok {
			return errf(CodeUnknownSpec, nil, "%s", key)
		}
		j.spec = s
	}
	j.dpi = r.DPI
	if j.dpi == 0 {
		j.dpi = j.spec.DPI
	}
	j.w, j.h = j.spec.Pixels(j.dpi)
	if r.TopEmpty != nil && r.TopEmpty[1] >= j.h {
		return paramErr("topEmpty", "最大值需小于证件照高度%d", j.h)
	}
	color := r.BgColor
	if color == "" {
		color = j.spec.Colors[0]
	}
	bg, err := ParseBackground(color)
	if err != nil {
		return paramErr("bgColor", "不支持的颜色")
	}
	j.bg = bg
	if !strings.HasPrefix(bg.Name, "#") && !j.spec.AllowsColor(bg.Name) {
		j.report.warn(fmt.Sprintf("colour %s is not in the spec's list (%s); used as asked", bg.Name, strings.Join(j.spec.Colors, ", ")))
	}
	if r.KB == (imageio.KBRange{}) {
		r2 := *r
		r2.KB = imageio.KBRange{Min: j.spec.KBMin, Max: j.spec.KBMax}
		j.req = &r2
	}
	rep := j.report
	rep.Spec, rep.SpecName, rep.Width, rep.Height, rep.DPI = j.spec.ID, j.spec.Name, j.w, j.h, j.dpi
	rep.Background = bg.Name
	return nil
}
