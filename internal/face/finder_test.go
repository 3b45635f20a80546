package face

import (
	"context"
	"image"
	"image/color"
	"image/draw"
	_ "image/jpeg"
	_ "image/png"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/zhengapi/zheng/internal/testenv"
)

var (
	finderOnce sync.Once
	finderVal  *Finder
	finderErr  error
)

// modelsDir is $ZHENG_MODELS or the repository's models folder; it skips
// when the models have not been fetched (scripts/fetch-models.sh).
func modelsDir(t testing.TB) string { return testenv.Models(t, "blazeface") }

// testFinder loads the models once per test binary.
func testFinder(t testing.TB) *Finder {
	t.Helper()
	dir := modelsDir(t)
	finderOnce.Do(func() { finderVal, finderErr = NewFinder(dir) })
	if finderErr != nil {
		t.Fatal(finderErr)
	}
	return finderVal
}

// portrait decodes one of the shared test portraits, skipping when the
// set is absent.
func portrait(t testing.TB, name string) image.Image {
	t.Helper()
	dir := testenv.Shared(t, "portraits")
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return img
}

func TestFindPortraits(t *testing.T) {
	f := testFinder(t)
	tests := []struct {
		file             string
		rollMin, rollMax float64
		eyesClosed       bool
		lookingUp        bool
	}{
		{"hivision_test0.jpg", -10, 10, false, false},
		{"hivision_test3.jpg", -10, 10, false, false},
		{"deepface_img11.jpg", 8, 25, false, false}, // head visibly tilted
		{"deepface_img25.jpg", -15, 15, false, false},
		{"facerec_obama.jpg", -10, 10, false, false},
		{"u2net_portrait_img_1588.png", -20, 20, false, false},
		{"inspireface_emotion_sad.png", -10, 10, false, false},
		{"inspireface_pose_right_wryneck.png", 20, 60, true, false},
		{"inspireface_pose_rise_face.jpeg", -15, 15, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			img := portrait(t, tc.file)
			faces, err := f.Find(t.Context(), img)
			if err != nil {
				t.Fatal(err)
			}
			if len(faces) != 1 {
				t.Fatalf("Find: %d faces, want 1", len(faces))
			}
			fc := faces[0]
			checkFace(t, fc, img.Bounds())
			if fc.Roll < tc.rollMin || fc.Roll > tc.rollMax {
				t.Errorf("Roll = %.1f°, want in [%v, %v]", fc.Roll, tc.rollMin, tc.rollMax)
			}
			open := (fc.RightEyeOpen + fc.LeftEyeOpen) / 2
			if tc.eyesClosed != (open < 0.15) {
				t.Errorf("eye openness %.3f/%.3f, want closed = %v", fc.RightEyeOpen, fc.LeftEyeOpen, tc.eyesClosed)
			}
			if tc.lookingUp != (fc.Pitch > 20) {
				t.Errorf("Pitch = %.1f°, want looking up = %v", fc.Pitch, tc.lookingUp)
			}
			if math.Abs(fc.Yaw) > 20 {
				t.Errorf("Yaw = %.1f°, want within 20° for these near-frontal faces", fc.Yaw)
			}
			t.Logf("box %.0f score %.2f roll %.1f yaw %.1f pitch %.1f open %.2f/%.2f", fc.Box, fc.Score, fc.Roll, fc.Yaw, fc.Pitch, fc.RightEyeOpen, fc.LeftEyeOpen)
		})
	}
}

// checkFace asserts the landmark order a user would see: brows above eyes
// above nose above mouth above chin (along the face's own axis), and every
// landmark near the detector box.
func checkFace(t *testing.T, fc Face, bounds image.Rectangle) {
	t.Helper()
	if len(fc.Mesh) != 468 {
		t.Fatalf("mesh has %d points, want 468", len(fc.Mesh))
	}
	sin, cos := math.Sincos(fc.Roll * math.Pi / 180)
	down := func(p Point) float64 { return -p.X*sin + p.Y*cos }
	m := fc.Mesh
	eyes := Point{(fc.RightEye.X + fc.LeftEye.X) / 2, (fc.RightEye.Y + fc.LeftEye.Y) / 2}
	order := []struct {
		name string
		p    Point
	}{
		{"brow top", fc.BrowTop},
		{"eyes", eyes},
		{"nose tip", Point{m[meshNoseTip].X, m[meshNoseTip].Y}},
		{"mouth", Point{m[meshMouthCentre].X, m[meshMouthCentre].Y}},
		{"chin", fc.Chin},
	}
	for i := 1; i < len(order); i++ {
		if down(order[i-1].p) >= down(order[i].p) {
			t.Errorf("%s is not above %s", order[i-1].name, order[i].name)
		}
	}
	w := fc.Box.X1 - fc.Box.X0
	grown := Rect{fc.Box.X0 - w, fc.Box.Y0 - w, fc.Box.X1 + w, fc.Box.Y1 + w}
	for _, p := range []Point{fc.RightEye, fc.LeftEye, fc.Chin, fc.BrowTop} {
		if p.X < grown.X0 || p.X > grown.X1 || p.Y < grown.Y0 || p.Y > grown.Y1 {
			t.Errorf("landmark %v far outside the detector box %v", p, fc.Box)
		}
	}
	if fc.Box.X1 < float64(bounds.Min.X) || fc.Box.X0 > float64(bounds.Max.X) {
		t.Errorf("box %v outside the image %v", fc.Box, bounds)
	}
}

