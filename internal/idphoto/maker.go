// Package idphoto makes ID photos: a portrait in, a photo of an official
// spec out (size, DPI, background, face framing, file size), with a report
// of what was measured and a print sheet on request. It is a library with
// one entry point, Maker.Make; the HTTP API, the CLI and tests all call it.
// The neural stages (face finding, matting) come in through the small
// FaceFinder and Matter interfaces, implemented by packages face and matte.
package idphoto

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"runtime"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/zhengapi/zheng/internal/face"
	"github.com/zhengapi/zheng/internal/imageio"
	"github.com/zhengapi/zheng/internal/matte"
)

// FaceFinder finds faces (package face implements it).
type FaceFinder interface {
	// Find returns the faces in img, largest first, with landmarks filled.
	Find(ctx context.Context, img image.Image) ([]face.Face, error)
}

// Matter separates the person from the background (package matte
// implements it).
type Matter interface {
	// Matte mattes the region roi of img (roi within img.Bounds()).
	Matte(ctx context.Context, img image.Image, roi image.Rectangle) (*matte.Result, error)
}

// Config sets up a Maker. Finder and Matter are required.
type Config struct {
	Finder FaceFinder
	Matter Matter
	// Workers is how many photos are processed at once; default
	// GOMAXPROCS (each photo is CPU-bound).
	Workers int
	// Queue is how many requests may wait for a worker; beyond that Make
	// answers ErrBusy at once. Default 4 × Workers; negative means none.
	Queue int
	// MaxPixels refuses larger inputs from their header (code 204);
	// default imageio.DefaultMaxPixels (50 MP).
	MaxPixels int
	// DecodeMemory bounds the memory that decoders in flight may use
	// together, estimated from each photo's header (a 22 MP progressive
	// JPEG needs about 180 MB while it decodes); large decodes wait for
	// each other. Default 256 MiB.
	DecodeMemory int64
}

// Maker makes ID photos. It is safe for concurrent use; models are shared.
type Maker struct {
	finder    FaceFinder
	matter    Matter
	maxPixels int
	admit     chan struct{} // workers + queue: the requests allowed in
	work      chan struct{} // the requests being processed
	decodeMem *semaphore.Weighted
	decodeCap int64
}

