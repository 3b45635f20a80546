// Package matte separates a person from the background with the Robust
// Video Matting model (rvm), producing a soft alpha matte with hair detail
// and an estimate of the foreground colours, so that a new background can
// be composited without the old one tinting hair and edges. The network runs
// in internal/nn.
package matte

import "image"

// Result is the matte of one region of a photo.
type Result struct {
	// Alpha is the matte at full resolution over the region that was
	// matted (its Bounds equal that region); 255 = person.
	Alpha *image.Gray
	// Foreground holds estimated foreground colours over the same bounds,
	// meaningful where Alpha > 0; its alpha channel equals Alpha, so it is
	// a ready cut-out, and fully transparent pixels are zero.
	Foreground *image.NRGBA
}