// TestFindMatchesReference runs the whole finder on the portraits the
// reference numbers were recorded on and compares box and keypoints with
// TensorFlow.js (which squashes the image to 256×256 instead of
// letterboxing, hence the tolerance).
func TestFindMatchesReference(t *testing.T) {
	f := testFinder(t)
	ref := loadReference(t)
	files := map[string]string{"hivision_test0.*": "hivision_test0.jpg", "facerec_obama.*": "facerec_obama.jpg", "inspireface_pose_right_wryneck.*": "inspireface_pose_right_wryneck.png"}
	for _, r := range ref.Faces {
		t.Run(r.Image, func(t *testing.T) {
			img := portrait(t, files[r.Image])
			faces, err := f.Find(t.Context(), img)
			if err != nil {
				t.Fatal(err)
			}
			if len(faces) == 0 {
				t.Fatal("no face")
			}
			fc := faces[0]
			sx, sy := r.Width/blazeSize, r.Height/blazeSize
			want := Rect{r.TopBox256[0] * sx, r.TopBox256[1] * sy, r.TopBox256[2] * sx, r.TopBox256[3] * sy}
			if v := iou(fc.Box, want); v < 0.7 {
				t.Errorf("box %v vs reference %v: IoU %.2f, want ≥ 0.7", fc.Box, want, v)
			}
			tol := 0.1 * (want.X1 - want.X0)
			for k, p := range fc.Keypoints {
				w := r.TopKeypointsImage[k]
				if math.Hypot(p.X-w[0], p.Y-w[1]) > tol {
					t.Errorf("keypoint %d = (%.1f, %.1f), reference (%.1f, %.1f)", k, p.X, p.Y, w[0], w[1])
				}
			}
		})
	}
}

func TestFindNoFace(t *testing.T) {
	f := testFinder(t)
	for _, file := range []string{"inspireface_view_noface.jpg", "dlib_dogs.jpg"} {
		t.Run(file, func(t *testing.T) {
			faces, err := f.Find(t.Context(), portrait(t, file))
			if err != nil {
				t.Fatal(err)
			}
			if len(faces) != 0 {
				t.Errorf("Find: %d faces, want 0 (first %+v)", len(faces), faces[0].Box)
			}
		})
	}
}

