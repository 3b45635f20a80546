package cert

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

// TestParseDateOnly compares the fast date reader with time.Parse over
// every day of some years (leap and not), impossible days, and strings of
// the right length but the wrong form.
func TestParseDateOnly(t *testing.T) {
	var inputs []string
	for _, y := range []int{0, 1, 1900, 1999, 2000, 2024, 2025, 2100, 9999} {
		for m := 0; m <= 13; m++ {
			for d := 0; d <= 32; d++ {
				inputs = append(inputs, fmt.Sprintf("%04d-%02d-%02d", y, m, d))
			}
		}
	}
	inputs = append(inputs, "2021-1-12xx", "2021/01/12", "20210112xx", "2021-01-1a", "-021-01-12", "2021-01-+1", "2021-0x-12", "２０２１-01-12")
	for _, s := range inputs {
		got, ok := parseDateOnly(s)
		want, err := time.Parse(time.DateOnly, s)
		if ok && (err != nil || !reflect.DeepEqual(got, want)) {
			t.Errorf("parseDateOnly(%q) = %v, time.Parse gives %v, %v", s, got, want, err)
		}
		if !ok && err == nil && len(s) == 10 {
			t.Errorf("parseDateOnly(%q) refused what time.Parse reads as %v", s, want)
		}
	}
}
