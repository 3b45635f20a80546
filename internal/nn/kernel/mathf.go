package kernel

import "math"

// Float32 sigmoid and tanh for the epilogue. The float64 math package
// functions cost 15–30 ns a value, which made the activation, not the GEMM,
// most of the time of rvm's recurrent (ConvGRU) convolutions; these stay
// within a few float32 ulps of them at a fraction of the cost.

const (
	log2e = 1.44269504088896341
	// ln 2 split in two: ln2Hi has few significant bits, so k*ln2Hi is
	// exact for the k that expf meets, and ln2Lo carries the rest.
	ln2Hi = 0.693359375
	ln2Lo = -2.12194440054690583e-4
)

// expf is e**x for x in [-87, 88] (the callers clamp): x = k·ln2 + r with
// |r| ≤ ln2/2, e**r by its Taylor series to r⁶ (error below 2e-7 relative),
// and 2**k put straight into the exponent bits.
func expf(x float32) float32 {
	t := x * log2e
	k := int32(t + 0.5)
	if t < 0 {
		k = int32(t - 0.5)
	}
	kf := float32(k)
	r := x - kf*ln2Hi - kf*ln2Lo
	p := 1 + r*(1+r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720))))))
	return p * math.Float32frombits(uint32(k+127)<<23)
}

// sigmoidf is 1/(1+e**-x).
func sigmoidf(x float32) float32 {
	return 1 / (1 + expf(min(max(-x, -87), 88)))
}

// tanhf is tanh(x): its odd Taylor series near zero, where 1-2/(e**2x+1)
// would cancel, and that form elsewhere.
func tanhf(x float32) float32 {
	a := x
	if a < 0 {
		a = -a
	}
	var t float32
	switch {
	case a < 0.2:
		s := a * a
		t = a + a*s*(-1.0/3+s*(2.0/15+s*(-17.0/315+s*(62.0/2835))))
	case a < 9:
		t = 1 - 2/(expf(2*a)+1)
	default:
		t = 1
	}
	if x < 0 {
		return -t
	}
	return t
}
