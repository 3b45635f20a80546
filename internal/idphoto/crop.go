package idphoto

import (
	"fmt"
	"math"
)

// cropInput is the crop problem in the levelled frame: source pixels after
// the roll has been removed, so the face is upright and y grows downwards.
type cropInput struct {
	W, H       int     // output size, px
	BrowChin   float64 // (chin − brow top) / H: faceRatio × BrowChinPerFaceRatio
	FaceCenter float64 // face centre height / H
	TopEmpty   *[2]float64
	BrowY      float64 // brow top
	ChinY      float64
	CenterX    float64 // the face's vertical axis
	CrownY     float64 // top of the head (hair included)
	// BodyBottom is where the person ends going down from the chin; +Inf
	// when the body runs out of the region looked at (it continues).
	BodyBottom float64
}

// cropBox is the solved output box: output pixel (u, v) shows levelled
// point (X0 + u/Scale, Y0 + v/Scale).
type cropBox struct {
	X0, Y0 float64
	Scale  float64 // output pixels per source pixel
	// GaveWay lists, in order, the constraints moved by higher-priority
	// ones, in words for the report.
	GaveWay []string
}

// solveCrop places the output box in one step. The face ratio fixes the
// scale; the face is centred horizontally; then, in the seed's order of
// priority, the face centre height places the box, the top gap (when
// asked) overrides it, and the body reaching the bottom edge overrides
// both. Whatever lies outside the source is filled with the background by
// the renderer, so no constraint needs the source to be large enough.
func solveCrop(in cropInput) cropBox {
	faceH := in.ChinY - in.BrowY
	s := in.BrowChin * float64(in.H) / faceH
	box := cropBox{Scale: s}
	box.X0 = in.CenterX - float64(in.W)/(2*s)
	centreY := (in.BrowY + in.ChinY) / 2
	box.Y0 = centreY - in.FaceCenter*float64(in.H)/s

	if in.TopEmpty != nil {
		gap := (in.CrownY - box.Y0) * s
		lo, hi := in.TopEmpty[0], in.TopEmpty[1]
		switch {
		case gap < lo:
			box.Y0 = in.CrownY - lo/s
			box.GaveWay = append(box.GaveWay, fmt.Sprintf("faceCenter: face moved down %.0f px to leave the top gap of %.0f px", lo-gap, lo))
		case gap > hi:
			box.Y0 = in.CrownY - hi/s
			box.GaveWay = append(box.GaveWay, fmt.Sprintf("faceCenter: face moved up %.0f px to keep the top gap under %.0f px", gap-hi, hi))
		}
	}

	// Never let the body float: the bottom edge must cut the body.
	if !math.IsInf(in.BodyBottom, 1) {
		bottom := box.Y0 + float64(in.H)/s
		if over := bottom - in.BodyBottom; over > 0 {
			// Move the portrait down, but keep the chin above 85% of the
			// height: a floating bust is better than a head sunk to the
			// bottom edge.
			maxShift := (0.85*float64(in.H) - (in.ChinY-box.Y0)*s) / s
			shift := math.Min(over, math.Max(maxShift, 0))
			if shift > 0 {
				box.Y0 -= shift
				what := "faceCenter"
				if in.TopEmpty != nil {
					what = "topEmpty"
				}
				box.GaveWay = append(box.GaveWay, fmt.Sprintf("%s: portrait moved down %.0f px so the body reaches the bottom edge", what, shift*s))
			}
			if shift < over {
				box.GaveWay = append(box.GaveWay, fmt.Sprintf("bottom: the source ends %.0f px above the bottom edge; filled with background", (over-shift)*s))
			}
		}
	}
	return box
}

// measure returns where the face lands in the output of box.
func (box cropBox) measure(in cropInput) (ratio, centre, centreX, topGap float64) {
	s := box.Scale
	ratio = (in.ChinY - in.BrowY) * s / float64(in.H)
	centre = ((in.BrowY+in.ChinY)/2 - box.Y0) * s / float64(in.H)
	centreX = (in.CenterX - box.X0) * s / float64(in.W)
	topGap = (in.CrownY - box.Y0) * s
	return
}