// New returns a Maker.
func New(cfg Config) (*Maker, error) {
	if cfg.Finder == nil || cfg.Matter == nil {
		return nil, errors.New("idphoto: Config needs a Finder and a Matter")
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	switch {
	case cfg.Queue == 0:
		cfg.Queue = 4 * cfg.Workers
	case cfg.Queue < 0:
		cfg.Queue = 0
	}
	if cfg.MaxPixels <= 0 {
		cfg.MaxPixels = imageio.DefaultMaxPixels
	}
	if cfg.DecodeMemory <= 0 {
		cfg.DecodeMemory = 256 << 20
	}
	return &Maker{
		finder:    cfg.Finder,
		matter:    cfg.Matter,
		maxPixels: cfg.MaxPixels,
		admit:     make(chan struct{}, cfg.Workers+cfg.Queue),
		work:      make(chan struct{}, cfg.Workers),
		decodeMem: semaphore.NewWeighted(cfg.DecodeMemory),
		decodeCap: cfg.DecodeMemory,
	}, nil
}

// MaxPixels is the input limit in pixels.
func (m *Maker) MaxPixels() int { return m.maxPixels }

// Result is a finished ID photo.
type Result struct {
	Photo       []byte // the encoded photo
	ContentType string // image/jpeg or image/png
	Width       int
	Height      int
	DPI         int
	Spec        *Spec
	Layout      []byte // the print sheet (JPEG) when asked
	Report      *Report
}

// Make turns a portrait into an ID photo. Errors are *Error values
// carrying the seed's codes; ErrBusy when the queue is full.
func (m *Maker) Make(ctx context.Context, req *Request) (*Result, error) {
	select {
	case m.admit <- struct{}{}:
	default:
		return nil, ErrBusy
	}
	defer func() { <-m.admit }()
	select {
	case m.work <- struct{}{}:
	case <-ctx.Done():
		return nil, errf(CodeProcessing, ctx.Err(), "请求已取消")
	}
	defer func() { <-m.work }()
	return m.make(ctx, req)
}

// job carries one request through the stages.
type job struct {
	req    *Request
	spec   *Spec
	w, h   int
	dpi    int
	bg     Background
	report *Report
	last   time.Time
}

func (j *job) stage(name string) {
	now := time.Now()
	j.report.StagesMS[name] = math.Round(float64(now.Sub(j.last).Microseconds())/10) / 100
	j.last = now
}

func (m *Maker) make(ctx context.Context, req *Request) (*Result, error) {
	j := &job{req: req, report: &Report{StagesMS: map[string]float64{}}, last: time.Now()}
	if err := j.resolve(); err != nil {
		return nil, err
	}
	img, info, err := m.decode(ctx, req.Image)
	if err != nil {
		return nil, err
	}
	j.report.Input = InputInfo{Format: string(info.Format), Width: img.Bounds().Dx(), Height: img.Bounds().Dy(), Orientation: info.Orientation}
	if info.HadAlpha {
		j.report.warn("transparent input flattened onto white")
	}
	j.stage("decode")

	img, f, err := m.findFace(ctx, j, img)
	if err != nil {
		return nil, err
	}
	j.stage("detect")
	if err := ctx.Err(); err != nil {
		return nil, errf(CodeProcessing, err, "请求已取消")
	}

	g, err := j.geometry(img, f)
	if err != nil {
		return nil, err
	}
	faceH := g.faceH
	if err := j.gate(img, f, g); err != nil {
		return nil, err
	}
	j.stage("check")

	// First solve with the crown from face proportions, to know which
	// region to matte; then refine the crown and the body from the matte.
	in := j.cropInput(g, g.browY-0.75*g.faceH, math.Inf(1))
	box := solveCrop(in)
	photo := img.Bounds() // the photo's extent, in the working image's pixels
	if 1/box.Scale >= 3 {
		// A large photo: work on a copy of the region around the output at
		// about twice the output's resolution. Matting and resampling then
		// cost the same for a 22 MP photo as for a 1 MP one, and the
		// matte is still sharper than the output needs.
		img, f, photo = workingCopy(img, g, f, box, j.h)
		if g, err = j.geometry(img, f); err != nil {
			return nil, err
		}
		in = j.cropInput(g, g.browY-0.75*g.faceH, math.Inf(1))
		box = solveCrop(in)
		j.stage("workcopy")
	}
	roi := j.matteROI(img, g, box)
	if roi.Empty() {
		return nil, errf(CodeNoHead, nil, "人像不在图片内")
	}
	mr, err := m.matter.Matte(ctx, img, roi)
	if err != nil {
		return nil, errf(CodeProcessing, err, "抠图失败")
	}
	if mr == nil || mr.Alpha == nil || mr.Alpha.Rect != roi {
		return nil, errf(CodeProcessing, nil, "抠图结果无效")
	}
	j.stage("matte")

	if g.personAt(mr.Alpha) < 0.5 {
		return nil, errf(CodeNoFace, nil, "未检测到人像")
	}
	// Matte blobs not joined to this person (a flag, a bystander) go.
	sx, sy := g.toSrc(g.centerX, (g.browY+g.chinY)/2)
	if frac := keepPerson(mr.Alpha, image.Pt(int(sx), int(sy)), 0.06*g.faceH); frac > 0.005 {
		j.report.warn(fmt.Sprintf("removed %.1f%% of the matte not connected to the person", 100*frac))
	}
	crown, cut := g.crownFromMatte(photo, mr.Alpha)
	if cut {
		j.report.warn("hair touches the photo's top edge; the space above is filled with background")
	}
	body, extendable := g.bodyBottom(photo, mr.Alpha, float64(j.w)/(2*box.Scale))
	in = j.cropInput(g, crown, body)
	box = solveCrop(in)
	j.report.GaveWay = box.GaveWay
	if extendable {
		// Where the output runs below the photo, the renderer continues
		// the photo's last row: say how much.
		_, by := g.toLevel(face.Point{X: g.cx, Y: float64(photo.Max.Y)})
		if ext := (box.Y0 + float64(j.h)/box.Scale - by) * box.Scale; ext > 1 {
			j.report.warn(fmt.Sprintf("the photo ends under the shoulders; the torso was extended %.0f px", ext))
		}
	}

	toSrc := g.toSource(box)
	out, cov := render(renderInput{
		src: img, alpha: mr.Alpha, fg: mr.Foreground, bg: j.bg, toSrc: toSrc,
		w: j.w, h: j.h, srcPer: 1 / box.Scale,
		noExtend: photo.Max.Y > img.Bounds().Max.Y,
		bodyTop:  (g.chinY - box.Y0) * box.Scale,
		axisX:    (g.centerX - box.X0) * box.Scale,
	})
	if 1/box.Scale < 0.67 {
		j.report.warn(fmt.Sprintf("low resolution: the face was enlarged %.1f×", box.Scale))
	}
	j.stage("render")

	j.report.FaceHeightSourcePx = round2(faceH)
	lm := g.outputLandmarks(f, toSrc.inverse())
	if req.Beauty > 0 {
		beautify(out, cov, lm, req.Beauty)
		j.stage("beauty")
	}
	j.measure(in, box, out, cov, lm)

	res := &Result{Width: j.w, Height: j.h, DPI: j.dpi, Spec: j.spec, Report: j.report}
	if err := j.encode(res, out); err != nil {
		return nil, err
	}
	j.stage("encode")
	if req.Layout != "" {
		sheet, err := layoutSheet(out, req.Layout, j.dpi)
		if err != nil {
			return nil, err
		}
		res.Layout = sheet
		j.stage("layout")
	}
	return res, nil
}

// decode decodes the photo once its estimated decoding memory fits in the
// budget shared by all requests.
func (m *Maker) decode(ctx context.Context, data []byte) (image.Image, imageio.Info, error) {
	peek, progressive, err := imageio.Peek(data)
	if err != nil {
		return nil, peek, decodeError(err)
	}
	px := int64(peek.Width) * int64(peek.Height)
	if px > int64(m.maxPixels) {
		return nil, peek, decodeError(&imageio.TooLargeError{Width: peek.Width, Height: peek.Height, MaxPixels: m.maxPixels})
	}
	need := px * 6 // the image, and an RGBA copy when it must be turned
	if progressive {
		need += px * 6
	}
	need = min(max(need, 1), m.decodeCap)
	if err := m.decodeMem.Acquire(ctx, need); err != nil {
		return nil, peek, errf(CodeProcessing, err, "请求已取消")
	}
	defer m.decodeMem.Release(need)
	img, info, err := imageio.Decode(data, &imageio.Options{MaxPixels: m.maxPixels})
	if err != nil {
		return nil, info, decodeError(err)
	}
	return img, info, nil
}

// workingCopy shrinks the part of img around the output box (with room
// for the crop to move, the head and the body) by an integer factor that
// leaves about twice the output's resolution, and returns it with the face
// in its coordinates and the photo's full extent in them (beyond the
// copy's edges the photo continues).
func workingCopy(img image.Image, g *geom, f face.Face, box cropBox, outH int) (image.Image, face.Face, image.Rectangle) {
	srcPer := 1 / box.Scale
	k := max(1, int(srcPer/2))
	// The box in source pixels, grown by half a box height up and to the
	// sides and by a whole one down.
	toSrc := g.toSource(box)
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	bw := (g.centerX - box.X0) * 2 * box.Scale // output width in px
	for _, p := range [][2]float64{{-0.5 * bw, -0.5 * float64(outH)}, {1.5 * bw, -0.5 * float64(outH)}, {-0.5 * bw, 2 * float64(outH)}, {1.5 * bw, 2 * float64(outH)}} {
		x, y := toSrc.apply(p[0], p[1])
		x0, y0, x1, y1 = math.Min(x0, x), math.Min(y0, y), math.Max(x1, x), math.Max(y1, y)
	}
	b := img.Bounds()
	reg := image.Rect(int(math.Floor(x0)), int(math.Floor(y0)), int(math.Ceil(x1)), int(math.Ceil(y1))).Intersect(b)
	w, h := (reg.Dx()+k-1)/k, (reg.Dy()+k-1)/k
	work := boxRGB(img, reg, k, w, h)
	pt := func(p face.Point) face.Point {
		return face.Point{X: (p.X - float64(reg.Min.X)) / float64(k), Y: (p.Y - float64(reg.Min.Y)) / float64(k)}
	}
	sf := f
	sf.Box = face.Rect{X0: pt(face.Point{X: f.Box.X0}).X, Y0: pt(face.Point{Y: f.Box.Y0}).Y, X1: pt(face.Point{X: f.Box.X1}).X, Y1: pt(face.Point{Y: f.Box.Y1}).Y}
	for i := range sf.Keypoints {
		sf.Keypoints[i] = pt(f.Keypoints[i])
	}
	if f.Mesh != nil {
		sf.Mesh = make([]face.Point3, len(f.Mesh))
		for i, m := range f.Mesh {
			q := pt(face.Point{X: m.X, Y: m.Y})
			sf.Mesh[i] = face.Point3{X: q.X, Y: q.Y, Z: m.Z / float64(k)}
		}
	}
	for _, p := range []*face.Point{&sf.RightEye, &sf.LeftEye, &sf.BrowTop, &sf.Chin} {
		if *p != (face.Point{}) {
			*p = pt(*p)
		}
	}
	photo := image.Rect(
		int(math.Floor(float64(b.Min.X-reg.Min.X)/float64(k))), int(math.Floor(float64(b.Min.Y-reg.Min.Y)/float64(k))),
		int(math.Ceil(float64(b.Max.X-reg.Min.X)/float64(k))), int(math.Ceil(float64(b.Max.Y-reg.Min.Y)/float64(k))))
	return work, sf, photo
}

func decodeError(err error) error {
	var tl *imageio.TooLargeError
	if errors.As(err, &tl) {
		return errf(CodeTooLarge, err, "%dx%d，最多%d万像素", tl.Width, tl.Height, tl.MaxPixels/10000)
	}
	return errf(CodeNotFound, err, "无法识别的图片")
}

// findFace runs the detector, retrying at quarter turns when nothing is
// found (a sideways photo without EXIF), and applies the multi-face rule.
// It returns the (possibly rotated) image the face was found in.
func (m *Maker) findFace(ctx context.Context, j *job, img image.Image) (image.Image, face.Face, error) {
	var faces []face.Face
	for _, turn := range []int{0, 90, 270, 180} {
		cand := img
		if turn != 0 {
			cand = rotateQuarter(img, turn)
		}
		fs, err := m.finder.Find(ctx, cand)
		if err != nil {
			if ctx.Err() != nil {
				return nil, face.Face{}, errf(CodeProcessing, err, "请求已取消")
			}
			return nil, face.Face{}, errf(CodeFaceDetection, err, "人脸检测出错")
		}
		if len(fs) > 0 {
			faces, img = fs, cand
			if turn != 0 {
				j.report.RotatedBy = turn
				j.report.warn(fmt.Sprintf("no face upright; found after turning the photo %d° clockwise", turn))
			}
			break
		}
	}
	j.report.Faces = len(faces)
	if len(faces) == 0 {
		return nil, face.Face{}, errf(CodeNoFace, nil, "")
	}
	if len(faces) > 1 {
		h0 := faces[0].Box.Y1 - faces[0].Box.Y0
		h1 := faces[1].Box.Y1 - faces[1].Box.Y0
		if h1 >= 0.6*h0 {
			return nil, face.Face{}, errf(CodeUnsuitable, nil, "检测到%d张大小相近的人脸", len(faces))
		}
		j.report.warn(fmt.Sprintf("%d faces found; the largest was used", len(faces)))
	}
	return img, faces[0], nil
}

// rotateQuarter turns img clockwise by 90, 180 or 270 degrees.
func rotateQuarter(img image.Image, deg int) *image.RGBA {
	src := newPixelSource(img)
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if deg != 180 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var dx, dy int
			switch deg {
			case 90:
				dx, dy = h-1-y, x
			case 180:
				dx, dy = w-1-x, h-1-y
			default:
				dx, dy = y, w-1-x
			}
			r, g, bl := src.rgb(b.Min.X+x, b.Min.Y+y)
			o := dst.PixOffset(dx, dy)
			dst.Pix[o], dst.Pix[o+1], dst.Pix[o+2], dst.Pix[o+3] = uint8(r), uint8(g), uint8(bl), 255
		}
	}
	return dst
}

