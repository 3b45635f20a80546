//go:build amd64 && !kernel_pure_go

#include "textflag.h"

// Constants of the vector activations, each repeated in 8 lanes so that
// instructions can take them as 256-bit memory operands.
DATA actc<>+0(SB)/4, $0x3fb8aa3b
DATA actc<>+4(SB)/4, $0x3fb8aa3b
DATA actc<>+8(SB)/4, $0x3fb8aa3b
DATA actc<>+12(SB)/4, $0x3fb8aa3b
DATA actc<>+16(SB)/4, $0x3fb8aa3b
DATA actc<>+20(SB)/4, $0x3fb8aa3b
DATA actc<>+24(SB)/4, $0x3fb8aa3b
DATA actc<>+28(SB)/4, $0x3fb8aa3b
DATA actc<>+32(SB)/4, $0x3f318000
DATA actc<>+36(SB)/4, $0x3f318000
DATA actc<>+40(SB)/4, $0x3f318000
DATA actc<>+44(SB)/4, $0x3f318000
DATA actc<>+48(SB)/4, $0x3f318000
DATA actc<>+52(SB)/4, $0x3f318000
DATA actc<>+56(SB)/4, $0x3f318000
DATA actc<>+60(SB)/4, $0x3f318000
DATA actc<>+64(SB)/4, $0xb95e8083
DATA actc<>+68(SB)/4, $0xb95e8083
DATA actc<>+72(SB)/4, $0xb95e8083
DATA actc<>+76(SB)/4, $0xb95e8083
DATA actc<>+80(SB)/4, $0xb95e8083
DATA actc<>+84(SB)/4, $0xb95e8083
DATA actc<>+88(SB)/4, $0xb95e8083
DATA actc<>+92(SB)/4, $0xb95e8083
DATA actc<>+96(SB)/4, $0x3ab60b61
DATA actc<>+100(SB)/4, $0x3ab60b61
DATA actc<>+104(SB)/4, $0x3ab60b61
DATA actc<>+108(SB)/4, $0x3ab60b61
DATA actc<>+112(SB)/4, $0x3ab60b61
DATA actc<>+116(SB)/4, $0x3ab60b61
DATA actc<>+120(SB)/4, $0x3ab60b61
DATA actc<>+124(SB)/4, $0x3ab60b61
DATA actc<>+128(SB)/4, $0x3c088889
DATA actc<>+132(SB)/4, $0x3c088889
DATA actc<>+136(SB)/4, $0x3c088889
DATA actc<>+140(SB)/4, $0x3c088889
DATA actc<>+144(SB)/4, $0x3c088889
DATA actc<>+148(SB)/4, $0x3c088889
DATA actc<>+152(SB)/4, $0x3c088889
DATA actc<>+156(SB)/4, $0x3c088889
DATA actc<>+160(SB)/4, $0x3d2aaaab
DATA actc<>+164(SB)/4, $0x3d2aaaab
DATA actc<>+168(SB)/4, $0x3d2aaaab
DATA actc<>+172(SB)/4, $0x3d2aaaab
DATA actc<>+176(SB)/4, $0x3d2aaaab
DATA actc<>+180(SB)/4, $0x3d2aaaab
DATA actc<>+184(SB)/4, $0x3d2aaaab
DATA actc<>+188(SB)/4, $0x3d2aaaab
DATA actc<>+192(SB)/4, $0x3e2aaaab
DATA actc<>+196(SB)/4, $0x3e2aaaab
DATA actc<>+200(SB)/4, $0x3e2aaaab
DATA actc<>+204(SB)/4, $0x3e2aaaab
DATA actc<>+208(SB)/4, $0x3e2aaaab
DATA actc<>+212(SB)/4, $0x3e2aaaab
DATA actc<>+216(SB)/4, $0x3e2aaaab
DATA actc<>+220(SB)/4, $0x3e2aaaab
DATA actc<>+224(SB)/4, $0x3f000000
DATA actc<>+228(SB)/4, $0x3f000000
DATA actc<>+232(SB)/4, $0x3f000000
DATA actc<>+236(SB)/4, $0x3f000000
DATA actc<>+240(SB)/4, $0x3f000000
DATA actc<>+244(SB)/4, $0x3f000000
DATA actc<>+248(SB)/4, $0x3f000000
DATA actc<>+252(SB)/4, $0x3f000000
DATA actc<>+256(SB)/4, $0x3f800000
DATA actc<>+260(SB)/4, $0x3f800000
DATA actc<>+264(SB)/4, $0x3f800000
DATA actc<>+268(SB)/4, $0x3f800000
DATA actc<>+272(SB)/4, $0x3f800000
DATA actc<>+276(SB)/4, $0x3f800000
DATA actc<>+280(SB)/4, $0x3f800000
DATA actc<>+284(SB)/4, $0x3f800000
DATA actc<>+288(SB)/4, $0x40000000
DATA actc<>+292(SB)/4, $0x40000000
DATA actc<>+296(SB)/4, $0x40000000
DATA actc<>+300(SB)/4, $0x40000000
DATA actc<>+304(SB)/4, $0x40000000
DATA actc<>+308(SB)/4, $0x40000000
DATA actc<>+312(SB)/4, $0x40000000
DATA actc<>+316(SB)/4, $0x40000000
DATA actc<>+320(SB)/4, $0xc2ae0000
DATA actc<>+324(SB)/4, $0xc2ae0000
DATA actc<>+328(SB)/4, $0xc2ae0000
DATA actc<>+332(SB)/4, $0xc2ae0000
DATA actc<>+336(SB)/4, $0xc2ae0000
DATA actc<>+340(SB)/4, $0xc2ae0000
DATA actc<>+344(SB)/4, $0xc2ae0000
DATA actc<>+348(SB)/4, $0xc2ae0000
DATA actc<>+352(SB)/4, $0x42b00000
DATA actc<>+356(SB)/4, $0x42b00000
DATA actc<>+360(SB)/4, $0x42b00000
DATA actc<>+364(SB)/4, $0x42b00000
DATA actc<>+368(SB)/4, $0x42b00000
DATA actc<>+372(SB)/4, $0x42b00000
DATA actc<>+376(SB)/4, $0x42b00000
DATA actc<>+380(SB)/4, $0x42b00000
DATA actc<>+384(SB)/4, $0x3e4ccccd
DATA actc<>+388(SB)/4, $0x3e4ccccd
DATA actc<>+392(SB)/4, $0x3e4ccccd
DATA actc<>+396(SB)/4, $0x3e4ccccd
DATA actc<>+400(SB)/4, $0x3e4ccccd
DATA actc<>+404(SB)/4, $0x3e4ccccd
DATA actc<>+408(SB)/4, $0x3e4ccccd
DATA actc<>+412(SB)/4, $0x3e4ccccd
DATA actc<>+416(SB)/4, $0xbeaaaaab
DATA actc<>+420(SB)/4, $0xbeaaaaab
DATA actc<>+424(SB)/4, $0xbeaaaaab
DATA actc<>+428(SB)/4, $0xbeaaaaab
DATA actc<>+432(SB)/4, $0xbeaaaaab
DATA actc<>+436(SB)/4, $0xbeaaaaab
DATA actc<>+440(SB)/4, $0xbeaaaaab
DATA actc<>+444(SB)/4, $0xbeaaaaab
DATA actc<>+448(SB)/4, $0x3e088889
DATA actc<>+452(SB)/4, $0x3e088889
DATA actc<>+456(SB)/4, $0x3e088889
DATA actc<>+460(SB)/4, $0x3e088889
DATA actc<>+464(SB)/4, $0x3e088889
DATA actc<>+468(SB)/4, $0x3e088889
DATA actc<>+472(SB)/4, $0x3e088889
DATA actc<>+476(SB)/4, $0x3e088889
DATA actc<>+480(SB)/4, $0xbd5d0dd1
DATA actc<>+484(SB)/4, $0xbd5d0dd1
DATA actc<>+488(SB)/4, $0xbd5d0dd1
DATA actc<>+492(SB)/4, $0xbd5d0dd1
DATA actc<>+496(SB)/4, $0xbd5d0dd1
DATA actc<>+500(SB)/4, $0xbd5d0dd1
DATA actc<>+504(SB)/4, $0xbd5d0dd1
DATA actc<>+508(SB)/4, $0xbd5d0dd1
DATA actc<>+512(SB)/4, $0x3cb327a4
DATA actc<>+516(SB)/4, $0x3cb327a4
DATA actc<>+520(SB)/4, $0x3cb327a4
DATA actc<>+524(SB)/4, $0x3cb327a4
DATA actc<>+528(SB)/4, $0x3cb327a4
DATA actc<>+532(SB)/4, $0x3cb327a4
DATA actc<>+536(SB)/4, $0x3cb327a4
DATA actc<>+540(SB)/4, $0x3cb327a4
DATA actc<>+544(SB)/4, $0x7fffffff
DATA actc<>+548(SB)/4, $0x7fffffff
DATA actc<>+552(SB)/4, $0x7fffffff
DATA actc<>+556(SB)/4, $0x7fffffff
DATA actc<>+560(SB)/4, $0x7fffffff
DATA actc<>+564(SB)/4, $0x7fffffff
DATA actc<>+568(SB)/4, $0x7fffffff
DATA actc<>+572(SB)/4, $0x7fffffff
DATA actc<>+576(SB)/4, $0x0000007f
DATA actc<>+580(SB)/4, $0x0000007f
DATA actc<>+584(SB)/4, $0x0000007f
DATA actc<>+588(SB)/4, $0x0000007f
DATA actc<>+592(SB)/4, $0x0000007f
DATA actc<>+596(SB)/4, $0x0000007f
DATA actc<>+600(SB)/4, $0x0000007f
DATA actc<>+604(SB)/4, $0x0000007f
GLOBL actc<>(SB), RODATA|NOPTR, $608

