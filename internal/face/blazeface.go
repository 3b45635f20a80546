package face

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Blazeface (front model) geometry: a 256×256 input, 896 anchors = a 16×16
// grid with 2 anchors per cell followed by an 8×8 grid with 6 per cell. Each
// anchor regresses 16 values in input pixels: box centre offset (2), box
// size (2) and six keypoint offsets (12).
const (
	blazeSize    = 256
	blazeAnchors = 896
	blazeRegs    = 16
)

type anchor struct{ x, y float64 }

// makeAnchors returns the anchor centres in input pixels, in the order of
// the model's outputs (fine grid first). Anchor sizes are fixed at 1, so
// regressions are used as absolute pixel sizes.
func makeAnchors() []anchor {
	out := make([]anchor, 0, blazeAnchors)
	for _, g := range []struct{ grid, per int }{{16, 2}, {8, 6}} {
		stride := float64(blazeSize) / float64(g.grid)
		for gy := range g.grid {
			for gx := range g.grid {
				for range g.per {
					out = append(out, anchor{stride * (float64(gx) + 0.5), stride * (float64(gy) + 0.5)})
				}
			}
		}
	}
	return out
}

// detection is one blazeface detection in the coordinates it was decoded in.
type detection struct {
	box   Rect
	score float64
	kp    [6]Point
}

func sigmoid(x float64) float64 {
	x = min(max(x, -100), 100)
	return 1 / (1 + math.Exp(-x))
}

// blazeOutputs splits the model's four outputs into scores [896] and
// regressions [896*16], fine grid first. The outputs are told apart by
// shape because their names carry no meaning.
func blazeOutputs(out map[string][]float32) (scores, regs []float32, err error) {
	var s512, s384, r512, r384 []float32
	for _, v := range out {
		switch len(v) {
		case 512:
			s512 = v
		case 384:
			s384 = v
		case 512 * blazeRegs:
			r512 = v
		case 384 * blazeRegs:
			r384 = v
		}
	}
	if s512 == nil || s384 == nil || r512 == nil || r384 == nil {
		return nil, nil, fmt.Errorf("blazeface: unexpected outputs (%d tensors)", len(out))
	}
	return slices.Concat(s512, s384), slices.Concat(r512, r384), nil
}

// decodeBlaze turns raw scores and regressions into detections scoring at
// least minScore, in blazeface input pixels.
func decodeBlaze(anchors []anchor, scores, regs []float32, minScore float64) []detection {
	var out []detection
	for i, a := range anchors {
		s := sigmoid(float64(scores[i]))
		if s < minScore {
			continue
		}
		r := regs[i*blazeRegs : (i+1)*blazeRegs]
		cx, cy := float64(r[0])+a.x, float64(r[1])+a.y
		w, h := float64(r[2]), float64(r[3])
		d := detection{box: Rect{cx - w/2, cy - h/2, cx + w/2, cy + h/2}, score: s}
		for k := range 6 {
			d.kp[k] = Point{float64(r[4+2*k]) + a.x, float64(r[5+2*k]) + a.y}
		}
		out = append(out, d)
	}
	return out
}

func iou(a, b Rect) float64 {
	ix := math.Min(a.X1, b.X1) - math.Max(a.X0, b.X0)
	iy := math.Min(a.Y1, b.Y1) - math.Max(a.Y0, b.Y0)
	if ix <= 0 || iy <= 0 {
		return 0
	}
	inter := ix * iy
	return inter / (a.area() + b.area() - inter)
}

func (r Rect) area() float64 { return math.Max(0, r.X1-r.X0) * math.Max(0, r.Y1-r.Y0) }

// weightedNMS merges overlapping detections: the best one of each cluster
// (IoU above thr) keeps its score, and its box and keypoints become the
// score-weighted mean of the cluster, which is steadier than picking one
// anchor.
func weightedNMS(dets []detection, thr float64) []detection {
	dets = slices.Clone(dets)
	slices.SortStableFunc(dets, func(a, b detection) int { return cmp.Compare(b.score, a.score) })
	var out []detection
	used := make([]bool, len(dets))
	for i, top := range dets {
		if used[i] {
			continue
		}
		var sum float64
		var m detection
		for j := i; j < len(dets); j++ {
			if used[j] || (j != i && iou(top.box, dets[j].box) <= thr) {
				continue
			}
			used[j] = true
			d, w := dets[j], dets[j].score
			sum += w
			m.box.X0 += w * d.box.X0
			m.box.Y0 += w * d.box.Y0
			m.box.X1 += w * d.box.X1
			m.box.Y1 += w * d.box.Y1
			for k := range m.kp {
				m.kp[k].X += w * d.kp[k].X
				m.kp[k].Y += w * d.kp[k].Y
			}
		}
		m.box = Rect{m.box.X0 / sum, m.box.Y0 / sum, m.box.X1 / sum, m.box.Y1 / sum}
		for k := range m.kp {
			m.kp[k] = Point{m.kp[k].X / sum, m.kp[k].Y / sum}
		}
		m.score = top.score
		out = append(out, m)
	}
	return out
}
