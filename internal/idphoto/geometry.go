package idphoto

import (
	"fmt"
	"image"
	"math"

	"github.com/zhengapi/zheng/internal/face"
)

// geom is the chosen face in the levelled frame: the source rotated by
// −theta about (cx, cy) so that the eyes are level.
type geom struct {
	cx, cy   float64 // rotation centre: the face centre in the source
	theta    float64 // eye-line angle in the source, radians
	browY    float64 // levelled brow top
	chinY    float64 // levelled chin
	centerX  float64 // levelled face axis
	faceH    float64 // chinY − browY, source pixels
	eyeR     face.Point
	eyeL     face.Point
	mouth    face.Point
	landmark bool // brow and chin came from the mesh (not estimated)
}

func (g *geom) toLevel(p face.Point) (float64, float64) {
	s, c := math.Sincos(-g.theta)
	dx, dy := p.X-g.cx, p.Y-g.cy
	return g.cx + c*dx - s*dy, g.cy + s*dx + c*dy
}

func (g *geom) toSrc(x, y float64) (float64, float64) {
	s, c := math.Sincos(g.theta)
	dx, dy := x-g.cx, y-g.cy
	return g.cx + c*dx - s*dy, g.cy + s*dx + c*dy
}

// toSource maps output pixels of box to source pixels.
func (g *geom) toSource(box cropBox) affine {
	s, c := math.Sincos(g.theta)
	k := 1 / box.Scale
	dx, dy := box.X0-g.cx, box.Y0-g.cy
	return affine{
		a: c * k, b: -s * k, c: s * k, d: c * k,
		tx: g.cx + c*dx - s*dy, ty: g.cy + s*dx + c*dy,
	}
}

// geometry derives the levelled face geometry from the detector's output.
func (j *job) geometry(img image.Image, f face.Face) (*geom, error) {
	g := &geom{eyeR: f.RightEye, eyeL: f.LeftEye, mouth: f.Keypoints[3]}
	if g.eyeR == (face.Point{}) && g.eyeL == (face.Point{}) {
		g.eyeR, g.eyeL = f.Keypoints[0], f.Keypoints[1]
	}
	// Subject's right eye is on the image's left when upright.
	if g.eyeR.X > g.eyeL.X {
		g.eyeR, g.eyeL = g.eyeL, g.eyeR
	}
	g.theta = math.Atan2(g.eyeL.Y-g.eyeR.Y, g.eyeL.X-g.eyeR.X)
	brow, chin := f.BrowTop, f.Chin
	g.landmark = brow != (face.Point{}) && chin != (face.Point{})
	eyes := face.Point{X: (g.eyeR.X + g.eyeL.X) / 2, Y: (g.eyeR.Y + g.eyeL.Y) / 2}
	if !g.landmark {
		// Detector keypoints only: estimate brow and chin from the
		// eye–mouth distance (brow ≈ 0.45 of it above the eyes, chin ≈ 1.0
		// below the mouth), along the face's own vertical axis.
		d := math.Hypot(g.mouth.X-eyes.X, g.mouth.Y-eyes.Y)
		ux, uy := -math.Sin(g.theta), math.Cos(g.theta) // face "down" direction
		brow = face.Point{X: eyes.X - 0.45*d*ux, Y: eyes.Y - 0.45*d*uy}
		chin = face.Point{X: g.mouth.X + 1.0*d*ux, Y: g.mouth.Y + 1.0*d*uy}
		j.report.warn("no face landmarks; brow and chin estimated from the detector's keypoints")
	}
	g.cx, g.cy = (brow.X+chin.X)/2, (brow.Y+chin.Y)/2
	_, g.browY = g.toLevel(brow)
	_, g.chinY = g.toLevel(chin)
	ex, _ := g.toLevel(eyes)
	cx, _ := g.toLevel(chin)
	g.centerX = (ex + cx) / 2
	g.faceH = g.chinY - g.browY
	if !(g.faceH > 0) {
		return nil, errf(CodeNoHead, nil, "无法定位眉毛与下巴")
	}
	rep := j.report
	rep.Roll = round2(g.theta * 180 / math.Pi)
	rep.Yaw, rep.Pitch = round2(f.Yaw), round2(f.Pitch)
	rep.LeftEyeOpen, rep.RightEyeOpen = round2(f.LeftEyeOpen), round2(f.RightEyeOpen)
	rep.FaceHeightSourcePx = round2(g.faceH)
	return g, nil
}

// Thresholds of the suitability checks (code 210) and of warnings. The
// refusals are set far out, so that only photos no official would accept
// are refused; the warnings catch the doubtful ones.
const (
	maxYaw, warnYaw     = 35.0, 15.0 // degrees
	maxPitch, warnPitch = 25.0, 15.0
	closedEye, warnEye  = 0.15, 0.19   // eye opening, height/width (open eyes measure 0.22–0.45)
	minFaceH            = 24.0         // source pixels, brow top to chin
	minSharp, warnSharp = 150.0, 400.0 // Laplacian variance on a 64×64 face (sharp photos: 500–4000)
	minLight, warnLight = 40.0, 80.0   // mean face luma
)

