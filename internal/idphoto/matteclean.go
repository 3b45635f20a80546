package idphoto

import (
	"image"
	"math"
)

// keepPerson clears the parts of the matte not connected to the person at
// seed (a source point inside the face): blobs of background the matting
// model took for foreground, and other people standing apart. It works on
// a grid of at most about a million cells, so its cost and memory stay
// small on large photos; the kept region is grown by margin source pixels
// so that the soft fringe of hair around the person survives. It returns
// the fraction of matte weight removed.
func keepPerson(alpha *image.Gray, seed image.Point, margin float64) float64 {
	r := alpha.Rect
	w, h := r.Dx(), r.Dy()
	if w == 0 || h == 0 || !seed.In(r) {
		return 0
	}
	k := max(1, int(math.Ceil(math.Sqrt(float64(w*h)/1e6))))
	gw, gh := (w+k-1)/k, (h+k-1)/k
	solid := make([]bool, gw*gh) // cell mostly person
	any := make([]bool, gw*gh)   // cell has some person
	for gy := 0; gy < gh; gy++ {
		for gx := 0; gx < gw; gx++ {
			sum, n, nz := 0, 0, false
			for y := gy * k; y < min((gy+1)*k, h); y++ {
				row := alpha.Pix[y*alpha.Stride:]
				for x := gx * k; x < min((gx+1)*k, w); x++ {
					v := int(row[x])
					sum += v
					n++
					nz = nz || v > 0
				}
			}
			solid[gy*gw+gx] = sum >= 128*n
			any[gy*gw+gx] = nz
		}
	}
	start := ((seed.Y-r.Min.Y)/k)*gw + (seed.X-r.Min.X)/k
	if !solid[start] {
		return 0 // nothing solid under the face: leave the matte alone
	}
	// Flood the solid cells from the face, then grow by the margin
	// through cells that have any person in them.
	keep := make([]int32, gw*gh) // 0 = not reached, else 1 + distance in cells
	queue := []int32{int32(start)}
	keep[start] = 1
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		x, y := int(c)%gw, int(c)/gw
		for _, d := range [4][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
			nx, ny := x+d[0], y+d[1]
			if nx < 0 || ny < 0 || nx >= gw || ny >= gh {
				continue
			}
			i := ny*gw + nx
			if keep[i] == 0 && solid[i] {
				keep[i] = 1
				queue = append(queue, int32(i))
			}
		}
	}
	grow := int32(math.Ceil(margin/float64(k))) + 1
	for i, v := range keep {
		if v == 1 {
			queue = append(queue, int32(i))
		}
	}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if keep[c] > grow {
			continue
		}
		x, y := int(c)%gw, int(c)/gw
		for _, d := range [4][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
			nx, ny := x+d[0], y+d[1]
			if nx < 0 || ny < 0 || nx >= gw || ny >= gh {
				continue
			}
			i := ny*gw + nx
			if keep[i] == 0 && any[i] {
				keep[i] = keep[c] + 1
				queue = append(queue, int32(i))
			}
		}
	}
	var total, removed float64
	for y := 0; y < h; y++ {
		row := alpha.Pix[y*alpha.Stride : y*alpha.Stride+w]
		for x, v := range row {
			if v == 0 {
				continue
			}
			total += float64(v)
			if keep[(y/k)*gw+x/k] == 0 {
				removed += float64(v)
				row[x] = 0
			}
		}
	}
	if total == 0 {
		return 0
	}
	return removed / total
}
