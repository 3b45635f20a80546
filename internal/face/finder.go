package face

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"runtime"
	"slices"

	"github.com/zhengapi/zheng/internal/nn"
)

// runner is the part of *nn.Model the finder uses.
type runner interface {
	Run(ctx context.Context, in map[string]*nn.Tensor, opt *nn.RunOptions) (map[string]*nn.Tensor, error)
}

// Options tune a Finder. The zero value (or nil) means the defaults.
type Options struct {
	// MinScore is the detector confidence a face needs (default 0.6; real
	// faces score 0.75 and up, animal faces can pass 0.5).
	MinScore float64
	// MinPresence is the facemesh face-presence probability a detection
	// needs to be kept (default 0.99); it removes detector false positives.
	// Every face in the test portraits scores above 0.999999; a dog's face
	// the detector accepts scores 0.98.
	MinPresence float64
	// MaxFaces caps how many detections get landmarks (default 10).
	MaxFaces int
	// NoRetry skips the second and third detection rounds (tiles for
	// small faces, then rotated copies) that run when the first finds
	// nothing.
	NoRetry bool
	// NoIris skips the iris model; eye centres then come from the eye
	// contours of the mesh.
	NoIris bool
	// Threads is passed to each model run (0 = all cores).
	Threads int
}

func (o *Options) withDefaults() Options {
	var v Options
	if o != nil {
		v = *o
	}
	if v.MinScore <= 0 {
		v.MinScore = 0.6
	}
	if v.MinPresence <= 0 {
		v.MinPresence = 0.99
	}
	if v.MaxFaces <= 0 {
		v.MaxFaces = 10
	}
	return v
}

// Finder finds faces and their landmarks. It is safe for concurrent use.
type Finder struct {
	detector, mesh, iris runner // iris is nil when disabled
	anchors              []anchor
	opt                  Options
}

// NewFinder loads blazeface, facemesh and iris from modelsDir with default
// options.
func NewFinder(modelsDir string) (*Finder, error) {
	return NewFinderOptions(modelsDir, nil)
}

// NewFinderOptions is NewFinder with options; nil means defaults.
func NewFinderOptions(modelsDir string, opt *Options) (*Finder, error) {
	o := opt.withDefaults()
	load := func(name string) (*nn.Model, error) {
		m, err := nn.LoadNamed(modelsDir, name)
		if err != nil {
			return nil, fmt.Errorf("face: load %s: %w", name, err)
		}
		return m, nil
	}
	det, err := load("blazeface")
	if err != nil {
		return nil, err
	}
	mesh, err := load("facemesh")
	if err != nil {
		return nil, err
	}
	f := &Finder{detector: det, mesh: mesh, anchors: makeAnchors(), opt: o}
	if !o.NoIris {
		ir, err := load("iris")
		if err != nil {
			return nil, err
		}
		f.iris = ir
	}
	return f, nil
}

// threads is the goroutine budget for the finder's own loops.
func (f *Finder) threads() int {
	if f.opt.Threads > 0 {
		return f.opt.Threads
	}
	return runtime.GOMAXPROCS(0)
}

// ErrEmptyImage is returned for an image without pixels.
var ErrEmptyImage = errors.New("face: empty image")

// Input sizes of the landmark models, how much context their crops get
// around the face (the reference implementation's factors), NMS overlap,
// and the working raster's size.
const (
	meshSize      = 192
	irisSize      = 64
	detEnlarge    = 1.4 // detector box → first facemesh crop
	meshEnlarge   = 1.5 // mesh extent → refined facemesh crop
	eyeEnlarge    = 2.3 // eye-corner box → iris crop
	nmsIoU        = 0.3
	rasterMaxSide = 1024
)

