//go:build amd64 && !kernel_pure_go

package kernel

import "golang.org/x/sys/cpu"

// Implemented in gemm_amd64.s (GEMM) and kernel_amd64.s (the rest).

//go:noescape
func sgemm6x16avx2(ks int, a *float32, lda, astep uintptr, b *float32, ldb uintptr,
	c *float32, ldc uintptr, bias *float32, clamp *[2]float32, nseg int, segStride uintptr)

//go:noescape
func sgemm12x32avx512(ks int, a *float32, lda, astep uintptr, b *float32, ldb uintptr,
	c *float32, ldc uintptr, bias *float32, clamp *[2]float32, nseg int, segStride uintptr)

//go:noescape
func sgemm12x16avx512(ks int, a *float32, lda, astep uintptr, b *float32, ldb uintptr,
	c *float32, ldc uintptr, bias *float32, clamp *[2]float32, nseg int, segStride uintptr)

//go:noescape
func sgemm6x8avx2(ks int, a *float32, lda, astep uintptr, b *float32, ldb uintptr,
	c *float32, ldc uintptr, bias *float32, clamp *[2]float32, nseg int, segStride uintptr)

//go:noescape
func sgemm12x8avx2(ks int, a *float32, lda, astep uintptr, b *float32, ldb uintptr,
	c *float32, ldc uintptr, bias *float32, clamp *[2]float32, nseg int, segStride uintptr)

//go:noescape
func dwavx512(dst, src, filter, bias *float32, clamp *[2]float32, cn int, cstride uintptr,
	npix, kh, kw int, srcStep, rowStride, tapStride, fRowStride uintptr)

//go:noescape
func dw3s1avx2(dst, src, filter, bias *float32, clamp *[2]float32, cn int, cstride uintptr,
	npix, kh, kw int, srcStep, rowStride, tapStride, fRowStride uintptr)

//go:noescape
func dw3s1avx512(dst, src, filter, bias *float32, clamp *[2]float32, cn int, cstride uintptr,
	npix, kh, kw int, srcStep, rowStride, tapStride, fRowStride uintptr)

//go:noescape
func dw5s1avx2(dst, src, filter, bias *float32, clamp *[2]float32, cn int, cstride uintptr,
	npix, kh, kw int, srcStep, rowStride, tapStride, fRowStride uintptr)

//go:noescape
func dw5s1avx512(dst, src, filter, bias *float32, clamp *[2]float32, cn int, cstride uintptr,
	npix, kh, kw int, srcStep, rowStride, tapStride, fRowStride uintptr)

//go:noescape
func dwtailavx512(dst, src, filter, bias *float32, clamp *[2]float32, cn int, cstride uintptr,
	npix, kh, kw int, srcStep, rowStride, tapStride, fRowStride uintptr)

//go:noescape
func dwavx2(dst, src, filter, bias *float32, clamp *[2]float32, cn int, cstride uintptr,
	npix, kh, kw int, srcStep, rowStride, tapStride, fRowStride uintptr)

// fmaPeakAVX2 and fmaPeakAVX512 run n iterations of 12 independent FMAs
// (192 and 384 flops); benchmarks use them to measure the peak.
func fmaPeakAVX2(n int)
func fmaPeakAVX512(n int)

var (
	avx2Impl = &impl{
		name: "avx2", mr: 6,
		gemm: sgemm6x16avx2, gemm8: sgemm6x8avx2,
		dws:  []dwKernels{{8, dwavx2, dw3s1avx2, dw5s1avx2}},
		peak: fmaPeakAVX2, peakFlops: 12 * 8 * 2,
	}
	avx512Impl = &impl{
		name: "avx512", mr: 12,
		gemm: sgemm12x16avx512, gemm8: sgemm12x8avx2, gemm32: sgemm12x32avx512,
		dws:    []dwKernels{{16, dwavx512, dw3s1avx512, dw5s1avx512}, {8, dwavx2, dw3s1avx2, dw5s1avx2}},
		dwTail: dwtailavx512,
		peak:   fmaPeakAVX512, peakFlops: 12 * 16 * 2,
	}
)

// impls lists the implementations this CPU can run, slowest first.
func impls() []*impl {
	list := []*impl{goImpl}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		list = append(list, avx2Impl)
		if cpu.X86.HasAVX512F {
			list = append(list, avx512Impl)
		}
	}
	return list
}

// bestImpl picks the fastest implementation the CPU supports.
func bestImpl() *impl {
	l := impls()
	return l[len(l)-1]
}
