//go:build !purego

#include "textflag.h"

// The float32 tanh and exp kernels, eight lanes at a time with AVX2 and FMA: the float64
// kernels' formulas (kernels_amd64.s) computed in float32, with a polynomial of degree 8
// (see vecmath.go), without widening.
#include "vecmath32_amd64.h"

// POW2S sets dst to 2^n for the integer-valued float32 lanes of src (|n| ≤ 126), using Y13.
#define POW2S(src, dst) \
	VCVTPS2DQ    src, dst \
	VPBROADCASTD vs<>+36(SB), Y13 \
	VPADDD       Y13, dst, dst \
	VPSLLD       $23, dst, dst

// TANH8 computes tanh of the eight float32 lanes of Y0 into Y10 (see vecmath.go):
// |e|/(2 + e) with e = expm1(−2|x|) = 2ⁿ·m + (2ⁿ − 1), the sign of x put back, NaN kept.
#define TANH8 \
	VBROADCASTSS vs<>+0(SB), Y13 \
	VANDPS       Y13, Y0, Y1 \
	VBROADCASTSS vs<>+8(SB), Y13 \
	VMULPS       Y13, Y1, Y2 \
	VBROADCASTSS vs<>+12(SB), Y13 \
	VMAXPS       Y13, Y2, Y2 \
	EXPM1S(VROUNDPS, Y2, Y3, Y4, Y5, Y6, Y13) \
	POW2S(Y3, Y7) \
	VBROADCASTSS vs<>+28(SB), Y13 \
	VSUBPS       Y13, Y7, Y8 \
	VFMADD231PS  Y4, Y7, Y8 \
	VBROADCASTSS vs<>+32(SB), Y13 \
	VADDPS       Y13, Y8, Y9 \
	VBROADCASTSS vs<>+0(SB), Y13 \
	VANDPS       Y13, Y8, Y10 \
	VDIVPS       Y9, Y10, Y10 \
	VBROADCASTSS vs<>+4(SB), Y13 \
	VANDPS       Y13, Y0, Y11 \
	VORPS        Y11, Y10, Y10 \
	VCMPPS       $3, Y0, Y0, Y12 \
	VBLENDVPS    Y12, Y0, Y10, Y10

// EXP8 computes exp of the eight float32 lanes of Y0 into Y10: (1 + m)·2^n₁·2^n₂ with
// n₁ = trunc(n/2) and n₂ = n − n₁, after clamping to [−104, 89]; NaN kept.
#define EXP8 \
	VBROADCASTSS vs<>+68(SB), Y13 \
	VMAXPS       Y13, Y0, Y2 \
	VBROADCASTSS vs<>+72(SB), Y13 \
	VMINPS       Y13, Y2, Y2 \
	EXPM1S(VROUNDPS, Y2, Y3, Y4, Y5, Y6, Y13) \
	VBROADCASTSS vs<>+28(SB), Y13 \
	VADDPS       Y13, Y4, Y4 \
	VBROADCASTSS vs<>+64(SB), Y13 \
	VMULPS       Y13, Y3, Y6 \
	VROUNDPS     $3, Y6, Y6 \
	VSUBPS       Y6, Y3, Y7 \
	POW2S(Y6, Y8) \
	POW2S(Y7, Y9) \
	VMULPS       Y8, Y4, Y10 \
	VMULPS       Y9, Y10, Y10 \
	VCMPPS       $3, Y0, Y0, Y11 \
	VBLENDVPS    Y11, Y0, Y10, Y10

// LOOP32 applies an eight-lane macro over n (a multiple of 8) elements.
#define LOOP32(F, label, done) \
	MOVQ dst+0(FP), DI \
	MOVQ src+8(FP), SI \
	MOVQ n+16(FP), CX \
	SHRQ $3, CX \
	JZ   done \
label: \
	VMOVUPS (SI), Y0 \
	F \
	VMOVUPS Y10, (DI) \
	ADDQ    $32, SI \
	ADDQ    $32, DI \
	DECQ    CX \
	JNZ     label \
done: \
	VZEROUPPER \
	RET

// func tanh32(dst, src *float32, n int)
TEXT ·tanh32(SB), NOSPLIT, $0-24
	LOOP32(TANH8, tloop32, tdone32)

// func exp32(dst, src *float32, n int)
TEXT ·exp32(SB), NOSPLIT, $0-24
	LOOP32(EXP8, eloop32, edone32)
