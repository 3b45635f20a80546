// Package imageio decodes the photos users send (sniffing the real format,
// applying EXIF orientation, flattening alpha, converting grey and CMYK, and
// refusing decompression bombs from the header) and encodes the results
// (JPEG with a JFIF density and a KB range, PNG with pHYs). It knows nothing
// about ID photos; package idphoto uses it.
package imageio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"github.com/gen2brain/heic"
	"golang.org/x/image/bmp"
	"golang.org/x/image/webp"
)

// Format is a sniffed container format.
type Format string

// The formats Decode reads.
const (
	JPEG Format = "jpeg"
	PNG  Format = "png"
	GIF  Format = "gif"
	BMP  Format = "bmp"
	WebP Format = "webp"
	HEIF Format = "heif"
)

// DefaultMaxPixels is the decode limit when Options leaves it zero: 50
// megapixels accepts every current phone camera.
const DefaultMaxPixels = 50_000_000

// ErrUnknownFormat means the bytes are not an image Decode can read.
var ErrUnknownFormat = errors.New("imageio: not a supported image format")

// TooLargeError reports an image refused from its header.
type TooLargeError struct {
	Width, Height int
	MaxPixels     int
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("imageio: image %dx%d has %d pixels, limit %d", e.Width, e.Height, e.Width*e.Height, e.MaxPixels)
}

// Options tune Decode; nil means defaults.
type Options struct {
	MaxPixels int // 0 = DefaultMaxPixels
}

// Info describes what Decode found.
type Info struct {
	Format      Format
	Width       int // as stored, before orientation
	Height      int
	Orientation int  // EXIF orientation applied (1 = none)
	HadAlpha    bool // transparent pixels were flattened onto white
}

