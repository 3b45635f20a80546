package idphoto

import (
	"fmt"
	"image/color"
	"sort"
	"strconv"
	"strings"
)

// Background is what replaces the photo's background: a solid colour, or a
// vertical gradient from Top (first row) to Bottom (last row).
type Background struct {
	Name   string     `json:"name"`
	Top    color.RGBA `json:"-"`
	Bottom color.RGBA `json:"-"`
}

// Solid reports whether the background is one colour.
func (b Background) Solid() bool { return b.Top == b.Bottom }

// At returns the background colour of row y in an image h rows high.
func (b Background) At(y, h int) color.RGBA {
	if b.Solid() || h <= 1 {
		return b.Top
	}
	t := float64(y) / float64(h-1)
	lerp := func(a, b uint8) uint8 { return uint8(float64(a) + (float64(b)-float64(a))*t + 0.5) }
	return color.RGBA{lerp(b.Top.R, b.Bottom.R), lerp(b.Top.G, b.Bottom.G), lerp(b.Top.B, b.Bottom.B), 255}
}

func rgb(hex uint32) color.RGBA {
	return color.RGBA{uint8(hex >> 16), uint8(hex >> 8), uint8(hex), 255}
}

// namedBackgrounds are the seed's colour names. The RGB values are the
// usual Chinese ID-photo tones (documented in docs/idphoto.md); gradients
// run from the darker tone at the top to a lighter one at the bottom, as
// studio backdrops do.
var namedBackgrounds = map[string][2]uint32{
	"white":        {0xFFFFFF, 0xFFFFFF},
	"blue":         {0x438EDB, 0x438EDB},
	"red":          {0xFF0000, 0xFF0000},
	"blue_grey":    {0x6B8BA4, 0x6B8BA4},
	"gray":         {0xBFBFBF, 0xBFBFBF},
	"black":        {0x000000, 0x000000},
	"blue_gradual": {0x2E6FC0, 0xB4D2F0},
	"gray_gradual": {0x7A7A7A, 0xE8E8E8},
	"red_gradual":  {0xC01818, 0xF4A8A8},
}

// ColorNames lists the named backgrounds, sorted.
func ColorNames() []string {
	names := make([]string, 0, len(namedBackgrounds))
	for n := range namedBackgrounds {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// NamedColors returns every named background with its RGB hex values
// (top and bottom), for the catalogue endpoint.
func NamedColors() map[string][2]string {
	out := make(map[string][2]string, len(namedBackgrounds))
	for n, v := range namedBackgrounds {
		out[n] = [2]string{fmt.Sprintf("#%06X", v[0]), fmt.Sprintf("#%06X", v[1])}
	}
	return out
}

// ParseBackground parses a colour name ("blue", "blue_gradual", "grey" is
// accepted for "gray") or "#RRGGBB" / "#RGB".
func ParseBackground(s string) (Background, error) {
	key := strings.ToLower(strings.TrimSpace(s))
	key = strings.ReplaceAll(key, "grey", "gray")
	if key == "blue_gray" {
		key = "blue_grey"
	}
	if v, ok := namedBackgrounds[key]; ok {
		return Background{Name: key, Top: rgb(v[0]), Bottom: rgb(v[1])}, nil
	}
	if strings.HasPrefix(key, "#") {
		h := key[1:]
		if len(h) == 3 {
			h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
		}
		if len(h) == 6 {
			if v, err := strconv.ParseUint(h, 16, 32); err == nil {
				c := rgb(uint32(v))
				return Background{Name: "#" + strings.ToUpper(h), Top: c, Bottom: c}, nil
			}
		}
	}
	return Background{}, fmt.Errorf("colour %q: want a name (%s) or #RRGGBB", s, strings.Join(ColorNames(), ", "))
}
