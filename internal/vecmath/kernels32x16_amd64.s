//go:build !purego

#include "textflag.h"

// The AVX-512 forms of kernels32_amd64.s's float32 tanh and exp: the same operations in
// the same order on sixteen lanes instead of eight, so that both give the same bits.
// Bitwise and, or use VPANDD and VPORD (AVX-512F; VANDPS's EVEX form needs AVX-512DQ),
// rounding VRNDSCALEPS, and the NaN blend a compare into K1 and a masked move.
#include "vecmath32_amd64.h"

// ZPOW2S sets dst to 2^n for the integer-valued float32 lanes of src, using Z13.
#define ZPOW2S(src, dst) \
	VCVTPS2DQ    src, dst \
	VPBROADCASTD vs<>+36(SB), Z13 \
	VPADDD       Z13, dst, dst \
	VPSLLD       $23, dst, dst

// ZTANH16 computes tanh of the sixteen lanes of Z0 into Z10, as TANH8.
#define ZTANH16 \
	VPBROADCASTD vs<>+0(SB), Z13 \
	VPANDD       Z13, Z0, Z1 \
	VBROADCASTSS vs<>+8(SB), Z13 \
	VMULPS       Z13, Z1, Z2 \
	VBROADCASTSS vs<>+12(SB), Z13 \
	VMAXPS       Z13, Z2, Z2 \
	EXPM1S(VRNDSCALEPS, Z2, Z3, Z4, Z5, Z6, Z13) \
	ZPOW2S(Z3, Z7) \
	VBROADCASTSS vs<>+28(SB), Z13 \
	VSUBPS       Z13, Z7, Z8 \
	VFMADD231PS  Z4, Z7, Z8 \
	VBROADCASTSS vs<>+32(SB), Z13 \
	VADDPS       Z13, Z8, Z9 \
	VPBROADCASTD vs<>+0(SB), Z13 \
	VPANDD       Z13, Z8, Z10 \
	VDIVPS       Z9, Z10, Z10 \
	VPBROADCASTD vs<>+4(SB), Z13 \
	VPANDD       Z13, Z0, Z11 \
	VPORD        Z11, Z10, Z10 \
	VCMPPS       $3, Z0, Z0, K1 \
	VMOVAPS      Z0, K1, Z10

// ZEXP16 computes exp of the sixteen lanes of Z0 into Z10, as EXP8.
#define ZEXP16 \
	VBROADCASTSS vs<>+68(SB), Z13 \
	VMAXPS       Z13, Z0, Z2 \
	VBROADCASTSS vs<>+72(SB), Z13 \
	VMINPS       Z13, Z2, Z2 \
	EXPM1S(VRNDSCALEPS, Z2, Z3, Z4, Z5, Z6, Z13) \
	VBROADCASTSS vs<>+28(SB), Z13 \
	VADDPS       Z13, Z4, Z4 \
	VBROADCASTSS vs<>+64(SB), Z13 \
	VMULPS       Z13, Z3, Z6 \
	VRNDSCALEPS  $3, Z6, Z6 \
	VSUBPS       Z6, Z3, Z7 \
	ZPOW2S(Z6, Z8) \
	ZPOW2S(Z7, Z9) \
	VMULPS       Z8, Z4, Z10 \
	VMULPS       Z9, Z10, Z10 \
	VCMPPS       $3, Z0, Z0, K1 \
	VMOVAPS      Z0, K1, Z10

// ZLOOP32 applies a sixteen-lane macro over n (a multiple of 16) elements.
#define ZLOOP32(F, label, done) \
	MOVQ dst+0(FP), DI \
	MOVQ src+8(FP), SI \
	MOVQ n+16(FP), CX \
	SHRQ $4, CX \
	JZ   done \
label: \
	VMOVUPS (SI), Z0 \
	F \
	VMOVUPS Z10, (DI) \
	ADDQ    $64, SI \
	ADDQ    $64, DI \
	DECQ    CX \
	JNZ     label \
done: \
	VZEROUPPER \
	RET

// func tanh32x16(dst, src *float32, n int)
TEXT ·tanh32x16(SB), NOSPLIT, $0-24
	ZLOOP32(ZTANH16, ztloop32, ztdone32)

// func exp32x16(dst, src *float32, n int)
TEXT ·exp32x16(SB), NOSPLIT, $0-24
	ZLOOP32(ZEXP16, zeloop32, zedone32)
