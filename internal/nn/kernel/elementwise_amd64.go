//go:build amd64 && !kernel_pure_go

package kernel

import "golang.org/x/sys/cpu"

//go:noescape
func addAVX2(dst, a, b *float32, n int)

//go:noescape
func subAVX2(dst, a, b *float32, n int)

//go:noescape
func mulAVX2(dst, a, b *float32, n int)

//go:noescape
func clampAVX2(dst, src *float32, n int, lo, hi float32)

// binVec runs the vector loop f over the whole 8-lane blocks of dst and
// returns how many elements it did.
func binVec(f func(dst, a, b *float32, n int), dst, a, b []float32) int {
	n := len(dst) &^ 7
	if n == 0 || !cpu.X86.HasAVX2 {
		return 0
	}
	_, _ = a[n-1], b[n-1]
	f(&dst[0], &a[0], &b[0], n)
	return n
}

func addVec(dst, a, b []float32) int { return binVec(addAVX2, dst, a, b) }
func subVec(dst, a, b []float32) int { return binVec(subAVX2, dst, a, b) }
func mulVec(dst, a, b []float32) int { return binVec(mulAVX2, dst, a, b) }

func clampVec(dst, src []float32, lo, hi float32) int {
	n := len(dst) &^ 7
	if n == 0 || !cpu.X86.HasAVX2 {
		return 0
	}
	_ = src[n-1]
	clampAVX2(&dst[0], &src[0], n, lo, hi)
	return n
}

//go:noescape
func lerpAVX2(dst, a, b *float32, n int, f float32)

func lerpVec(dst, a, b []float32, f float32) int {
	n := len(dst) &^ 7
	if n == 0 || !cpu.X86.HasAVX2 {
		return 0
	}
	_, _ = a[n-1], b[n-1]
	lerpAVX2(&dst[0], &a[0], &b[0], n, f)
	return n
}
