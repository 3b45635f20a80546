//go:build amd64 && !kernel_pure_go

#include "textflag.h"

// Element-wise loops for the runtime's Add/Sub/Mul and ReLU ops, 8 lanes at
// a time; n is a multiple of 8 and the Go callers do the tail. Like the GEMM
// kernels, each treats denormals as zero while it runs (recurrent state
// decays into them, and each one costs a microcode assist).

// func addAVX2(dst, a, b *float32, n int)
TEXT ·addAVX2(SB), NOSPLIT, $8-32
	STMXCSR mxcsr-8(SP)
	MOVL    mxcsr-8(SP), AX
	ORL     $0x8040, AX
	MOVL    AX, daz-4(SP)
	LDMXCSR daz-4(SP)
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	JZ   adddone

addloop:
	VMOVUPS (SI), Y0
	VADDPS  (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     addloop

adddone:
	LDMXCSR mxcsr-8(SP)
	VZEROUPPER
	RET

// func subAVX2(dst, a, b *float32, n int)
TEXT ·subAVX2(SB), NOSPLIT, $8-32
	STMXCSR mxcsr-8(SP)
	MOVL    mxcsr-8(SP), AX
	ORL     $0x8040, AX
	MOVL    AX, daz-4(SP)
	LDMXCSR daz-4(SP)
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	JZ   subdone

subloop:
	VMOVUPS (SI), Y0
	VSUBPS  (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     subloop

subdone:
	LDMXCSR mxcsr-8(SP)
	VZEROUPPER
	RET

// func mulAVX2(dst, a, b *float32, n int)
TEXT ·mulAVX2(SB), NOSPLIT, $8-32
	STMXCSR mxcsr-8(SP)
	MOVL    mxcsr-8(SP), AX
	ORL     $0x8040, AX
	MOVL    AX, daz-4(SP)
	LDMXCSR daz-4(SP)
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	JZ   muldone

mulloop:
	VMOVUPS (SI), Y0
	VMULPS  (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     mulloop

muldone:
	LDMXCSR mxcsr-8(SP)
	VZEROUPPER
	RET

// func clampAVX2(dst, src *float32, n int, lo, hi float32)
TEXT ·clampAVX2(SB), NOSPLIT, $8-32
	STMXCSR mxcsr-8(SP)
	MOVL    mxcsr-8(SP), AX
	ORL     $0x8040, AX
	MOVL    AX, daz-4(SP)
	LDMXCSR daz-4(SP)
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS lo+24(FP), Y1
	VBROADCASTSS hi+28(FP), Y2
	SHRQ         $3, CX
	JZ           clampdone

clamploop:
	VMOVUPS (SI), Y0
	VMAXPS  Y1, Y0, Y0
	VMINPS  Y2, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     clamploop

clampdone:
	LDMXCSR mxcsr-8(SP)
	VZEROUPPER
	RET

// func lerpAVX2(dst, a, b *float32, n int, f float32)
TEXT ·lerpAVX2(SB), NOSPLIT, $8-36
	STMXCSR      mxcsr-8(SP)
	MOVL         mxcsr-8(SP), AX
	ORL          $0x8040, AX
	MOVL         AX, daz-4(SP)
	LDMXCSR      daz-4(SP)
	MOVQ         dst+0(FP), DI
	MOVQ         a+8(FP), SI
	MOVQ         b+16(FP), DX
	MOVQ         n+24(FP), CX
	VBROADCASTSS f+32(FP), Y3
	SHRQ         $3, CX
	JZ           lerpdone

lerploop:
	VMOVUPS (SI), Y0
	VMOVUPS (DX), Y1
	VSUBPS  Y0, Y1, Y1
	VMULPS  Y3, Y1, Y1
	VADDPS  Y1, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     lerploop

lerpdone:
	LDMXCSR mxcsr-8(SP)
	VZEROUPPER
	RET
