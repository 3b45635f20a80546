//go:build amd64 && !kernel_pure_go

#include "textflag.h"

// Row r of A is at SI + r*lda for r < 3 and R10 + (r-3)*lda for r < 6
// (R8 = lda); every row pointer advances by astep per step of k.
#define AVX2ROW(addr, acc0, acc1) \
	VBROADCASTSS addr, Y2; \
	VFMADD231PS Y0, Y2, acc0; \
	VFMADD231PS Y1, Y2, acc1

#define AVX2FIN(acc0, acc1, dst, dst32) \
	VADDPS Y12, acc0, acc0; \
	VADDPS Y13, acc1, acc1; \
	VMAXPS Y14, acc0, acc0; \
	VMAXPS Y14, acc1, acc1; \
	VMINPS Y15, acc0, acc0; \
	VMINPS Y15, acc1, acc1; \
	VMOVUPS acc0, dst; \
	VMOVUPS acc1, dst32

// func sgemm6x16avx2(k int, a *float32, lda, astep uintptr, b *float32, ldb uintptr,
//	c *float32, ldc uintptr, bias *float32, clamp *[2]float32)
TEXT ·sgemm6x16avx2(SB), NOSPLIT, $0-80
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R8
	MOVQ astep+24(FP), R9
	MOVQ b+32(FP), DX
	MOVQ ldb+40(FP), R11
	LEAQ (SI)(R8*2), R10
	ADDQ R8, R10

	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13
	VXORPS Y14, Y14, Y14
	VXORPS Y15, Y15, Y15

	TESTQ CX, CX
	JZ    avx2done

avx2loop:
	VMOVUPS (DX), Y0
	VMOVUPS 32(DX), Y1
	AVX2ROW((SI), Y4, Y5)
	AVX2ROW((SI)(R8*1), Y6, Y7)
	AVX2ROW((SI)(R8*2), Y8, Y9)
	AVX2ROW((R10), Y10, Y11)
	AVX2ROW((R10)(R8*1), Y12, Y13)
	AVX2ROW((R10)(R8*2), Y14, Y15)
	ADDQ R9, SI
	ADDQ R9, R10
	ADDQ R11, DX
	DECQ CX
	JNZ  avx2loop

avx2done:
	// Y0..Y3 are free now; rows 4 and 5 move there so that Y12..Y15 can
	// hold bias and clamp bounds.
	VMOVAPS Y12, Y0
	VMOVAPS Y13, Y1
	VMOVAPS Y14, Y2
	VMOVAPS Y15, Y3
	MOVQ bias+64(FP), AX
	MOVQ clamp+72(FP), BX
	VMOVUPS (AX), Y12
	VMOVUPS 32(AX), Y13
	VBROADCASTSS (BX), Y14
	VBROADCASTSS 4(BX), Y15
	MOVQ c+48(FP), DI
	MOVQ ldc+56(FP), R12
	LEAQ (DI)(R12*2), R13
	ADDQ R12, R13
	AVX2FIN(Y4, Y5, (DI), 32(DI))
	AVX2FIN(Y6, Y7, (DI)(R12*1), 32(DI)(R12*1))
	AVX2FIN(Y8, Y9, (DI)(R12*2), 32(DI)(R12*2))
	AVX2FIN(Y10, Y11, (R13), 32(R13))
	AVX2FIN(Y0, Y1, (R13)(R12*1), 32(R13)(R12*1))
	AVX2FIN(Y2, Y3, (R13)(R12*2), 32(R13)(R12*2))
	VZEROUPPER
	RET

// The AVX-512 tile is 12 rows × one 16-float register; rows come in three
// groups of four: base registers SI, R10, R12 with offsets 0, lda, 2*lda
// and R13 = 3*lda.
#define Z16ROW(addr, acc) \
	VFMADD231PS.BCST addr, Z0, acc

#define Z16FIN(acc, dst) \
	VADDPS Z1, acc, acc; \
	VMAXPS Z2, acc, acc; \
	VMINPS Z3, acc, acc; \
	VMOVUPS acc, dst

// func sgemm12x16avx512(k int, a *float32, lda, astep uintptr, b *float32, ldb uintptr,
//	c *float32, ldc uintptr, bias *float32, clamp *[2]float32)
TEXT ·sgemm12x16avx512(SB), NOSPLIT, $0-80
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R8
	MOVQ astep+24(FP), R9
	MOVQ b+32(FP), DX
	MOVQ ldb+40(FP), R11
	LEAQ (R8)(R8*2), R13
	LEAQ (SI)(R8*4), R10
	LEAQ (R10)(R8*4), R12

	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15

	TESTQ CX, CX
	JZ    z16done

z16loop:
	VMOVUPS (DX), Z0
	Z16ROW((SI), Z4)
	Z16ROW((SI)(R8*1), Z5)
	Z16ROW((SI)(R8*2), Z6)
	Z16ROW((SI)(R13*1), Z7)
	Z16ROW((R10), Z8)
	Z16ROW((R10)(R8*1), Z9)
	Z16ROW((R10)(R8*2), Z10)
	Z16ROW((R10)(R13*1), Z11)
	Z16ROW((R12), Z12)
	Z16ROW((R12)(R8*1), Z13)
	Z16ROW((R12)(R8*2), Z14)
	Z16ROW((R12)(R13*1), Z15)
	ADDQ R9, SI
	ADDQ R9, R10
	ADDQ R9, R12
	ADDQ R11, DX
	DECQ CX
	JNZ  z16loop