func (j *job) cropInput(g *geom, crownY, body float64) cropInput {
	in := cropInput{
		W: j.w, H: j.h,
		FaceCenter: j.req.FaceCenter,
		BrowY:      g.browY, ChinY: g.chinY, CenterX: g.centerX,
		CrownY: crownY, BodyBottom: body,
	}
	ratio := j.req.FaceRatio
	if ratio == 0 {
		ratio = j.spec.FaceRatio
	}
	// The only place where the seed's face ratio becomes our measure.
	in.BrowChin = BrowChinPerFaceRatio * ratio
	if in.FaceCenter == 0 {
		in.FaceCenter = DefaultFaceCenter
	}
	if te := j.req.TopEmpty; te != nil {
		in.TopEmpty = &[2]float64{float64(te[0]), float64(te[1])}
	}
	return in
}

// matteROI is the source region to matte: the output box with a margin
// (the refined crop may move a little) and room below for the body.
func (j *job) matteROI(img image.Image, g *geom, box cropBox) image.Rectangle {
	toSrc := g.toSource(box)
	mx, my := 0.08*float64(j.w), 0.08*float64(j.h)
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range [][2]float64{{-mx, -my}, {float64(j.w) + mx, -my}, {-mx, 1.35 * float64(j.h)}, {float64(j.w) + mx, 1.35 * float64(j.h)}} {
		x, y := toSrc.apply(p[0], p[1])
		x0, y0, x1, y1 = math.Min(x0, x), math.Min(y0, y), math.Max(x1, x), math.Max(y1, y)
	}
	r := image.Rect(int(math.Floor(x0)), int(math.Floor(y0)), int(math.Ceil(x1)), int(math.Ceil(y1)))
	return r.Intersect(img.Bounds())
}

