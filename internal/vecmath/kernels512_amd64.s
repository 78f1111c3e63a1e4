//go:build !purego

#include "textflag.h"

// The AVX-512 forms of kernels_amd64.s's float64 tanh and exp: the same operations in the
// same order on eight lanes instead of four, so that both give the same bits. The
// constants are kernels_amd64.s's vc<> table, repeated here as vc<> (a DATA symbol is
// private to its file). Bitwise and, or use VPANDQ and VPORQ (AVX-512F; VANDPD's EVEX form
// needs AVX-512DQ), rounding VRNDSCALEPD, and the NaN blend a compare into K1 and a masked
// move.
#include "vecmath_amd64.h"

// ZPOW2 sets dst to 2^n for the integer-valued lanes of src, using Y12 and Z13.
#define ZPOW2(src, dst) \
	VCVTPD2DQ    src, Y12 \
	VPMOVSXDQ    Y12, dst \
	VPBROADCASTQ vc<>+72(SB), Z13 \
	VPADDQ       Z13, dst, dst \
	VPSLLQ       $52, dst, dst

// ZTANH8 computes tanh of the eight lanes of Z0 into Z10, as TANH4.
#define ZTANH8 \
	VPBROADCASTQ vc<>+0(SB), Z13 \
	VPANDQ       Z13, Z0, Z1 \
	VBROADCASTSD vc<>+16(SB), Z13 \
	VMULPD       Z13, Z1, Z2 \
	VBROADCASTSD vc<>+24(SB), Z13 \
	VMAXPD       Z13, Z2, Z2 \
	EXPM1(VRNDSCALEPD, Z2, Z3, Z4, Z5, Z6, Z13) \
	ZPOW2(Z3, Z7) \
	VBROADCASTSD vc<>+56(SB), Z13 \
	VSUBPD       Z13, Z7, Z8 \
	VFMADD231PD  Z4, Z7, Z8 \
	VBROADCASTSD vc<>+64(SB), Z13 \
	VADDPD       Z13, Z8, Z9 \
	VPBROADCASTQ vc<>+0(SB), Z13 \
	VPANDQ       Z13, Z8, Z10 \
	VDIVPD       Z9, Z10, Z10 \
	VPBROADCASTQ vc<>+8(SB), Z13 \
	VPANDQ       Z13, Z0, Z11 \
	VPORQ        Z11, Z10, Z10 \
	VCMPPD       $3, Z0, Z0, K1 \
	VMOVAPD      Z0, K1, Z10

// ZEXP8 computes exp of the eight lanes of Z0 into Z10, as EXP4.
#define ZEXP8 \
	VBROADCASTSD vc<>+176(SB), Z13 \
	VMAXPD       Z13, Z0, Z2 \
	VBROADCASTSD vc<>+184(SB), Z13 \
	VMINPD       Z13, Z2, Z2 \
	EXPM1(VRNDSCALEPD, Z2, Z3, Z4, Z5, Z6, Z13) \
	VBROADCASTSD vc<>+56(SB), Z13 \
	VADDPD       Z13, Z4, Z4 \
	VBROADCASTSD vc<>+168(SB), Z13 \
	VMULPD       Z13, Z3, Z6 \
	VRNDSCALEPD  $3, Z6, Z6 \
	VSUBPD       Z6, Z3, Z7 \
	ZPOW2(Z6, Z8) \
	ZPOW2(Z7, Z9) \
	VMULPD       Z8, Z4, Z10 \
	VMULPD       Z9, Z10, Z10 \
	VCMPPD       $3, Z0, Z0, K1 \
	VMOVAPD      Z0, K1, Z10

// ZLOOP64 applies an eight-lane macro over n (a multiple of 8) elements.
#define ZLOOP64(F, label, done) \
	MOVQ dst+0(FP), DI \
	MOVQ src+8(FP), SI \
	MOVQ n+16(FP), CX \
	SHRQ $3, CX \
	JZ   done \
label: \
	VMOVUPD (SI), Z0 \
	F \
	VMOVUPD Z10, (DI) \
	ADDQ    $64, SI \
	ADDQ    $64, DI \
	DECQ    CX \
	JNZ     label \
done: \
	VZEROUPPER \
	RET

// func tanh64x8(dst, src *float64, n int)
TEXT ·tanh64x8(SB), NOSPLIT, $0-24
	ZLOOP64(ZTANH8, ztloop64, ztdone64)

// func exp64x8(dst, src *float64, n int)
TEXT ·exp64x8(SB), NOSPLIT, $0-24
	ZLOOP64(ZEXP8, zeloop64, zedone64)
