//go:build !purego

#include "textflag.h"

// AddTo's and TanhGrad's AVX2 loops: one YMM register (four float64 or eight float32) per
// iteration, each operation rounded on its own as in the Go loops (elem.go).

DATA one<>+0(SB)/8, $0x3FF0000000000000 // 1 (float64)
DATA one<>+8(SB)/4, $0x3F800000         // 1 (float32)
GLOBL one<>(SB), RODATA|NOPTR, $16

// ADDTO is dst[i] += src[i] over n elements, SHIFT = log2 of the lanes, ADD the add.
#define ADDTO(MOV, ADD, SHIFT, label, done) \
	MOVQ dst+0(FP), DI \
	MOVQ src+8(FP), SI \
	MOVQ n+16(FP), CX \
	SHRQ $SHIFT, CX \
	JZ   done \
label: \
	MOV  (DI), Y0 \
	ADD  (SI), Y0, Y0 \
	MOV  Y0, (DI) \
	ADDQ $32, SI \
	ADDQ $32, DI \
	DECQ CX \
	JNZ  label \
done: \
	VZEROUPPER \
	RET

// TANHGRAD is dz[i] = dy[i]·(1 − y[i]·y[i]) over n elements, with the constant 1 broadcast
// by BCAST from one<>+OFF.
#define TANHGRAD(MOV, MUL, SUB, BCAST, OFF, SHIFT, label, done) \
	MOVQ  dz+0(FP), DI \
	MOVQ  y+8(FP), SI \
	MOVQ  dy+16(FP), DX \
	MOVQ  n+24(FP), CX \
	BCAST one<>+OFF(SB), Y3 \
	SHRQ  $SHIFT, CX \
	JZ    done \
label: \
	MOV  (SI), Y0 \
	MUL  Y0, Y0, Y1 \
	SUB  Y1, Y3, Y1 \
	MUL  (DX), Y1, Y1 \
	MOV  Y1, (DI) \
	ADDQ $32, SI \
	ADDQ $32, DX \
	ADDQ $32, DI \
	DECQ CX \
	JNZ  label \
done: \
	VZEROUPPER \
	RET

// SCALE is dst[i] = w·src[i] (ADDOP = NOADD) or dst[i] += w·src[i] (ADDOP = ADDPD or ADDPS, the product
// rounded first) over n elements.
#define SCALE(MOV, MUL, BCAST, ADDOP, SHIFT, label, done) \
	MOVQ  dst+0(FP), DI \
	MOVQ  src+8(FP), SI \
	MOVQ  n+16(FP), CX \
	BCAST w+24(FP), Y3 \
	SHRQ  $SHIFT, CX \
	JZ    done \
label: \
	MUL   (SI), Y3, Y0 \
	ADDOP \
	MOV   Y0, (DI) \
	ADDQ  $32, SI \
	ADDQ  $32, DI \
	DECQ  CX \
	JNZ   label \
done: \
	VZEROUPPER \
	RET

#define NOADD
#define ADDPD VADDPD (DI), Y0, Y0
#define ADDPS VADDPS (DI), Y0, Y0

// FINITE sets ret to whether every one of n elements is finite: x − x (+0, or NaN for
// NaN and ±Inf) summed lane by lane, then any lane unordered.
#define FINITE(MOV, SUB, ADD, CMP, MSK, SHIFT, label, done) \
	MOVQ   d+0(FP), SI \
	MOVQ   n+8(FP), CX \
	VXORPS Y0, Y0, Y0 \
	SHRQ   $SHIFT, CX \
	JZ     done \
label: \
	MOV    (SI), Y1 \
	SUB    Y1, Y1, Y1 \
	ADD    Y1, Y0, Y0 \
	ADDQ   $32, SI \
	DECQ   CX \
	JNZ    label \
done: \
	CMP    $3, Y0, Y0, Y0 \
	MSK    Y0, AX \
	TESTL  AX, AX \
	SETEQ  ret+16(FP) \
	VZEROUPPER \
	RET

DATA absd<>+0(SB)/8, $0x7FFFFFFFFFFFFFFF
GLOBL absd<>(SB), RODATA|NOPTR, $8

