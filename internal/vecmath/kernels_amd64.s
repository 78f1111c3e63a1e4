//go:build !purego

#include "textflag.h"

#include "vecmath_amd64.h"

// POW2 sets dst to 2^n for the integer-valued float64 lanes of src (|n| ≤ 1022), using
// X12 and Y13.
#define POW2(src, dst) \
	VCVTPD2DQY   src, X12 \
	VPMOVSXDQ    X12, dst \
	VPBROADCASTQ vc<>+72(SB), Y13 \
	VPADDQ       Y13, dst, dst \
	VPSLLQ       $52, dst, dst

// TANH4 computes tanh of the four float64 lanes of Y0 into Y10 (see vecmath.go):
// |e|/(2 + e) with e = expm1(−2|x|) = 2ⁿ·m + (2ⁿ − 1), the sign of x put back, NaN kept.
#define TANH4 \
	VBROADCASTSD vc<>+0(SB), Y13 \
	VANDPD       Y13, Y0, Y1 \
	VBROADCASTSD vc<>+16(SB), Y13 \
	VMULPD       Y13, Y1, Y2 \
	VBROADCASTSD vc<>+24(SB), Y13 \
	VMAXPD       Y13, Y2, Y2 \
	EXPM1(VROUNDPD, Y2, Y3, Y4, Y5, Y6, Y13) \
	POW2(Y3, Y7) \
	VBROADCASTSD vc<>+56(SB), Y13 \
	VSUBPD       Y13, Y7, Y8 \
	VFMADD231PD  Y4, Y7, Y8 \
	VBROADCASTSD vc<>+64(SB), Y13 \
	VADDPD       Y13, Y8, Y9 \
	VBROADCASTSD vc<>+0(SB), Y13 \
	VANDPD       Y13, Y8, Y10 \
	VDIVPD       Y9, Y10, Y10 \
	VBROADCASTSD vc<>+8(SB), Y13 \
	VANDPD       Y13, Y0, Y11 \
	VORPD        Y11, Y10, Y10 \
	VCMPPD       $3, Y0, Y0, Y12 \
	VBLENDVPD    Y12, Y0, Y10, Y10

// EXP4 computes exp of the four float64 lanes of Y0 into Y10: (1 + m)·2^n₁·2^n₂ with
// n₁ = trunc(n/2) and n₂ = n − n₁, after clamping to [−746, 710]; NaN kept.
#define EXP4 \
	VBROADCASTSD vc<>+176(SB), Y13 \
	VMAXPD       Y13, Y0, Y2 \
	VBROADCASTSD vc<>+184(SB), Y13 \
	VMINPD       Y13, Y2, Y2 \
	EXPM1(VROUNDPD, Y2, Y3, Y4, Y5, Y6, Y13) \
	VBROADCASTSD vc<>+56(SB), Y13 \
	VADDPD       Y13, Y4, Y4 \
	VBROADCASTSD vc<>+168(SB), Y13 \
	VMULPD       Y13, Y3, Y6 \
	VROUNDPD     $3, Y6, Y6 \
	VSUBPD       Y6, Y3, Y7 \
	POW2(Y6, Y8) \
	POW2(Y7, Y9) \
	VMULPD       Y8, Y4, Y10 \
	VMULPD       Y9, Y10, Y10 \
	VCMPPD       $3, Y0, Y0, Y11 \
	VBLENDVPD    Y11, Y0, Y10, Y10

// LOOP64 applies a four-lane macro over n (a multiple of 4) elements.
#define LOOP64(F, label, done) \
	MOVQ dst+0(FP), DI \
	MOVQ src+8(FP), SI \
	MOVQ n+16(FP), CX \
	SHRQ $2, CX \
	JZ   done \
label: \
	VMOVUPD (SI), Y0 \
	F \
	VMOVUPD Y10, (DI) \
	ADDQ    $32, SI \
	ADDQ    $32, DI \
	DECQ    CX \
	JNZ     label \
done: \
	VZEROUPPER \
	RET

// func tanh64(dst, src *float64, n int)
TEXT ·tanh64(SB), NOSPLIT, $0-24
	LOOP64(TANH4, tloop64, tdone64)

// func exp64(dst, src *float64, n int)
TEXT ·exp64(SB), NOSPLIT, $0-24
	LOOP64(EXP4, eloop64, edone64)