// Sniff returns the format of data from its magic bytes, whatever a file
// name claims.
func Sniff(data []byte) (Format, bool) {
	switch {
	case len(data) >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF:
		return JPEG, true
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return PNG, true
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		return GIF, true
	case bytes.HasPrefix(data, []byte("BM")) && len(data) > 26:
		return BMP, true
	case len(data) >= 12 && string(data[0:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return WebP, true
	case len(data) >= 12 && string(data[4:8]) == "ftyp":
		switch string(data[8:12]) {
		case "heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1":
			return HEIF, true
		}
	}
	return "", false
}

// Peek reads a photo's format and size from its header, and whether a
// JPEG is progressive (its decoder then holds every coefficient in memory,
// about 6 bytes per pixel more), without decoding it.
func Peek(data []byte) (info Info, progressive bool, err error) {
	f, ok := Sniff(data)
	if !ok {
		return Info{}, false, ErrUnknownFormat
	}
	cfg, err := decodeConfig(f, data)
	if err != nil {
		return Info{Format: f}, false, fmt.Errorf("imageio: %s header: %w", f, err)
	}
	info = Info{Format: f, Width: cfg.Width, Height: cfg.Height, Orientation: 1}
	return info, f == JPEG && jpegProgressive(data), nil
}

// jpegProgressive reports whether the frame header is SOF2 (progressive).
func jpegProgressive(data []byte) bool {
	i := 2
	for i+4 <= len(data) && data[i] == 0xFF {
		m := data[i+1]
		switch {
		case m == 0xC2 || m == 0xC6 || m == 0xCA || m == 0xCE:
			return true
		case m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC, m == 0xDA:
			return false
		}
		i += 2 + int(binary.BigEndian.Uint16(data[i+2:]))
	}
	return false
}

// Decode reads a photo. The result is upright (EXIF orientation applied),
// opaque and in RGB: a JPEG in YCbCr stays *image.YCbCr when no rotation
// is needed; everything else becomes *image.RGBA.
func Decode(data []byte, opt *Options) (image.Image, Info, error) {
	maxPx := DefaultMaxPixels
	if opt != nil && opt.MaxPixels > 0 {
		maxPx = opt.MaxPixels
	}
	f, ok := Sniff(data)
	if !ok {
		return nil, Info{}, ErrUnknownFormat
	}
	info := Info{Format: f, Orientation: 1}
	cfg, err := decodeConfig(f, data)
	if err != nil {
		return nil, info, fmt.Errorf("imageio: %s header: %w", f, err)
	}
	info.Width, info.Height = cfg.Width, cfg.Height
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, info, fmt.Errorf("imageio: %s: empty image %dx%d", f, cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > int64(maxPx) {
		return nil, info, &TooLargeError{Width: cfg.Width, Height: cfg.Height, MaxPixels: maxPx}
	}
	img, err := decodeImage(f, data)
	if err != nil {
		return nil, info, fmt.Errorf("imageio: %s: %w", f, err)
	}
	if f == JPEG {
		info.Orientation = jpegOrientation(data)
	}
	out, hadAlpha := normalize(img, info.Orientation)
	info.HadAlpha = hadAlpha
	return out, info, nil
}

func decodeConfig(f Format, data []byte) (image.Config, error) {
	r := bytes.NewReader(data)
	switch f {
	case JPEG:
		return jpeg.DecodeConfig(r)
	case PNG:
		return png.DecodeConfig(r)
	case GIF:
		return gif.DecodeConfig(r)
	case BMP:
		return bmp.DecodeConfig(r)
	case WebP:
		return webp.DecodeConfig(r)
	case HEIF:
		return heic.DecodeConfig(r)
	}
	return image.Config{}, ErrUnknownFormat
}

func decodeImage(f Format, data []byte) (img image.Image, err error) {
	// Third-party decoders are fed hostile bytes; a panic there must not
	// take the process down.
	defer func() {
		if p := recover(); p != nil {
			img, err = nil, fmt.Errorf("decoder panic: %v", p)
		}
	}()
	r := bytes.NewReader(data)
	switch f {
	case JPEG:
		return jpeg.Decode(r)
	case PNG:
		return png.Decode(r)
	case GIF:
		return gif.Decode(r) // first frame
	case BMP:
		return bmp.Decode(r)
	case WebP:
		return webp.Decode(r)
	case HEIF:
		return heic.Decode(r)
	}
	return nil, ErrUnknownFormat
}

// normalize returns an opaque upright RGB image.
func normalize(img image.Image, orientation int) (image.Image, bool) {
	if yc, ok := img.(*image.YCbCr); ok && orientation == 1 {
		return yc, false
	}
	b := img.Bounds()
	hadAlpha := !isOpaque(img)
	rgba := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	// Flatten onto white: a transparent "cut-out" upload is a person on nothing.
	draw.Draw(rgba, rgba.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(rgba, rgba.Bounds(), img, b.Min, draw.Over)
	if orientation <= 1 || orientation > 8 {
		return rgba, hadAlpha
	}
	return orient(rgba, orientation), hadAlpha
}

func isOpaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	return false
}

// orient applies an EXIF orientation (2–8) to src.
func orient(src *image.RGBA, o int) *image.RGBA {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < h; y++ {
		row := src.Pix[y*src.Stride : y*src.Stride+w*4]
		for x := 0; x < w; x++ {
			var dx, dy int
			switch o {
			case 2:
				dx, dy = w-1-x, y
			case 3:
				dx, dy = w-1-x, h-1-y
			case 4:
				dx, dy = x, h-1-y
			case 5:
				dx, dy = y, x
			case 6:
				dx, dy = h-1-y, x
			case 7:
				dx, dy = h-1-y, w-1-x
			case 8:
				dx, dy = y, w-1-x
			}
			copy(dst.Pix[dy*dst.Stride+dx*4:dy*dst.Stride+dx*4+4], row[x*4:x*4+4])
		}
	}
	return dst
}

// jpegOrientation reads the EXIF orientation tag from a JPEG's APP1
// segment; 1 when absent or unreadable.
func jpegOrientation(data []byte) int {
	i := 2
	for i+4 <= len(data) {
		if data[i] != 0xFF {
			return 1
		}
		marker := data[i+1]
		if marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01 {
			i += 2
			continue
		}
		if marker == 0xDA || marker == 0xD9 {
			return 1 // start of scan: no EXIF before the pixels
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return 1
		}
		seg := data[i+4 : i+2+n]
		if marker == 0xE1 && len(seg) > 6 && string(seg[:6]) == "Exif\x00\x00" {
			if o := tiffOrientation(seg[6:]); o != 0 {
				return o
			}
		}
		i += 2 + n
	}
	return 1
}

func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	off := int(bo.Uint32(t[4:]))
	if off < 8 || off+2 > len(t) {
		return 0
	}
	n := int(bo.Uint16(t[off:]))
	for k := 0; k < n; k++ {
		e := off + 2 + 12*k
		if e+12 > len(t) {
			return 0
		}
		if bo.Uint16(t[e:]) == 0x0112 {
			v := int(bo.Uint16(t[e+8:]))
			if v >= 1 && v <= 8 {
				return v
			}
			return 0
		}
	}
	return 0
}

// ReadAllLimit reads r up to limit bytes; more is an error.
func ReadAllLimit(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("imageio: more than %d bytes", limit)
	}
	return data, nil
}
