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