// SUMSQ adds x[j]² (in float64) into lane j mod 4 of s over n elements (a multiple of
// 4), four at a time (STEP bytes), LOAD reading four values as float64, and counts |x[j]| > clip (an
// ordered compare: NaN is not counted) by subtracting the compare masks (−1 per lane).
#define SUMSQ(LOAD, STEP, label, done) \
	MOVQ         s+0(FP), DI \
	MOVQ         x+8(FP), SI \
	MOVQ         n+16(FP), CX \
	VBROADCASTSD clip+24(FP), Y5 \
	VBROADCASTSD absd<>+0(SB), Y6 \
	VMOVUPD      (DI), Y0 \
	VPXOR        Y4, Y4, Y4 \
	SHRQ         $2, CX \
	JZ           done \
label: \
	LOAD         (SI), Y1 \
	VMULPD       Y1, Y1, Y2 \
	VADDPD       Y2, Y0, Y0 \
	VANDPD       Y6, Y1, Y3 \
	VCMPPD       $0x1E, Y5, Y3, Y3 \
	VPSUBQ       Y3, Y4, Y4 \
	ADDQ         $STEP, SI \
	DECQ         CX \
	JNZ          label \
done: \
	VMOVUPD      Y0, (DI) \
	VEXTRACTI128 $1, Y4, X5 \
	VPADDQ       X5, X4, X4 \
	VPSHUFD      $0x4E, X4, X5 \
	VPADDQ       X5, X4, X4 \
	VMOVQ        X4, AX \
	MOVQ         AX, ret+32(FP) \
	VZEROUPPER \
	RET

// func addTo64(dst, src *float64, n int)
TEXT ·addTo64(SB), NOSPLIT, $0-24
	ADDTO(VMOVUPD, VADDPD, 2, aloop64, adone64)

// func addTo32(dst, src *float32, n int)
TEXT ·addTo32(SB), NOSPLIT, $0-24
	ADDTO(VMOVUPS, VADDPS, 3, aloop32, adone32)

// func tanhGrad64(dz, y, dy *float64, n int)
TEXT ·tanhGrad64(SB), NOSPLIT, $0-32
	TANHGRAD(VMOVUPD, VMULPD, VSUBPD, VBROADCASTSD, 0, 2, gloop64, gdone64)

// func tanhGrad32(dz, y, dy *float32, n int)
TEXT ·tanhGrad32(SB), NOSPLIT, $0-32
	TANHGRAD(VMOVUPS, VMULPS, VSUBPS, VBROADCASTSS, 8, 3, gloop32, gdone32)

// func scale64(dst, src *float64, n int, w float64)
TEXT ·scale64(SB), NOSPLIT, $0-32
	SCALE(VMOVUPD, VMULPD, VBROADCASTSD, NOADD, 2, sloop64, sdone64)

// func addScaled64(dst, src *float64, n int, w float64)
TEXT ·addScaled64(SB), NOSPLIT, $0-32
	SCALE(VMOVUPD, VMULPD, VBROADCASTSD, ADDPD, 2, asloop64, asdone64)

// func scale32(dst, src *float32, n int, w float32)
TEXT ·scale32(SB), NOSPLIT, $0-28
	SCALE(VMOVUPS, VMULPS, VBROADCASTSS, NOADD, 3, sloop32, sdone32)

// func addScaled32(dst, src *float32, n int, w float32)
TEXT ·addScaled32(SB), NOSPLIT, $0-28
	SCALE(VMOVUPS, VMULPS, VBROADCASTSS, ADDPS, 3, asloop32, asdone32)

// func allFinite64(d *float64, n int) bool
TEXT ·allFinite64(SB), NOSPLIT, $0-17
	FINITE(VMOVUPD, VSUBPD, VADDPD, VCMPPD, VMOVMSKPD, 2, floop64, fdone64)

// func allFinite32(d *float32, n int) bool
TEXT ·allFinite32(SB), NOSPLIT, $0-17
	FINITE(VMOVUPS, VSUBPS, VADDPS, VCMPPS, VMOVMSKPS, 3, floop32, fdone32)

// func sumSquares64(s *[4]float64, x *float64, n int, clip float64) int
TEXT ·sumSquares64(SB), NOSPLIT, $0-40
	SUMSQ(VMOVUPD, 32, qloop64, qdone64)

// func sumSquares32(s *[4]float64, x *float32, n int, clip float64) int
TEXT ·sumSquares32(SB), NOSPLIT, $0-40
	SUMSQ(VCVTPS2PD, 16, qloop32, qdone32)