// gate refuses photos that cannot make an acceptable ID photo.
func (j *job) gate(img image.Image, f face.Face, g *geom) error {
	b := img.Bounds()
	// Head in the picture: brows, chin and both eyes inside the source,
	// with a little slack for landmarks placed just past the edge.
	slack := 0.05 * g.faceH
	in := func(x, y float64) bool {
		return x >= float64(b.Min.X)-slack && x <= float64(b.Max.X)+slack && y >= float64(b.Min.Y)-slack && y <= float64(b.Max.Y)+slack
	}
	bx, by := g.toSrc(g.centerX, g.browY)
	chx, chy := g.toSrc(g.centerX, g.chinY)
	if !in(bx, by) || !in(chx, chy) || !in(g.eyeL.X, g.eyeL.Y) || !in(g.eyeR.X, g.eyeR.Y) {
		return errf(CodeNoHead, nil, "头部被图片边缘截断")
	}
	// The face outline inside the photo (the mesh extrapolates past an
	// edge that cuts the face); without a mesh, the cheeks.
	outline := make([]face.Point, 0, len(faceOval))
	if len(f.Mesh) >= 468 {
		for _, i := range faceOval {
			outline = append(outline, face.Point{X: f.Mesh[i].X, Y: f.Mesh[i].Y})
		}
	} else {
		for _, dx := range []float64{-0.4, 0.4} {
			x, y := g.toSrc(g.centerX+dx*g.faceH, (g.browY+g.chinY)/2)
			outline = append(outline, face.Point{X: x, Y: y})
		}
	}
	edge := 0.04 * g.faceH
	for _, p := range outline {
		if p.X < float64(b.Min.X)-edge || p.X > float64(b.Max.X)+edge || p.Y > float64(b.Max.Y)+edge {
			return errf(CodeNoHead, nil, "脸部被图片边缘截断")
		}
	}
	rep := j.report
	if g.faceH < minFaceH {
		return errf(CodeUnsuitable, nil, "人脸过小（%.0f像素）", g.faceH)
	}
	if math.Abs(f.Yaw) > maxYaw {
		return errf(CodeUnsuitable, nil, "侧脸角度过大（%.0f°）", f.Yaw)
	}
	if math.Abs(f.Pitch) > maxPitch {
		return errf(CodeUnsuitable, nil, "抬头或低头角度过大（%.0f°）", f.Pitch)
	}
	if math.Abs(f.Yaw) > warnYaw {
		rep.warn(fmt.Sprintf("face turned %.0f°", f.Yaw))
	}
	if math.Abs(f.Pitch) > warnPitch {
		rep.warn(fmt.Sprintf("head tilted up or down %.0f°", f.Pitch))
	}
	if len(f.Mesh) > 0 && (f.LeftEyeOpen > 0 || f.RightEyeOpen > 0) {
		open := math.Max(f.LeftEyeOpen, f.RightEyeOpen)
		rep.EyesOpen = open >= closedEye
		if !rep.EyesOpen {
			return errf(CodeUnsuitable, nil, "闭眼")
		}
		if open < warnEye {
			rep.warn("eyes barely open")
		}
	} else {
		rep.EyesOpen = true
	}
	sharp, light := faceQuality(img, g)
	rep.SourceSharpness, rep.SourceExposure = round2(sharp), round2(light)
	if light < minLight {
		return errf(CodeUnsuitable, nil, "光线过暗")
	}
	if sharp < minSharp {
		return errf(CodeUnsuitable, nil, "照片过于模糊")
	}
	if light < warnLight {
		rep.warn("face underexposed")
	}
	if sharp < warnSharp {
		rep.warn("face blurred")
	}
	return nil
}

// faceQuality samples the face (brow to chin, as wide) onto a 64×64 grid
// in the levelled frame, so the figures do not depend on resolution, and
// returns the variance of its Laplacian and its mean luma.
func faceQuality(img image.Image, g *geom) (sharp, light float64) {
	const n = 64
	src := newPixelSource(img)
	b := src.bounds()
	var grid [n][n]float64
	sum := 0.0
	for j := 0; j < n; j++ {
		for i := 0; i < n; i++ {
			x := g.centerX + (float64(i)/(n-1)-0.5)*0.8*g.faceH
			y := g.browY + float64(j)/(n-1)*g.faceH
			sx, sy := g.toSrc(x, y)
			r, gg, bl := bilinear(src, b, sx, sy)
			v := float64(luma(r, gg, bl))
			grid[j][i] = v
			sum += v
		}
	}
	light = sum / (n * n)
	var s, s2 float64
	for j := 1; j < n-1; j++ {
		for i := 1; i < n-1; i++ {
			l := grid[j-1][i] + grid[j+1][i] + grid[j][i-1] + grid[j][i+1] - 4*grid[j][i]
			s += l
			s2 += l * l
		}
	}
	m := float64((n - 2) * (n - 2))
	mean := s / m
	return s2/m - mean*mean, light
}