// Find returns the faces in img, largest first, with landmarks filled.
// Coordinates are in img's own coordinate space (img.Bounds()).
func (f *Finder) Find(ctx context.Context, img image.Image) ([]Face, error) {
	b := img.Bounds()
	if b.Empty() {
		return nil, ErrEmptyImage
	}
	k := max(1, max(b.Dx(), b.Dy())/rasterMaxSide)
	src := newRaster(img, k, f.threads())

	dets, err := f.detectAll(ctx, src, k, b.Dx(), b.Dy())
	if err != nil {
		return nil, err
	}
	if len(dets) == 0 {
		return nil, nil
	}
	if len(dets) > f.opt.MaxFaces {
		dets = dets[:f.opt.MaxFaces]
	}

	// First pass: crops from the detector, rotated so the eyes are level,
	// and the same turned by 180°: on an upside-down face blazeface tends to
	// report upright keypoints, and facemesh's presence tells the two apart
	// (1.0 for the right way up, at most 0.97 on the test portraits).
	crops := make([]affine, 2*len(dets))
	for i, d := range dets {
		w, h := d.box.X1-d.box.X0, d.box.Y1-d.box.Y0
		c := Point{(d.box.X0 + d.box.X1) / 2, (d.box.Y0 + d.box.Y1) / 2}
		theta := math.Atan2(d.kp[1].Y-d.kp[0].Y, d.kp[1].X-d.kp[0].X)
		crops[2*i] = squareCrop(c, detEnlarge*math.Max(w, h), theta, meshSize)
		crops[2*i+1] = squareCrop(c, detEnlarge*math.Max(w, h), theta+math.Pi, meshSize)
	}
	meshes, presence, err := f.runMesh(ctx, src, k, crops)
	if err != nil {
		return nil, err
	}
	for i := range dets {
		if presence[2*i+1] > presence[2*i] {
			meshes[i] = meshes[2*i+1]
		} else {
			meshes[i] = meshes[2*i]
		}
	}
	crops, meshes = crops[:len(dets)], meshes[:len(dets)]
	// Second pass: crops from the first mesh, as a tracker would; the
	// detector's box and eye keypoints are coarse, the mesh is not.
	for i := range crops {
		crops[i] = meshCrop(meshes[i])
	}
	meshes, presence, err = f.runMesh(ctx, src, k, crops)
	if err != nil {
		return nil, err
	}

	var faces []Face
	var kept []affine
	for i, d := range dets {
		if presence[i] < f.opt.MinPresence {
			continue
		}
		fc := Face{Box: d.box, Score: d.score, Keypoints: d.kp, Presence: presence[i], Mesh: meshes[i]}
		faces = append(faces, fc)
		kept = append(kept, crops[i])
	}
	if f.iris != nil && len(faces) > 0 {
		if err := f.runIris(ctx, src, k, faces, kept); err != nil {
			return nil, err
		}
	}
	off := Point{float64(b.Min.X), float64(b.Min.Y)}
	for i := range faces {
		faces[i].deriveGeometry()
		faces[i].translate(off)
	}
	slices.SortStableFunc(faces, func(a, b Face) int { return cmp.Compare(b.Box.area(), a.Box.area()) })
	return dedupe(faces), nil
}

// dedupe drops a face whose eyes coincide with those of a larger face kept
// before it: two detections (overlapping tiles, or a partial box) that the
// mesh passes steered onto the same face.
func dedupe(faces []Face) []Face {
	mid := func(f Face) Point { return Point{(f.RightEye.X + f.LeftEye.X) / 2, (f.RightEye.Y + f.LeftEye.Y) / 2} }
	out := faces[:0]
	for _, f := range faces {
		m, dup := mid(f), false
		for _, g := range out {
			n := mid(g)
			span := math.Hypot(g.LeftEye.X-g.RightEye.X, g.LeftEye.Y-g.RightEye.Y)
			if math.Hypot(m.X-n.X, m.Y-n.Y) < 0.3*span {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, f)
		}
	}
	return out
}

