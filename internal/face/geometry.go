package face

import "math"

// Facemesh landmark indices (the 468-point canonical face mesh). "Right" and
// "left" are the subject's own: the right eye is on the image's left.
const (
	meshForehead    = 10  // top of the face oval, on the midline
	meshChin        = 152 // bottom of the face oval, on the midline
	meshNoseTip     = 1
	meshRightCheek  = 234 // face oval at the right ear (image left)
	meshLeftCheek   = 454 // face oval at the left ear (image right)
	meshRightOuter  = 33  // right eye, outer corner
	meshRightInner  = 133 // right eye, inner corner
	meshRightUpper  = 159 // right eye, upper lid midpoint
	meshRightLower  = 145 // right eye, lower lid midpoint
	meshLeftInner   = 362
	meshLeftOuter   = 263
	meshLeftUpper   = 386
	meshLeftLower   = 374
	meshMouthCentre = 13 // inner upper lip, midline
)

// Eye contours (16 points each) and brows (upper and lower rows), used for
// eye centres without iris and for the brow line.
var (
	rightEyeContour = [...]int{33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246}
	leftEyeContour  = [...]int{263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466}
	browPoints      = [...]int{70, 63, 105, 66, 107, 46, 53, 52, 65, 55, 300, 293, 334, 296, 336, 276, 283, 282, 295, 285}
	chinPoints      = [...]int{152, 148, 176, 149, 150, 136, 377, 400, 378, 379, 365}
)

// Pose offsets: the forehead sits behind the chin in facemesh depth, so a
// frontal face reads a negative pitch slope; the median over a dozen
// frontal portraits (-6°) is removed so that frontal reads about 0°. Yaw
// needs no offset (median about -2°).
const (
	yawOffsetDeg   = 0
	pitchOffsetDeg = -6
)

func meanOf(mesh []Point3, idx []int) Point {
	var p Point
	for _, i := range idx {
		p.X += mesh[i].X
		p.Y += mesh[i].Y
	}
	n := float64(len(idx))
	return Point{p.X / n, p.Y / n}
}

func dist(a, b Point3) float64 { return math.Hypot(a.X-b.X, a.Y-b.Y) }

// deriveGeometry fills the fields computed from the mesh. The eye centres
// must already be set (from iris, or zero to use the eye contours).
func (f *Face) deriveGeometry() {
	m := f.Mesh
	if f.RightEye == (Point{}) || f.LeftEye == (Point{}) {
		f.RightEye = meanOf(m, rightEyeContour[:])
		f.LeftEye = meanOf(m, leftEyeContour[:])
	}
	ex, ey := f.LeftEye.X-f.RightEye.X, f.LeftEye.Y-f.RightEye.Y
	roll := math.Atan2(ey, ex)
	f.Roll = roll * 180 / math.Pi

	// Face frame: across = along the eye line, down = perpendicular to it,
	// towards the chin.
	cos, sin := math.Cos(roll), math.Sin(roll)
	mid := Point{(f.RightEye.X + f.LeftEye.X) / 2, (f.RightEye.Y + f.LeftEye.Y) / 2}
	down := func(p Point3) float64 { return -(p.X-mid.X)*sin + (p.Y-mid.Y)*cos }
	across := func(p Point3) float64 { return (p.X-mid.X)*cos + (p.Y-mid.Y)*sin }

	top := math.Inf(1)
	for _, i := range browPoints {
		top = math.Min(top, down(m[i]))
	}
	f.BrowTop = Point{mid.X - top*sin, mid.Y + top*cos}

	bottom, bi := math.Inf(-1), meshChin
	for _, i := range chinPoints {
		if d := down(m[i]); d > bottom {
			bottom, bi = d, i
		}
	}
	f.Chin = Point{m[bi].X, m[bi].Y}

	// Depth slopes across and down the face give yaw and pitch. Facemesh
	// depth grows away from the camera.
	l, r := m[meshLeftCheek], m[meshRightCheek]
	f.Yaw = math.Atan2(l.Z-r.Z, across(l)-across(r))*180/math.Pi - yawOffsetDeg
	t, c := m[meshForehead], m[meshChin]
	f.Pitch = math.Atan2(t.Z-c.Z, down(c)-down(t))*180/math.Pi - pitchOffsetDeg

	if f.RightEyeOpen == 0 && f.LeftEyeOpen == 0 {
		f.RightEyeOpen = ratio(dist(m[meshRightUpper], m[meshRightLower]), dist(m[meshRightOuter], m[meshRightInner]))
		f.LeftEyeOpen = ratio(dist(m[meshLeftUpper], m[meshLeftLower]), dist(m[meshLeftOuter], m[meshLeftInner]))
	}
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
