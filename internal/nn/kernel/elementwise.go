package kernel

// Element-wise loops the runtime's own ops use on large tensors; Go does not
// vectorise them itself. a, b and src must be at least as long as dst.

// Add sets dst[i] = a[i] + b[i].
func Add(dst, a, b []float32) {
	n := addVec(dst, a, b)
	a, b = a[n:len(dst)], b[n:len(dst)]
	for i := range a {
		dst[n+i] = a[i] + b[i]
	}
}

// Sub sets dst[i] = a[i] - b[i].
func Sub(dst, a, b []float32) {
	n := subVec(dst, a, b)
	a, b = a[n:len(dst)], b[n:len(dst)]
	for i := range a {
		dst[n+i] = a[i] - b[i]
	}
}

// Mul sets dst[i] = a[i] * b[i].
func Mul(dst, a, b []float32) {
	n := mulVec(dst, a, b)
	a, b = a[n:len(dst)], b[n:len(dst)]
	for i := range a {
		dst[n+i] = a[i] * b[i]
	}
}

// Clamp sets dst[i] = min(max(src[i], lo), hi): ReLU with lo 0 and hi +Inf,
// ReLU6 with hi 6.
func Clamp(dst, src []float32, lo, hi float32) {
	n := clampVec(dst, src, lo, hi)
	src = src[n:len(dst)]
	for i, v := range src {
		dst[n+i] = min(max(v, lo), hi)
	}
}

// Sigmoid sets x[i] = 1/(1+e**-x[i]) in place.
func Sigmoid(x []float32) { sigmoidRow(x) }

// Tanh sets x[i] = tanh(x[i]) in place.
func Tanh(x []float32) { tanhRow(x) }

// Lerp sets dst[i] = a[i] + (b[i]-a[i])*f (a multiply and an add, not
// fused): the vertical step of bilinear resizing.
func Lerp(dst, a, b []float32, f float32) {
	n := lerpVec(dst, a, b, f)
	a, b = a[n:len(dst)], b[n:len(dst)]
	for i, t := range a {
		dst[n+i] = t + (b[i]-t)*f
	}
}