// detectAll finds faces in three rounds, each tried only when the previous
// one found nothing: the whole photo letterboxed into the detector's input;
// overlapping tiles of half the long side, for faces too small for the
// first round (blazeface is a short-range model); and the whole photo
// turned by 90°, 270° and 180°, for photos stored sideways or upside down.
func (f *Finder) detectAll(ctx context.Context, src *raster, k, w, h int) ([]detection, error) {
	rounds := [][]affine{{view(w, h, 0)}}
	if !f.opt.NoRetry {
		rounds = append(rounds, tiles(w, h), []affine{view(w, h, 90), view(w, h, -90), view(w, h, 180)})
	}
	for _, views := range rounds {
		var all []detection
		for _, a := range views {
			d, err := f.detect(ctx, src, k, a)
			if err != nil {
				return nil, err
			}
			all = append(all, d...)
		}
		if len(all) > 0 {
			return weightedNMS(all, nmsIoU), nil
		}
	}
	return nil, nil
}

// view maps the detector's input onto the whole photo, letterboxed (aspect
// kept, black bars) and turned by deg degrees about the photo's centre.
func view(w, h int, deg float64) affine {
	return squareCrop(Point{float64(w) / 2, float64(h) / 2}, float64(max(w, h)), deg*math.Pi/180, blazeSize)
}

// tiles covers the photo with square tiles of half its long side that
// overlap by half, so that every face up to a quarter of the long side is
// whole in some tile. Photos under 512 px get none: their faces are
// already large at the detector's input size.
func tiles(w, h int) []affine {
	long := max(w, h)
	if long < 2*blazeSize {
		return nil
	}
	t := float64(long) / 2
	centres := func(n int) []float64 {
		if float64(n) <= t {
			return []float64{float64(n) / 2}
		}
		c := int(math.Ceil((float64(n)-t)/(t/2))) + 1
		out := make([]float64, c)
		for i := range out {
			out[i] = t/2 + float64(i)*(float64(n)-t)/float64(c-1)
		}
		return out
	}
	var out []affine
	for _, cy := range centres(h) {
		for _, cx := range centres(w) {
			out = append(out, squareCrop(Point{cx, cy}, t, 0, blazeSize))
		}
	}
	return out
}