func (j *job) encode(res *Result, out *image.RGBA) error {
	if j.req.Format == "png" {
		var buf bytes.Buffer
		if err := imageio.EncodePNG(&buf, out, j.dpi); err != nil {
			return errf(CodeEncoding, err, "PNG编码失败")
		}
		res.Photo, res.ContentType = buf.Bytes(), "image/png"
		j.report.FileKB = round2(float64(buf.Len()) / 1024)
		return nil
	}
	kb := j.req.KB
	enc, err := imageio.EncodeJPEG(out, j.dpi, kb)
	if err != nil {
		var re *imageio.RangeError
		if errors.As(err, &re) {
			return &Error{Code: CodeEncoding, Detail: fmt.Sprintf("无法满足文件大小%d~%dKB，已尝试：%s", kb.Min, kb.Max, triedText(re.Tried)), Err: err}
		}
		return errf(CodeEncoding, err, "JPEG编码失败")
	}
	res.Photo, res.ContentType = enc.Data, "image/jpeg"
	j.report.FileKB = round2(enc.KB())
	j.report.Quality = enc.Quality
	j.report.Chroma = enc.Chroma.String()
	j.report.PaddingBytes = enc.Padding
	j.report.Tried = enc.Tried
	return nil
}

func triedText(tried []imageio.Attempt) string {
	s := ""
	for i, a := range tried {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("q%d/%s=%.1fKB", a.Quality, a.Chroma, float64(a.Bytes)/1024)
	}
	return s
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