// TestFindRotated checks that a photo turned by 90° yields no upright face:
// either nothing is found, or what is found reports its roll.
func TestFindRotated(t *testing.T) {
	f := testFinder(t)
	faces, err := f.Find(t.Context(), portrait(t, "inspireface_rot_90.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, fc := range faces {
		if math.Abs(fc.Roll) < 45 {
			t.Errorf("face %v reported upright (roll %.1f°)", fc.Box, fc.Roll)
		}
	}
}

func TestFindMultiple(t *testing.T) {
	f := testFinder(t)
	faces, err := f.Find(t.Context(), portrait(t, "facerec_two_people.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if len(faces) != 2 {
		t.Fatalf("Find: %d faces, want 2", len(faces))
	}
	if faces[0].Box.area() < faces[1].Box.area() {
		t.Errorf("faces not sorted by size: %v then %v", faces[0].Box, faces[1].Box)
	}
}

// TestFindSynthetic covers inputs without a face and odd image types and
// origins, which need no portrait set.
func TestFindSynthetic(t *testing.T) {
	f := testFinder(t)
	grey := image.NewGray(image.Rect(0, 0, 300, 200))
	draw.Draw(grey, grey.Bounds(), image.NewUniform(color.Gray{200}), image.Point{}, draw.Src)
	offset := image.NewRGBA(image.Rect(-50, 40, 250, 440))
	for y := offset.Rect.Min.Y; y < offset.Rect.Max.Y; y++ {
		for x := offset.Rect.Min.X; x < offset.Rect.Max.X; x++ {
			offset.Set(x, y, color.RGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	for name, img := range map[string]image.Image{"flat grey": grey, "gradient with offset origin": offset} {
		t.Run(name, func(t *testing.T) {
			faces, err := f.Find(context.Background(), img)
			if err != nil {
				t.Fatal(err)
			}
			if len(faces) != 0 {
				t.Errorf("Find: %d faces on a faceless image", len(faces))
			}
		})
	}
	if _, err := f.Find(context.Background(), image.NewRGBA(image.Rectangle{})); err != ErrEmptyImage {
		t.Errorf("empty image: err = %v, want ErrEmptyImage", err)
	}
}

// TestFindOffsetOrigin checks that coordinates follow the image's own
// bounds: the same portrait as a sub-image gives shifted landmarks.
func TestFindOffsetOrigin(t *testing.T) {
	f := testFinder(t)
	img := portrait(t, "hivision_test0.jpg")
	b := img.Bounds()
	shifted := image.NewRGBA(b.Add(image.Pt(100, -30)))
	draw.Draw(shifted, shifted.Bounds(), img, b.Min, draw.Src)
	a, err := f.Find(t.Context(), img)
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.Find(t.Context(), shifted)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 1 || len(c) != 1 {
		t.Fatalf("faces: %d and %d, want 1 and 1", len(a), len(c))
	}
	dx, dy := c[0].RightEye.X-a[0].RightEye.X, c[0].RightEye.Y-a[0].RightEye.Y
	if math.Abs(dx-100) > 1 || math.Abs(dy+30) > 1 {
		t.Errorf("right eye moved by (%.1f, %.1f), want (100, -30)", dx, dy)
	}
}

// TestFindConcurrent runs one finder from several goroutines; the results
// must not depend on who else is running.
func TestFindConcurrent(t *testing.T) {
	f := testFinder(t)
	img := portrait(t, "facerec_two_people.jpg")
	want, err := f.Find(t.Context(), img)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	got := make([][]Face, 3)
	errs := make([]error, 3)
	for i := range got {
		wg.Go(func() { got[i], errs[i] = f.Find(t.Context(), img) })
	}
	wg.Wait()
	for i := range got {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if len(got[i]) != len(want) {
			t.Errorf("run %d: %d faces, alone: %d", i, len(got[i]), len(want))
			continue
		}
		for j := range want {
			if got[i][j].RightEye != want[j].RightEye {
				t.Errorf("run %d face %d: right eye %v, alone: %v", i, j, got[i][j].RightEye, want[j].RightEye)
			}
		}
	}
}

// TestFindWithoutIris: without the iris model the eye centres come from
// the mesh's eye contours and must still sit on the eyes.
func TestFindWithoutIris(t *testing.T) {
	f := testFinder(t)
	noIris, err := NewFinderOptions(modelsDir(t), &Options{NoIris: true})
	if err != nil {
		t.Fatal(err)
	}
	img := portrait(t, "hivision_test0.jpg")
	a, err := f.Find(t.Context(), img)
	if err != nil {
		t.Fatal(err)
	}
	b, err := noIris.Find(t.Context(), img)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 1 || len(b) != 1 {
		t.Fatalf("faces: %d with iris, %d without, want 1 and 1", len(a), len(b))
	}
	width := math.Hypot(a[0].LeftEye.X-a[0].RightEye.X, a[0].LeftEye.Y-a[0].RightEye.Y)
	for _, p := range [][2]Point{{a[0].RightEye, b[0].RightEye}, {a[0].LeftEye, b[0].LeftEye}} {
		if d := math.Hypot(p[0].X-p[1].X, p[0].Y-p[1].Y); d > 0.08*width {
			t.Errorf("eye centre without iris %v is %.1f px from the iris centre %v (eyes %.0f px apart)", p[1], d, p[0], width)
		}
	}
	if b[0].RightEyeOpen < 0.15 || b[0].LeftEyeOpen < 0.15 {
		t.Errorf("open eyes measured %.2f/%.2f from the mesh", b[0].RightEyeOpen, b[0].LeftEyeOpen)
	}
}

// TestFindSmallAndTurned: a portrait pasted into a corner of a large
// canvas (face about 1/20 of the long side) is found by the tiled round,
// and a portrait stored upside down by the rotated round, with roll
// telling the caller how to turn it.
func TestFindSmallAndTurned(t *testing.T) {
	f := testFinder(t)
	img := portrait(t, "hivision_test0.jpg")
	b := img.Bounds()
	canvas := image.NewRGBA(image.Rect(0, 0, 2400, 3200))
	draw.Draw(canvas, canvas.Bounds(), image.NewUniform(color.RGBA{90, 110, 100, 255}), image.Point{}, draw.Src)
	small := image.Rect(1700, 300, 1700+b.Dx(), 300+b.Dy())
	draw.Draw(canvas, small, img, b.Min, draw.Src)
	flipped := image.NewRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			flipped.Set(b.Max.X-1-(x-b.Min.X), b.Max.Y-1-(y-b.Min.Y), img.At(x, y))
		}
	}
	tests := []struct {
		name     string
		img      image.Image
		inside   image.Rectangle
		rollNear float64
	}{
		{"small face", canvas, small, 0},
		{"upside down", flipped, b, 180},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			faces, err := f.Find(t.Context(), tc.img)
			if err != nil {
				t.Fatal(err)
			}
			if len(faces) != 1 {
				t.Fatalf("Find: %d faces, want 1", len(faces))
			}
			fc := faces[0]
			for _, p := range []Point{fc.RightEye, fc.LeftEye, fc.Chin} {
				if !image.Pt(int(p.X), int(p.Y)).In(tc.inside) {
					t.Errorf("landmark %v outside %v", p, tc.inside)
				}
			}
			if d := math.Abs(math.Remainder(fc.Roll-tc.rollNear, 360)); d > 15 {
				t.Errorf("Roll = %.1f°, want about %v°", fc.Roll, tc.rollNear)
			}
			t.Logf("score %.2f roll %.1f", fc.Score, fc.Roll)
		})
	}
}