// crownFromMatte finds the top of the head: going up from the brows along
// three columns of the face, the highest point still inside the person.
// Hats, hair buns or a raised hand are limited by clamping to face
// proportions. cut reports that the head runs past the source's top edge.
func (g *geom) crownFromMatte(b image.Rectangle, alpha *image.Gray) (crown float64, cut bool) {
	step := math.Max(1, g.faceH/300)
	top := g.browY
	for _, off := range []float64{-0.18, 0, 0.18} {
		x := g.centerX + off*g.faceH
		y := g.browY
		for ; y > g.browY-1.6*g.faceH; y -= step {
			sx, sy := g.toSrc(x, y)
			if sy < float64(b.Min.Y) || sx < float64(b.Min.X) || sx >= float64(b.Max.X) {
				cut = true
				break
			}
			if grayBilinear(alpha, sx, sy) < 0.5 {
				break
			}
		}
		top = math.Min(top, y)
	}
	lo, hi := g.browY-1.3*g.faceH, g.browY-0.45*g.faceH
	if cut {
		// The head continues above the photo: assume an average skull.
		top = math.Min(top, g.browY-0.8*g.faceH)
	}
	return math.Max(lo, math.Min(hi, top)), cut
}

// bodyBottom follows the person down from the chin and returns the
// lowest point the output may reach without the body floating: where the
// person ends, or where the photo ends under the person plus the torso
// extension the renderer provides (it repeats the photo's last row), or
// +Inf when the body runs past the matted region (it continues).
//
// The face's column decides where the person ends; the columns at the
// output's side edges (halfW from the axis) only count where the person
// reaches the photo's edge there, so that a levelled (rotated) photo whose
// bottom edge runs slanted is handled the same way.
func (g *geom) bodyBottom(b image.Rectangle, alpha *image.Gray, halfW float64) (bottom float64, extended bool) {
	step := math.Max(1, g.faceH/200)
	bottom = math.Inf(1)
	for _, off := range []float64{0, -halfW, halfW} {
		x := g.centerX + off
		y := g.chinY + 0.1*g.faceH
		for ; ; y += step {
			sx, sy := g.toSrc(x, y)
			if sx < float64(b.Min.X) || sx >= float64(b.Max.X) {
				break // off the side: the renderer continues the photo's edge there
			}
			if sy >= float64(b.Max.Y) {
				// The photo ends under the person: the torso may be
				// extended by up to maxTorsoExtension face heights.
				if e := y + maxTorsoExtension*g.faceH; e < bottom {
					bottom, extended = e, true
				}
				break
			}
			if sy >= float64(alpha.Rect.Max.Y) {
				break // beyond the matted region: the body continues
			}
			if grayBilinear(alpha, sx, sy) < 0.5 {
				if off == 0 && y < bottom {
					bottom, extended = y, false // the person ends
				}
				break
			}
		}
	}
	return bottom, extended
}

// maxTorsoExtension is how far, in face heights, the renderer may extend
// the torso below the photo's bottom edge before the crop must move.
const maxTorsoExtension = 0.8

// personAt returns the mean matte over the middle of the face: a face
// the detector found on a dog, a poster or a pattern has no person there.
func (g *geom) personAt(alpha *image.Gray) float64 {
	sum, n := 0.0, 0
	for j := 0; j < 5; j++ {
		for i := 0; i < 5; i++ {
			x := g.centerX + (float64(i)/4-0.5)*0.5*g.faceH
			y := g.browY + (0.2+0.6*float64(j)/4)*g.faceH
			sx, sy := g.toSrc(x, y)
			sum += float64(grayBilinear(alpha, sx, sy))
			n++
		}
	}
	return sum / float64(n)
}

// outLandmarks are face points in output pixels, for beauty and checks.
type outLandmarks struct {
	eyeR, eyeL, mouth, brow, chin face.Point
	oval                          []face.Point // face outline, empty without a mesh
	faceH                         float64
}

// faceOval lists facemesh's outline landmarks, clockwise from the forehead.
var faceOval = [...]int{10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109}

func (g *geom) outputLandmarks(f face.Face, toOut affine) outLandmarks {
	pt := func(p face.Point) face.Point {
		x, y := toOut.apply(p.X, p.Y)
		return face.Point{X: x, Y: y}
	}
	bx, by := g.toSrc(g.centerX, g.browY)
	chx, chy := g.toSrc(g.centerX, g.chinY)
	lm := outLandmarks{eyeR: pt(g.eyeR), eyeL: pt(g.eyeL), mouth: pt(g.mouth),
		brow: pt(face.Point{X: bx, Y: by}), chin: pt(face.Point{X: chx, Y: chy})}
	lm.faceH = lm.chin.Y - lm.brow.Y
	if len(f.Mesh) >= 468 {
		for _, i := range faceOval {
			lm.oval = append(lm.oval, pt(face.Point{X: f.Mesh[i].X, Y: f.Mesh[i].Y}))
		}
	}
	return lm
}
