package idphoto

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"

	"github.com/zhengapi/zheng/internal/imageio"
)

// papers are the print sheets, in millimetres (portrait orientation):
// 6-inch is the 4R print (4×6 in), 5-inch the 3R (3.5×5 in).
var papers = map[string][2]float64{
	"6inch": {101.6, 152.4},
	"5inch": {88.9, 127},
	"a4":    {210, 297},
}

// minGapMM is the smallest space between photos and around them: room to
// cut with scissors and for the cut marks.
const minGapMM = 2.0

// SheetPlan is how copies sit on a sheet.
type SheetPlan struct {
	Width, Height int // sheet pixels
	Cols, Rows    int
	Gap           float64 // the same gap between photos both ways, px
	MarginX       float64 // the block of photos is centred on the sheet
	MarginY       float64
}

// planSheet fits as many w×h photos as possible on paper at dpi, trying
// the sheet both ways round, with one even gap between photos (at least
// minGapMM) and the block centred.
func planSheet(paper string, w, h, dpi int) (SheetPlan, error) {
	mm, ok := papers[paper]
	if !ok {
		return SheetPlan{}, paramErr("layout", "应为6inch、5inch或a4")
	}
	gap := float64(dpi) * minGapMM / 25.4
	best := SheetPlan{}
	for _, o := range [][2]float64{{mm[0], mm[1]}, {mm[1], mm[0]}} {
		pw, ph := mmToPx(o[0], dpi), mmToPx(o[1], dpi)
		cols := int((float64(pw) - gap) / (float64(w) + gap))
		rows := int((float64(ph) - gap) / (float64(h) + gap))
		if cols*rows > best.Cols*best.Rows {
			gx := float64(pw-cols*w) / float64(cols+1)
			gy := float64(ph-rows*h) / float64(rows+1)
			g := math.Min(gx, gy)
			best = SheetPlan{Width: pw, Height: ph, Cols: cols, Rows: rows, Gap: g,
				MarginX: (float64(pw) - float64(cols*w) - float64(cols-1)*g) / 2,
				MarginY: (float64(ph) - float64(rows*h) - float64(rows-1)*g) / 2}
		}
	}
	if best.Cols*best.Rows == 0 {
		return best, paramErr("layout", "照片尺寸大于相纸")
	}
	return best, nil
}

// layoutSheet renders the print sheet: white paper, copies on a grid with
// even gaps, and thin grey cut marks in the gaps at every photo corner.
func layoutSheet(photo *image.RGBA, paper string, dpi int) ([]byte, error) {
	w, h := photo.Rect.Dx(), photo.Rect.Dy()
	p, err := planSheet(paper, w, h, dpi)
	if err != nil {
		return nil, err
	}
	sheet := image.NewRGBA(image.Rect(0, 0, p.Width, p.Height))
	draw.Draw(sheet, sheet.Rect, image.NewUniform(color.White), image.Point{}, draw.Src)
	mark := color.RGBA{160, 160, 160, 255}
	tick := int(math.Min(p.Gap*0.8, float64(dpi)*3/25.4))
	for r := 0; r < p.Rows; r++ {
		for c := 0; c < p.Cols; c++ {
			x := int(math.Round(p.MarginX + float64(c)*(float64(w)+p.Gap)))
			y := int(math.Round(p.MarginY + float64(r)*(float64(h)+p.Gap)))
			draw.Draw(sheet, image.Rect(x, y, x+w, y+h), photo, photo.Rect.Min, draw.Src)
			// Ticks run outwards from each corner along the photo's edges.
			for _, cx := range []int{x - 1, x + w} {
				for _, cy := range []int{y - 1, y + h} {
					dx, dy := 1, 1
					if cx < x {
						dx = -1
					}
					if cy < y {
						dy = -1
					}
					for t := 0; t < tick; t++ {
						sheet.SetRGBA(cx+dx*t, cy, mark) // horizontal, along the top/bottom edge line
						sheet.SetRGBA(cx, cy+dy*t, mark) // vertical
					}
				}
			}
		}
	}
	data, err := imageio.EncodeJPEGStd(sheet, 95, dpi)
	if err != nil {
		return nil, errf(CodeEncoding, err, "排版编码失败")
	}
	return data, nil
}

// String describes the plan, e.g. for the CLI.
func (p SheetPlan) String() string {
	return fmt.Sprintf("%dx%d px, %d×%d copies", p.Width, p.Height, p.Cols, p.Rows)
}