// func sigmoidAVX2(row *float32, n int)
//
// row[i] = 1/(1+e**-row[i]) for n a multiple of 8, with e**x computed as
// in expf: x = k·ln2 + r, a degree-6 polynomial in r, 2**k in the exponent.
TEXT ·sigmoidAVX2(SB), NOSPLIT, $0-16
	MOVQ row+0(FP), DI
	MOVQ n+8(FP), CX
	SHRQ $3, CX
	JZ   sigdone

sigloop:
	VMOVUPS (DI), Y0
	VXORPS  Y1, Y1, Y1
	VSUBPS  Y0, Y1, Y0
	VMAXPS  actc<>+320(SB), Y0, Y0
	VMINPS  actc<>+352(SB), Y0, Y0
	VMULPS       actc<>+0(SB), Y0, Y1
	VROUNDPS     $0, Y1, Y1
	VCVTPS2DQ    Y1, Y2
	VFNMADD231PS actc<>+32(SB), Y1, Y0
	VFNMADD231PS actc<>+64(SB), Y1, Y0
	VMOVUPS      actc<>+96(SB), Y3
	VFMADD213PS  actc<>+128(SB), Y0, Y3
	VFMADD213PS  actc<>+160(SB), Y0, Y3
	VFMADD213PS  actc<>+192(SB), Y0, Y3
	VFMADD213PS  actc<>+224(SB), Y0, Y3
	VFMADD213PS  actc<>+256(SB), Y0, Y3
	VFMADD213PS  actc<>+256(SB), Y0, Y3
	VPADDD       actc<>+576(SB), Y2, Y2
	VPSLLD       $23, Y2, Y2
	VMULPS       Y2, Y3, Y3
	VADDPS  actc<>+256(SB), Y3, Y3
	VMOVUPS actc<>+256(SB), Y1
	VDIVPS  Y3, Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ    $32, DI
	DECQ    CX
	JNZ     sigloop

