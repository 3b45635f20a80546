//go:build amd64 && !kernel_pure_go

#include "textflag.h"

// func preluAVX2(row, alpha *float32, n int)
//
// row[i] = alpha[i]*row[i] where row[i] has its sign bit set, for n a
// multiple of 8: the product is always computed and VBLENDVPS picks it by
// the sign bit, so there is no branch to mispredict.
TEXT ·preluAVX2(SB), NOSPLIT, $0-24
	MOVQ row+0(FP), DI
	MOVQ alpha+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   preludone

preluloop:
	VMOVUPS   (DI), Y0
	VMULPS    (SI), Y0, Y1
	VBLENDVPS Y0, Y1, Y0, Y2
	VMOVUPS   Y2, (DI)
	ADDQ      $32, DI
	ADDQ      $32, SI
	DECQ      CX
	JNZ       preluloop

preludone:
	VZEROUPPER
	RET
