package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
)

// Routes of the ID-photo API.
const (
	PathIDPhotoMake  = "/idphoto/make"
	PathIDPhotoSpecs = "/idphoto/specs"
)

// IDPhotoRequest are the parameters of IDPhotoMake (seed fields); zero
// values are not sent and leave the server's defaults.
type IDPhotoRequest struct {
	Base64          string  // the photo, base64 (a data: prefix is allowed); wins over URL
	URL             string  // or a URL the server fetches
	Spec            string  // catalogue spec; "12" with Size for a custom pixel size
	BgColor         string  // blue, red, white, … or "#RRGGBB"
	BeautyDegree    float64 // 1.0–5.0
	Size            string  // "WxH" in pixels, e.g. "480x640"
	FileSize        string  // "min,max" in KB, e.g. "10,100"
	DPI             int     // output resolution
	FaceRatio       float64 // face share of the photo, (0, 1)
	FaceCenterRange float64 // face centre height, (0, 1); server default 0.45
	TopEmpty        string  // "min,max" pixels above the head, e.g. "10,30"
}

func (r IDPhotoRequest) form() url.Values {
	f := url.Values{}
	set := func(k, v string) {
		if v != "" {
			f.Set(k, v)
		}
	}
	num := func(x float64) string {
		if x == 0 {
			return ""
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	set("base64", r.Base64)
	set("url", r.URL)
	set("spec", r.Spec)
	set("bgColor", r.BgColor)
	set("beautyDegree", num(r.BeautyDegree))
	set("size", r.Size)
	set("fileSize", r.FileSize)
	if r.DPI != 0 {
		f.Set("dpi", strconv.Itoa(r.DPI))
	}
	set("faceRatio", num(r.FaceRatio))
	set("faceCenterRange", num(r.FaceCenterRange))
	set("topEmpty", r.TopEmpty)
	return f
}

// IDPhotoResponse is the answer of IDPhotoMake.
type IDPhotoResponse struct {
	Code   int     `json:"code"`
	Msg    string  `json:"msg"`
	TaskNo string  `json:"taskNo"`
	Data   IDPhoto `json:"data"`
}

// IDPhoto is a made photo. Result and Size are the seed's fields; the
// others are additions that clients written for the seed ignore.
type IDPhoto struct {
	Result   string   `json:"result"`             // URL of the JPEG
	Size     []string `json:"size"`               // [width, height] in pixels, as strings
	Spec     string   `json:"spec,omitempty"`     // catalogue spec ID used
	SpecName string   `json:"specName,omitempty"` // its name
	DPI      int      `json:"dpi,omitempty"`
	FileSize float64  `json:"fileSize,omitempty"` // KB
	Layout   string   `json:"layout,omitempty"`   // URL of a print sheet, when asked for
	// Report is the server's measurement of the photo (face geometry,
	// quality, timings), kept as sent.
	Report json.RawMessage `json:"report,omitempty"`
}

// IDPhotoMake makes an ID photo. The call is billable, so it is never
// retried once sent.
func (c *Client) IDPhotoMake(ctx context.Context, req IDPhotoRequest) (*IDPhotoResponse, error) {
	var out IDPhotoResponse
	if err := c.call(ctx, http.MethodPost, PathIDPhotoMake, nil, req.form(), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// IDPhotoSpec is one format of the server's catalogue.
type IDPhotoSpec struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Width       int      `json:"width"`
	Height      int      `json:"height"`
	Unit        string   `json:"unit"` // "mm" or "px"
	DPI         int      `json:"dpi"`
	KBMin       int      `json:"kbMin,omitempty"`
	KBMax       int      `json:"kbMax,omitempty"`
	Colors      []string `json:"colors"`
	PixelWidth  int      `json:"pixelWidth"`
	PixelHeight int      `json:"pixelHeight"`
	FaceRatio   float64  `json:"faceRatio"`
	SeedSize    string   `json:"seedSize,omitempty"`
}

// IDPhotoSpecsResponse is the answer of IDPhotoSpecs.
type IDPhotoSpecsResponse struct {
	Code   int              `json:"code"`
	Msg    string           `json:"msg"`
	TaskNo string           `json:"taskNo"`
	Data   IDPhotoCatalogue `json:"data"`
}

// IDPhotoCatalogue lists what IDPhotoMake accepts.
type IDPhotoCatalogue struct {
	Specs   []IDPhotoSpec        `json:"specs"`
	Colors  map[string][2]string `json:"colors"`  // name → [top, bottom] colour
	Custom  string               `json:"custom"`  // the spec for a custom Size
	Layouts []string             `json:"layouts"` // print sheet names
}

// IDPhotoSpecs returns the catalogue of ID-photo formats.
func (c *Client) IDPhotoSpecs(ctx context.Context) (*IDPhotoSpecsResponse, error) {
	var out IDPhotoSpecsResponse
	if err := c.call(ctx, http.MethodGet, PathIDPhotoSpecs, nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
