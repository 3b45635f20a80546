package idphoto

import (
	"image"
	"math"

	"github.com/zhengapi/zheng/internal/imageio"
)

// Report is what Make measured and decided, returned with every photo.
type Report struct {
	Spec         string  `json:"spec"` // spec ID
	SpecName     string  `json:"specName"`
	Width        int     `json:"width"`
	Height       int     `json:"height"`
	DPI          int     `json:"dpi"`
	Background   string  `json:"background"`
	FileKB       float64 `json:"fileKB"`
	Quality      int     `json:"quality,omitempty"`      // JPEG quality used
	Chroma       string  `json:"chroma,omitempty"`       // JPEG chroma subsampling used
	PaddingBytes int     `json:"paddingBytes,omitempty"` // metadata added to reach the minimum KB

	// Framing measured on the output: the face ratio in the seed's terms
	// (brow-top-to-chin height ÷ BrowChinPerFaceRatio ÷ photo height,
	// comparable with the faceRatio asked for), the raw brow-top-to-chin
	// height over the photo height, the face centre height as a fraction
	// of the photo height, the face axis as a fraction of the width, and
	// the gap above the head in pixels (from the rendered matte).
	FaceRatio     float64 `json:"faceRatio"`
	BrowChinRatio float64 `json:"browChinRatio"`
	FaceCenter    float64 `json:"faceCenter"`
	FaceCenterX   float64 `json:"faceCenterX"`
	TopGapPx      float64 `json:"topGapPx"`

	Roll         float64 `json:"roll"` // degrees, levelled before cropping
	Yaw          float64 `json:"yaw"`
	Pitch        float64 `json:"pitch"`
	EyesOpen     bool    `json:"eyesOpen"`
	LeftEyeOpen  float64 `json:"leftEyeOpen"`
	RightEyeOpen float64 `json:"rightEyeOpen"`

	// Quality figures: Laplacian variance and mean luma of the face on a
	// 64×64 grid of the source, the same of the output face, and the mean
	// absolute difference of the background from the colour asked for.
	SourceSharpness     float64 `json:"sourceSharpness"`
	SourceExposure      float64 `json:"sourceExposure"`
	Sharpness           float64 `json:"sharpness"`
	Exposure            float64 `json:"exposure"`
	BackgroundDeviation float64 `json:"backgroundDeviation"`

	Faces              int                `json:"faces"`
	RotatedBy          int                `json:"rotatedBy,omitempty"` // quarter turn applied to find the face
	FaceHeightSourcePx float64            `json:"faceHeightSourcePx"`
	Input              InputInfo          `json:"input"`
	GaveWay            []string           `json:"gaveWay,omitempty"`
	Warnings           []string           `json:"warnings,omitempty"`
	Tried              []imageio.Attempt  `json:"tried,omitempty"`
	StagesMS           map[string]float64 `json:"stagesMs"`
}

// InputInfo describes the decoded input.
type InputInfo struct {
	Format      string `json:"format"`
	Width       int    `json:"width"` // upright
	Height      int    `json:"height"`
	Orientation int    `json:"orientation"` // EXIF orientation applied
}

func (r *Report) warn(s string) { r.Warnings = append(r.Warnings, s) }

// measure fills the framing and quality figures from the output.
func (j *job) measure(in cropInput, box cropBox, out *image.RGBA, cov *image.Gray, lm outLandmarks) {
	rep := j.report
	ratio, centre, cx, _ := box.measure(in)
	rep.FaceRatio = round2(ratio/BrowChinPerFaceRatio*1000) / 1000
	rep.BrowChinRatio = round2(ratio*1000) / 1000
	rep.FaceCenter, rep.FaceCenterX = round2(centre*1000)/1000, round2(cx*1000)/1000
	w, h := out.Rect.Dx(), out.Rect.Dy()
	// Top gap: first row where the person covers the face's column band.
	x0 := clampInt(int(lm.brow.X-0.15*lm.faceH), 0, w-1)
	x1 := clampInt(int(lm.brow.X+0.15*lm.faceH), x0+1, w)
	rep.TopGapPx = float64(h)
rows:
	for y := 0; y < h; y++ {
		for x := x0; x < x1; x++ {
			if cov.Pix[y*cov.Stride+x] >= 128 {
				rep.TopGapPx = float64(y)
				break rows
			}
		}
	}
	if rep.TopGapPx == 0 {
		rep.warn("the head touches the top edge")
	}
	// Face sharpness and exposure on the output.
	var grid [64][64]float64
	sum := 0.0
	for jy := 0; jy < 64; jy++ {
		for ix := 0; ix < 64; ix++ {
			x := lm.brow.X + (float64(ix)/63-0.5)*0.8*lm.faceH
			y := lm.brow.Y + float64(jy)/63*lm.faceH
			r, g, b := bilinear(rgbaSource{out}, out.Rect, x, y)
			grid[jy][ix] = float64(luma(r, g, b))
			sum += grid[jy][ix]
		}
	}
	rep.Exposure = round2(sum / 4096)
	var s, s2 float64
	for y := 1; y < 63; y++ {
		for x := 1; x < 63; x++ {
			l := grid[y-1][x] + grid[y+1][x] + grid[y][x-1] + grid[y][x+1] - 4*grid[y][x]
			s += l
			s2 += l * l
		}
	}
	m := 62.0 * 62.0
	rep.Sharpness = round2(s2/m - (s/m)*(s/m))
	// Background evenness.
	var dev float64
	var n int
	for y := 0; y < h; y++ {
		bg := j.bg.At(y, h)
		for x := 0; x < w; x++ {
			if cov.Pix[y*cov.Stride+x] > 3 {
				continue
			}
			o := out.PixOffset(x, y)
			dev += math.Abs(float64(out.Pix[o])-float64(bg.R)) + math.Abs(float64(out.Pix[o+1])-float64(bg.G)) + math.Abs(float64(out.Pix[o+2])-float64(bg.B))
			n++
		}
	}
	if n > 0 {
		rep.BackgroundDeviation = round2(dev / float64(3*n))
	}
	if len(rep.GaveWay) > 0 {
		rep.warn("some framing constraints gave way; see gaveWay")
	}
}