sigdone:
	VZEROUPPER
	RET

// func tanhAVX2(row *float32, n int)
//
// row[i] = tanh(row[i]) for n a multiple of 8, as tanhf: 1-2/(e**2a+1) for
// a = |x| ≥ 0.2, the odd series below, the sign put back last.
TEXT ·tanhAVX2(SB), NOSPLIT, $0-16
	MOVQ row+0(FP), DI
	MOVQ n+8(FP), CX
	SHRQ $3, CX
	JZ   tanhdone

tanhloop:
	VMOVUPS (DI), Y0
	VANDPS  actc<>+544(SB), Y0, Y1
	VXORPS  Y1, Y0, Y0
	VADDPS  Y1, Y1, Y2
	VMINPS  actc<>+352(SB), Y2, Y2
	VMULPS       actc<>+0(SB), Y2, Y3
	VROUNDPS     $0, Y3, Y3
	VCVTPS2DQ    Y3, Y4
	VFNMADD231PS actc<>+32(SB), Y3, Y2
	VFNMADD231PS actc<>+64(SB), Y3, Y2
	VMOVUPS      actc<>+96(SB), Y5
	VFMADD213PS  actc<>+128(SB), Y2, Y5
	VFMADD213PS  actc<>+160(SB), Y2, Y5
	VFMADD213PS  actc<>+192(SB), Y2, Y5
	VFMADD213PS  actc<>+224(SB), Y2, Y5
	VFMADD213PS  actc<>+256(SB), Y2, Y5
	VFMADD213PS  actc<>+256(SB), Y2, Y5
	VPADDD       actc<>+576(SB), Y4, Y4
	VPSLLD       $23, Y4, Y4
	VMULPS       Y4, Y5, Y5
	VADDPS      actc<>+256(SB), Y5, Y5
	VMOVUPS     actc<>+288(SB), Y3
	VDIVPS      Y5, Y3, Y3
	VMOVUPS     actc<>+256(SB), Y6
	VSUBPS      Y3, Y6, Y6
	VMULPS      Y1, Y1, Y7
	VMOVUPS     actc<>+512(SB), Y8
	VFMADD213PS actc<>+480(SB), Y7, Y8
	VFMADD213PS actc<>+448(SB), Y7, Y8
	VFMADD213PS actc<>+416(SB), Y7, Y8
	VMULPS      Y7, Y8, Y8
	VFMADD213PS Y1, Y1, Y8
	VCMPPS      $1, actc<>+384(SB), Y1, Y9
	VBLENDVPS   Y9, Y8, Y6, Y6
	VORPS       Y0, Y6, Y6
	VMOVUPS     Y6, (DI)
	ADDQ        $32, DI
	DECQ        CX
	JNZ         tanhloop

tanhdone:
	VZEROUPPER
	RET

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
