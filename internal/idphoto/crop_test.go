package idphoto

import (
	"math"
	"strings"
	"testing"
)

func TestSolveCrop(t *testing.T) {
	base := cropInput{W: 295, H: 413, BrowChin: 0.33, FaceCenter: 0.45,
		BrowY: 400, ChinY: 600, CenterX: 500, CrownY: 240, BodyBottom: math.Inf(1)}
	with := func(f func(*cropInput)) cropInput { in := base; f(&in); return in }
	for _, tc := range []struct {
		name    string
		in      cropInput
		ratio   float64
		centre  float64 // <0: don't check
		topGap  [2]float64
		gaveWay string // substring of GaveWay, "" = none
	}{
		{"ratio and centre", base, 0.33, 0.45, [2]float64{-1e9, 1e9}, ""},
		{"bigger face higher", with(func(in *cropInput) { in.BrowChin, in.FaceCenter = 0.4, 0.5 }), 0.4, 0.5, [2]float64{-1e9, 1e9}, ""},
		{"top gap in range leaves centre", with(func(in *cropInput) { in.TopEmpty = &[2]float64{0, 100} }), 0.33, 0.45, [2]float64{0, 100}, ""},
		{"top gap too small moves face down", with(func(in *cropInput) { in.TopEmpty = &[2]float64{60, 80} }), 0.33, -1, [2]float64{60, 80}, "faceCenter: face moved down"},
		{"top gap too big moves face up", with(func(in *cropInput) { in.TopEmpty = &[2]float64{0, 5} }), 0.33, -1, [2]float64{0, 5}, "faceCenter: face moved up"},
		{"short source: body pulled to the bottom", with(func(in *cropInput) { in.BodyBottom = 700 }), 0.33, -1, [2]float64{-1e9, 1e9}, "body reaches the bottom edge"},
		{"bottom beats top gap", with(func(in *cropInput) { in.BodyBottom = 700; in.TopEmpty = &[2]float64{10, 30} }), 0.33, -1, [2]float64{-1e9, 1e9}, "topEmpty: portrait moved down"},
		{"very short source floats rather than sinking the head", with(func(in *cropInput) { in.BodyBottom = 610 }), 0.33, -1, [2]float64{-1e9, 1e9}, "filled with background"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			box := solveCrop(tc.in)
			ratio, centre, cx, gap := box.measure(tc.in)
			if math.Abs(ratio-tc.ratio) > 1e-9 {
				t.Errorf("ratio = %.4f, want %.4f", ratio, tc.ratio)
			}
			if tc.centre >= 0 && math.Abs(centre-tc.centre) > 1e-9 {
				t.Errorf("centre = %.4f, want %.4f", centre, tc.centre)
			}
			if math.Abs(cx-0.5) > 1e-9 {
				t.Errorf("horizontal centre = %.4f, want 0.5", cx)
			}
			if gap < tc.topGap[0]-1e-6 || gap > tc.topGap[1]+1e-6 {
				t.Errorf("top gap = %.1f, want in %v", gap, tc.topGap)
			}
			joined := strings.Join(box.GaveWay, "; ")
			if tc.gaveWay == "" && joined != "" {
				t.Errorf("GaveWay = %q, want none", joined)
			}
			if tc.gaveWay != "" && !strings.Contains(joined, tc.gaveWay) {
				t.Errorf("GaveWay = %q, want %q", joined, tc.gaveWay)
			}
			if !math.IsInf(tc.in.BodyBottom, 1) && !strings.Contains(joined, "filled") {
				bottom := box.Y0 + float64(tc.in.H)/box.Scale
				if bottom > tc.in.BodyBottom+1e-6 {
					t.Errorf("bottom edge at %.1f below the body's end %.1f: floating", bottom, tc.in.BodyBottom)
				}
			}
		})
	}
}