z16done:
	MOVQ bias+64(FP), AX
	MOVQ clamp+72(FP), BX
	VMOVUPS (AX), Z1
	VBROADCASTSS (BX), Z2
	VBROADCASTSS 4(BX), Z3
	MOVQ c+48(FP), DI
	MOVQ ldc+56(FP), R8
	LEAQ (R8)(R8*2), R13
	LEAQ (DI)(R8*4), R10
	LEAQ (R10)(R8*4), R12
	Z16FIN(Z4, (DI))
	Z16FIN(Z5, (DI)(R8*1))
	Z16FIN(Z6, (DI)(R8*2))
	Z16FIN(Z7, (DI)(R13*1))
	Z16FIN(Z8, (R10))
	Z16FIN(Z9, (R10)(R8*1))
	Z16FIN(Z10, (R10)(R8*2))
	Z16FIN(Z11, (R10)(R13*1))
	Z16FIN(Z12, (R12))
	Z16FIN(Z13, (R12)(R8*1))
	Z16FIN(Z14, (R12)(R8*2))
	Z16FIN(Z15, (R12)(R13*1))
	VZEROUPPER
	RET

// func dwavx2(dst, src, filter, bias *float32, clamp *[2]float32, cn int, cstride uintptr,
//	npix, kh, kw int, srcStep, rowStride, tapStride, fRowStride uintptr)
//
// Per pixel, channels go in blocks of 32 (four independent accumulators to
// hide FMA latency), then blocks of 8.
TEXT ·dwavx2(SB), NOSPLIT, $0-112
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ npix+56(FP), DX
	MOVQ clamp+32(FP), AX
	VBROADCASTSS (AX), Y14
	VBROADCASTSS 4(AX), Y15
	TESTQ DX, DX
	JZ    dwdone

dwpix:
	XORQ BX, BX                // channel byte offset
	MOVQ cn+40(FP), R8
	SHLQ $2, R8                // channel bytes to do

dw32:
	LEAQ 128(BX), AX
	CMPQ AX, R8
	JGT  dw8
	MOVQ bias+24(FP), AX
	VMOVUPS (AX)(BX*1), Y0
	VMOVUPS 32(AX)(BX*1), Y1
	VMOVUPS 64(AX)(BX*1), Y2
	VMOVUPS 96(AX)(BX*1), Y3
	LEAQ (SI)(BX*1), R12       // src row
	MOVQ filter+16(FP), R13
	ADDQ BX, R13               // filter row
	MOVQ kh+64(FP), CX

dw32row:
	MOVQ R12, R14
	MOVQ R13, AX
	MOVQ kw+72(FP), R9

dw32tap:
	VMOVUPS (R14), Y4
	VMOVUPS 32(R14), Y5
	VMOVUPS 64(R14), Y6
	VMOVUPS 96(R14), Y7
	VFMADD231PS (AX), Y4, Y0
	VFMADD231PS 32(AX), Y5, Y1
	VFMADD231PS 64(AX), Y6, Y2
	VFMADD231PS 96(AX), Y7, Y3
	ADDQ tapStride+96(FP), R14
	ADDQ cstride+48(FP), AX
	DECQ R9
	JNZ  dw32tap
	ADDQ rowStride+88(FP), R12
	ADDQ fRowStride+104(FP), R13
	DECQ CX
	JNZ  dw32row

	VMAXPS Y14, Y0, Y0
	VMAXPS Y14, Y1, Y1
	VMAXPS Y14, Y2, Y2
	VMAXPS Y14, Y3, Y3
	VMINPS Y15, Y0, Y0
	VMINPS Y15, Y1, Y1
	VMINPS Y15, Y2, Y2
	VMINPS Y15, Y3, Y3
	VMOVUPS Y0, (DI)(BX*1)
	VMOVUPS Y1, 32(DI)(BX*1)
	VMOVUPS Y2, 64(DI)(BX*1)
	VMOVUPS Y3, 96(DI)(BX*1)
	ADDQ $128, BX
	JMP  dw32

dw8:
	CMPQ BX, R8
	JGE  dwnext
	MOVQ bias+24(FP), AX
	VMOVUPS (AX)(BX*1), Y0
	LEAQ (SI)(BX*1), R12
	MOVQ filter+16(FP), R13
	ADDQ BX, R13
	MOVQ kh+64(FP), CX

dw8row:
	MOVQ R12, R14
	MOVQ R13, AX
	MOVQ kw+72(FP), R9

dw8tap:
	VMOVUPS (R14), Y4
	VFMADD231PS (AX), Y4, Y0
	ADDQ tapStride+96(FP), R14
	ADDQ cstride+48(FP), AX
	DECQ R9
	JNZ  dw8tap
	ADDQ rowStride+88(FP), R12
	ADDQ fRowStride+104(FP), R13
	DECQ CX
	JNZ  dw8row

	VMAXPS Y14, Y0, Y0
	VMINPS Y15, Y0, Y0
	VMOVUPS Y0, (DI)(BX*1)
	ADDQ $32, BX
	JMP  dw8

dwnext:
	ADDQ srcStep+80(FP), SI
	ADDQ cstride+48(FP), DI
	DECQ DX
	JNZ  dwpix

dwdone:
	VZEROUPPER
	RET