// detect runs blazeface on the view a of the photo (a maps the detector's
// input pixels to photo pixels) and returns merged detections in photo
// pixels.
func (f *Finder) detect(ctx context.Context, src *raster, k int, a affine) ([]detection, error) {
	in := nn.NewTensor(1, blazeSize, blazeSize, 3)
	warp(src, k, a, blazeSize, blazeSize, in.Data)
	for i, v := range in.Data {
		in.Data[i] = v/127.5 - 1
	}
	out, err := f.detector.Run(ctx, map[string]*nn.Tensor{"input": in}, &nn.RunOptions{Threads: f.opt.Threads})
	if err != nil {
		return nil, fmt.Errorf("face: blazeface: %w", err)
	}
	raw := make(map[string][]float32, len(out))
	for name, t := range out {
		raw[name] = t.Data
	}
	scores, regs, err := blazeOutputs(raw)
	if err != nil {
		return nil, fmt.Errorf("face: %w", err)
	}
	dets := weightedNMS(decodeBlaze(f.anchors, scores, regs, f.opt.MinScore), nmsIoU)
	for i := range dets {
		d := &dets[i]
		c := [4]Point{
			a.apply(d.box.X0, d.box.Y0), a.apply(d.box.X1, d.box.Y0),
			a.apply(d.box.X0, d.box.Y1), a.apply(d.box.X1, d.box.Y1),
		}
		d.box = Rect{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
		for _, p := range c {
			d.box = Rect{math.Min(d.box.X0, p.X), math.Min(d.box.Y0, p.Y), math.Max(d.box.X1, p.X), math.Max(d.box.Y1, p.Y)}
		}
		for j := range d.kp {
			d.kp[j] = a.apply(d.kp[j].X, d.kp[j].Y)
		}
	}
	return dets, nil
}

// runMesh runs facemesh on one crop per face (one batch) and returns the
// meshes in source pixels and the face-presence probabilities.
func (f *Finder) runMesh(ctx context.Context, src *raster, k int, crops []affine) ([][]Point3, []float64, error) {
	n := len(crops)
	in := nn.NewTensor(n, meshSize, meshSize, 3)
	per := meshSize * meshSize * 3
	for i, a := range crops {
		d := in.Data[i*per : (i+1)*per]
		warp(src, k, a, meshSize, meshSize, d)
		for j := range d {
			d[j] /= 255
		}
	}
	out, err := f.mesh.Run(ctx, map[string]*nn.Tensor{"input_1": in}, &nn.RunOptions{Threads: f.opt.Threads})
	if err != nil {
		return nil, nil, fmt.Errorf("face: facemesh: %w", err)
	}
	mesh, flag := out["output_mesh"], out["output_faceflag"]
	if mesh == nil || flag == nil || len(mesh.Data) != n*468*3 || len(flag.Data) != n {
		return nil, nil, errors.New("face: facemesh: unexpected outputs")
	}
	meshes := make([][]Point3, n)
	presence := make([]float64, n)
	for i, a := range crops {
		meshes[i] = mapMesh(a, mesh.Data[i*468*3:(i+1)*468*3])
		presence[i] = float64(flag.Data[i])
	}
	return meshes, presence, nil
}

// mapMesh maps facemesh output (x, y, z in crop pixels) to source pixels;
// depth is scaled like x.
func mapMesh(a affine, raw []float32) []Point3 {
	scale := math.Hypot(a.U.X, a.U.Y)
	pts := make([]Point3, len(raw)/3)
	for i := range pts {
		p := a.apply(float64(raw[3*i]), float64(raw[3*i+1]))
		pts[i] = Point3{p.X, p.Y, float64(raw[3*i+2]) * scale}
	}
	return pts
}

// meshCrop returns the facemesh crop for a face whose previous mesh is m:
// rotated by the eye line, centred on the mesh's extent in that frame, with
// the long side enlarged by meshEnlarge.
func meshCrop(m []Point3) affine {
	r, l := meanOf(m, rightEyeContour[:]), meanOf(m, leftEyeContour[:])
	theta := math.Atan2(l.Y-r.Y, l.X-r.X)
	cos, sin := math.Cos(theta), math.Sin(theta)
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range m {
		u, v := p.X*cos+p.Y*sin, -p.X*sin+p.Y*cos
		x0, x1 = math.Min(x0, u), math.Max(x1, u)
		y0, y1 = math.Min(y0, v), math.Max(y1, v)
	}
	cu, cv := (x0+x1)/2, (y0+y1)/2
	c := Point{cu*cos - cv*sin, cu*sin + cv*cos}
	return squareCrop(c, meshEnlarge*math.Max(x1-x0, y1-y0), theta, meshSize)
}

// Iris crops come from the eye corners of the mesh in the crop frame. The
// crops are mirrored (both eyes, as the reference implementation feeds
// them); the affine carries the mirror, so outputs map back directly.
var irisEyes = [2][2]int{{meshRightOuter, meshRightInner}, {meshLeftOuter, meshLeftInner}}

const irisCentre = 71 // first of the five iris points; 0..70 outline the eye

func (f *Finder) runIris(ctx context.Context, src *raster, k int, faces []Face, crops []affine) error {
	n := len(faces)
	in := nn.NewTensor(2*n, irisSize, irisSize, 3)
	per := irisSize * irisSize * 3
	eyes := make([]affine, 2*n)
	for i, fc := range faces {
		inv := crops[i].inverse()
		for e, pair := range irisEyes {
			eyes[2*i+e] = eyeCrop(crops[i], inv, fc.Mesh[pair[0]], fc.Mesh[pair[1]])
			d := in.Data[(2*i+e)*per : (2*i+e+1)*per]
			warp(src, k, eyes[2*i+e], irisSize, irisSize, d)
			for j := range d {
				d[j] /= 255
			}
		}
	}
	out, err := f.iris.Run(ctx, map[string]*nn.Tensor{"input_1": in}, &nn.RunOptions{Threads: f.opt.Threads})
	if err != nil {
		return fmt.Errorf("face: iris: %w", err)
	}
	var res *nn.Tensor
	for _, t := range out {
		res = t
	}
	const perEye = 76 * 3
	if res == nil || len(res.Data) != 2*n*perEye {
		return errors.New("face: iris: unexpected outputs")
	}
	for i := range faces {
		fc := &faces[i]
		for e := range 2 {
			raw := res.Data[(2*i+e)*perEye:]
			p := eyes[2*i+e].apply(float64(raw[3*irisCentre]), float64(raw[3*irisCentre+1]))
			contour := rightEyeContour[:]
			if e == 1 {
				contour = leftEyeContour[:]
			}
			// Keep the iris centre only when it lies inside the eye as the
			// mesh sees it; otherwise the contour centre is safer.
			mc := meanOf(fc.Mesh, contour)
			width := dist(fc.Mesh[irisEyes[e][0]], fc.Mesh[irisEyes[e][1]])
			if math.Hypot(p.X-mc.X, p.Y-mc.Y) > 0.3*width {
				p = mc
			}
			open := irisOpenness(eyes[2*i+e], raw)
			if e == 0 {
				fc.RightEye, fc.RightEyeOpen = p, open
			} else {
				fc.LeftEye, fc.LeftEyeOpen = p, open
			}
		}
	}
	return nil
}

// eyeCrop returns the mirrored iris crop for the eye with corners p and q:
// their bounding box in the face crop's frame, squared and enlarged by
// eyeEnlarge. Crop column u reads eye-box column irisSize-u.
func eyeCrop(face, inv affine, p3, q3 Point3) affine {
	p, q := inv.apply(p3.X, p3.Y), inv.apply(q3.X, q3.Y)
	c := Point{(p.X + q.X) / 2, (p.Y + q.Y) / 2}
	side := eyeEnlarge * math.Max(math.Abs(p.X-q.X), math.Abs(p.Y-q.Y))
	s := side / irisSize
	return affine{
		O: face.apply(c.X+side/2, c.Y-side/2),
		U: Point{-face.U.X * s, -face.U.Y * s},
		V: Point{face.V.X * s, face.V.Y * s},
	}
}

// Iris-model eye outline: the lower lid runs from corner 0 to corner 8,
// the upper lid from 9 to 15 between them.
const (
	irisCornerA = 0
	irisCornerB = 8
	irisLower   = 4
	irisUpper   = 12
)

// irisOpenness is the lid gap over the eye width from the iris model's
// eye outline, which follows the lids more closely than the mesh does.
func irisOpenness(a affine, raw []float32) float64 {
	at := func(i int) Point3 {
		p := a.apply(float64(raw[3*i]), float64(raw[3*i+1]))
		return Point3{X: p.X, Y: p.Y}
	}
	return ratio(dist(at(irisUpper), at(irisLower)), dist(at(irisCornerA), at(irisCornerB)))
}

// inverse returns the inverse map (source → crop coordinates).
func (a affine) inverse() affine {
	det := a.U.X*a.V.Y - a.V.X*a.U.Y
	iu := Point{a.V.Y / det, -a.U.Y / det}
	iv := Point{-a.V.X / det, a.U.X / det}
	o := Point{-(iu.X*a.O.X + iv.X*a.O.Y), -(iu.Y*a.O.X + iv.Y*a.O.Y)}
	return affine{O: o, U: iu, V: iv}
}

// translate moves every coordinate by d (raster → image coordinates).
func (f *Face) translate(d Point) {
	mv := func(p *Point) { p.X += d.X; p.Y += d.Y }
	f.Box = Rect{f.Box.X0 + d.X, f.Box.Y0 + d.Y, f.Box.X1 + d.X, f.Box.Y1 + d.Y}
	for i := range f.Keypoints {
		mv(&f.Keypoints[i])
	}
	for i := range f.Mesh {
		f.Mesh[i].X += d.X
		f.Mesh[i].Y += d.Y
	}
	mv(&f.RightEye)
	mv(&f.LeftEye)
	mv(&f.BrowTop)
	mv(&f.Chin)
}