func TestCatalogue(t *testing.T) {
	c := Specs()
	if len(c.Specs) != 181 {
		t.Errorf("catalogue has %d specs, want the seed's 181 rows", len(c.Specs))
	}
	ids := map[string]bool{}
	for _, s := range c.Specs {
		if ids[s.ID] {
			t.Errorf("duplicate ID %s", s.ID)
		}
		ids[s.ID] = true
		if s.PixelWidth < 50 || s.PixelHeight < 50 || len(s.Colors) == 0 || s.Colors[0] == "" {
			t.Errorf("%s %s: %dx%d px, colours %v", s.ID, s.Name, s.PixelWidth, s.PixelHeight, s.Colors)
		}
		for _, col := range s.Colors {
			if _, err := ParseBackground(col); err != nil {
				t.Errorf("%s: colour %q unknown", s.ID, col)
			}
		}
	}
	for _, tc := range []struct {
		key          string
		id           string
		w, h, dpi    int
		unit         string
		kbMin, kbMax int
		faceRatio    float64 // the seed's default: 0.5, 0.4 for the wide formats
	}{
		{"一寸", "s034", 295, 413, 300, "mm", 0, 0, 0.5},
		{"二寸", "s036", 413, 579, 300, "mm", 0, 0, 0.5},
		{"二级建造师证", "s020", 295, 413, 300, "px", 0, 0, 0.5},
		{"五寸", "s019", 1051, 1500, 300, "mm", 0, 0, 0.4},
		{"事业单位招聘", "s085", 90, 120, 300, "px", 0, 0, 0.5},
		{"社保卡（350dpi， 无回执，50~100KB）", "s014", 358, 441, 350, "px", 50, 100, 0.5},
		{"护士执业资格考试(20~45kb)", "s066", 160, 210, 300, "px", 20, 45, 0.5},
		{"公务员考试报名", "s067", 340, 450, 300, "px", 0, 20, 0.5},
		{"社保卡（350dpi， 无回执，大于100KB）", "s069", 358, 441, 350, "px", 100, 0, 0.5},
		{"国考（100x140）", "s102", 100, 140, 300, "mm", 0, 0, 0.5},
		{"英语四六级考试", "s006", 240, 320, 300, "px", 0, 0, 0.5}, // first of three rows
		{"s012", "s012", 144, 192, 300, "px", 0, 0, 0.5},
		{"卫生专业技术资格考试", "s094", 413, 531, 300, "mm", 0, 0, 0.5},
		{"三寸", "s047", 650, 992, 300, "mm", 0, 0, 0.4},
		{"半身职业照", "s087", 850, 1200, 300, "px", 0, 0, 0.4},
	} {
		s, ok := c.Lookup(tc.key)
		if !ok {
			t.Errorf("Lookup(%q) failed", tc.key)
			continue
		}
		if s.FaceRatio != tc.faceRatio {
			t.Errorf("Lookup(%q).FaceRatio = %v, want %v", tc.key, s.FaceRatio, tc.faceRatio)
		}
		if s.ID != tc.id || s.PixelWidth != tc.w || s.PixelHeight != tc.h || s.DPI != tc.dpi || s.Unit != tc.unit || s.KBMin != tc.kbMin || s.KBMax != tc.kbMax {
			t.Errorf("Lookup(%q) = %s %dx%d@%d %s kb %d-%d, want %s %dx%d@%d %s kb %d-%d", tc.key,
				s.ID, s.PixelWidth, s.PixelHeight, s.DPI, s.Unit, s.KBMin, s.KBMax, tc.id, tc.w, tc.h, tc.dpi, tc.unit, tc.kbMin, tc.kbMax)
		}
	}
	// mm sizes follow the DPI; pixel sizes do not.
	s, _ := c.Lookup("一寸")
	if w, h := s.Pixels(600); w != 591 || h != 827 {
		t.Errorf("一寸 at 600 dpi = %dx%d, want 591x827", w, h)
	}
	s, _ = c.Lookup("二级建造师证")
	if w, h := s.Pixels(600); w != 295 || h != 413 {
		t.Errorf("二级建造师证 at 600 dpi = %dx%d, want 295x413", w, h)
	}
	if _, ok := c.Lookup("七寸"); ok {
		t.Error("Lookup(七寸) found a spec")
	}
}

func TestParseRequest(t *testing.T) {
	for _, tc := range []struct {
		kv    []string
		param string // "" = valid
	}{
		{nil, ""},
		{[]string{"spec", "一寸", "bgColor", "#ff0000", "beautyDegree", "2.5", "fileSize", "20,45", "dpi", "350", "faceRatio", "0.4", "faceCenterRange", "0.5", "topEmpty", "10,30", "layout", "6inch"}, ""},
		{[]string{"spec", "12", "size", "480x640"}, ""},
		{[]string{"beautyDegree", "9"}, ""}, // out of range: ignored, as the seed says
		{[]string{"spec", "12"}, "size"},
		{[]string{"size", "480x640"}, "size"},
		{[]string{"spec", "12", "size", "480*640"}, "size"},
		{[]string{"bgColor", "purple"}, "bgColor"},
		{[]string{"beautyDegree", "much"}, "beautyDegree"},
		{[]string{"fileSize", "45,20"}, "fileSize"},
		{[]string{"fileSize", "20"}, "fileSize"},
		{[]string{"dpi", "3"}, "dpi"},
		{[]string{"faceRatio", "1.5"}, "faceRatio"},
		{[]string{"faceCenterRange", "0"}, "faceCenterRange"},
		{[]string{"topEmpty", "0,0"}, "topEmpty"},
		{[]string{"topEmpty", "30,10"}, "topEmpty"},
		{[]string{"layout", "7inch"}, "layout"},
		{[]string{"format", "gif"}, "format"},
	} {
		_, err := ParseRequest(params(tc.kv...))
		var e *Error
		switch {
		case tc.param == "" && err != nil:
			t.Errorf("ParseRequest(%q) = %v, want success", tc.kv, err)
		case tc.param != "" && (!asError(err, &e) || e.Code != CodeBadParam || e.Param != tc.param):
			t.Errorf("ParseRequest(%q) = %v, want 400 naming %s", tc.kv, err, tc.param)
		}
	}
}

func asError(err error, e **Error) bool {
	if err == nil {
		return false
	}
	x, ok := err.(*Error)
	*e = x
	return ok
}

func FuzzParseRequest(f *testing.F) {
	f.Add("一寸", "blue", "2", "20,45", "350", "0.5", "0.45", "10,30", "12", "480x640")
	f.Add("12", "#fff", "", "1,", "x", "NaN", "Inf", ",", "", "0x0")
	f.Fuzz(func(t *testing.T, spec, bg, beauty, fileSize, dpi, ratio, centre, top, s2, size string) {
		get := params("spec", spec, "bgColor", bg, "beautyDegree", beauty, "fileSize", fileSize, "dpi", dpi,
			"faceRatio", ratio, "faceCenterRange", centre, "topEmpty", top, "size", size)
		r, err := ParseRequest(get)
		if err != nil {
			if CodeOf(err) != CodeBadParam {
				t.Fatalf("ParseRequest error code %d, want 400", CodeOf(err))
			}
			return
		}
		if r.FaceRatio < 0 || r.FaceRatio >= 1 || (r.TopEmpty != nil && r.TopEmpty[1] <= r.TopEmpty[0]) {
			t.Fatalf("ParseRequest accepted %+v", r)
		}
	})
}
