//go:build !purego

#include "textflag.h"

// Constants for exp (see exp.go), one float64 or int64 each.
DATA ec<>+0(SB)/8, $0xC087500000000000   // −746: exp is 0 below −745.14
DATA ec<>+8(SB)/8, $0x4086300000000000   // 710: exp is +Inf above 709.79
DATA ec<>+16(SB)/8, $0x3FF71547652B82FE  // log2 e
DATA ec<>+24(SB)/8, $0x3FE62E42FEE00000  // ln 2, high part
DATA ec<>+32(SB)/8, $0x3DEA39EF35793C76  // ln 2, low part
DATA ec<>+40(SB)/8, $0x3FF0000000000000  // 1
DATA ec<>+48(SB)/8, $0x3FE0000000000000  // 1/2
DATA ec<>+56(SB)/8, $1023               // exponent bias
DATA ec<>+64(SB)/8, $0x3DE6124613A86D09  // 1/13!
DATA ec<>+72(SB)/8, $0x3E21EED8EFF8D898  // 1/12!
DATA ec<>+80(SB)/8, $0x3E5AE64567F544E4  // 1/11!
DATA ec<>+88(SB)/8, $0x3E927E4FB7789F5C  // 1/10!
DATA ec<>+96(SB)/8, $0x3EC71DE3A556C734  // 1/9!
DATA ec<>+104(SB)/8, $0x3EFA01A01A01A01A // 1/8!
DATA ec<>+112(SB)/8, $0x3F2A01A01A01A01A // 1/7!
DATA ec<>+120(SB)/8, $0x3F56C16C16C16C17 // 1/6!
DATA ec<>+128(SB)/8, $0x3F81111111111111 // 1/5!
DATA ec<>+136(SB)/8, $0x3FA5555555555555 // 1/4!
DATA ec<>+144(SB)/8, $0x3FC5555555555555 // 1/3!
DATA ec<>+152(SB)/8, $0x3FE0000000000000 // 1/2
GLOBL ec<>(SB), RODATA|NOPTR, $160

// POW2 sets dst to 2^n for the integer-valued float64 lanes of src (|n| ≤ 1022), using X12.
#define POW2(src, dst) \
	VCVTPD2DQY   src, X12 \
	VPMOVSXDQ    X12, dst \
	VPBROADCASTQ ec<>+56(SB), Y13 \
	VPADDQ       Y13, dst, dst \
	VPSLLQ       $52, dst, dst

// EXP4 computes exp of the four float64 lanes of Y0 into Y10. It uses Y1..Y13.
#define EXP4 \
	VBROADCASTSD ec<>+0(SB), Y13 \
	VMAXPD       Y13, Y0, Y2 \
	VBROADCASTSD ec<>+8(SB), Y13 \
	VMINPD       Y13, Y2, Y2 \
	VBROADCASTSD ec<>+16(SB), Y13 \
	VMULPD       Y13, Y2, Y3 \
	VROUNDPD     $0, Y3, Y3 \
	VMOVAPD      Y2, Y4 \
	VBROADCASTSD ec<>+24(SB), Y13 \
	VFNMADD231PD Y13, Y3, Y4 \
	VBROADCASTSD ec<>+32(SB), Y13 \
	VFNMADD231PD Y13, Y3, Y4 \
	VBROADCASTSD ec<>+64(SB), Y5 \
	VBROADCASTSD ec<>+72(SB), Y13 \
	VFMADD213PD  Y13, Y4, Y5 \
	VBROADCASTSD ec<>+80(SB), Y13 \
	VFMADD213PD  Y13, Y4, Y5 \
	VBROADCASTSD ec<>+88(SB), Y13 \
	VFMADD213PD  Y13, Y4, Y5 \
	VBROADCASTSD ec<>+96(SB), Y13 \
	VFMADD213PD  Y13, Y4, Y5 \
	VBROADCASTSD ec<>+104(SB), Y13 \
	VFMADD213PD  Y13, Y4, Y5 \
	VBROADCASTSD ec<>+112(SB), Y13 \
	VFMADD213PD  Y13, Y4, Y5 \
	VBROADCASTSD ec<>+120(SB), Y13 \
	VFMADD213PD  Y13, Y4, Y5 \
	VBROADCASTSD ec<>+128(SB), Y13 \
	VFMADD213PD  Y13, Y4, Y5 \
	VBROADCASTSD ec<>+136(SB), Y13 \
	VFMADD213PD  Y13, Y4, Y5 \
	VBROADCASTSD ec<>+144(SB), Y13 \
	VFMADD213PD  Y13, Y4, Y5 \
	VBROADCASTSD ec<>+152(SB), Y13 \
	VFMADD213PD  Y13, Y4, Y5 \
	VMULPD       Y4, Y4, Y6 \
	VFMADD231PD  Y5, Y6, Y4 \
	VBROADCASTSD ec<>+40(SB), Y13 \
	VADDPD       Y13, Y4, Y4 \
	VBROADCASTSD ec<>+48(SB), Y13 \
	VMULPD       Y13, Y3, Y6 \
	VROUNDPD     $3, Y6, Y6 \
	VSUBPD       Y6, Y3, Y7 \
	POW2(Y6, Y8) \
	POW2(Y7, Y9) \
	VMULPD       Y8, Y4, Y10 \
	VMULPD       Y9, Y10, Y10 \
	VCMPPD       $3, Y0, Y0, Y11 \
	VBLENDVPD    Y11, Y0, Y10, Y10

// func exp64(dst, src *float64, n int)
// n is a multiple of 4.
TEXT ·exp64(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $2, CX
	JZ   edone64

eloop64:
	VMOVUPD (SI), Y0
	EXP4
	VMOVUPD Y10, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     eloop64

edone64:
	VZEROUPPER
	RET

// func exp32(dst, src *float32, n int)
// n is a multiple of 4.
TEXT ·exp32(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $2, CX
	JZ   edone32

eloop32:
	VCVTPS2PD  (SI), Y0
	EXP4
	VCVTPD2PSY Y10, X10
	VMOVUPS    X10, (DI)
	ADDQ       $16, SI
	ADDQ       $16, DI
	DECQ       CX
	JNZ        eloop32

edone32:
	VZEROUPPER
	RET
