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
)

// repoRoot walks up from the package directory to the one holding go.mod.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the package")
		}
		dir = parent
	}
}

var (
	finderOnce sync.Once
	finderVal  *Finder
	finderErr  error
)

// testFinder loads the models once per test binary; it skips when the
// models have not been fetched (scripts/fetch-models.sh).
func testFinder(t testing.TB) *Finder {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "models")
	if _, err := os.Stat(filepath.Join(dir, "blazeface.json")); err != nil {
		t.Skip("models not fetched; run scripts/fetch-models.sh")
	}
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
	dir := filepath.Join(repoRoot(t), "..", "shared", "testdata", "portraits")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("portrait test set absent")
	}
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
