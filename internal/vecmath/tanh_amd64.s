//go:build !purego

#include "textflag.h"

// Constants, one float64 (or int64) each.
DATA tc<>+0(SB)/8, $0x7FFFFFFFFFFFFFFF   // |x| mask
DATA tc<>+8(SB)/8, $0x8000000000000000   // sign mask
DATA tc<>+16(SB)/8, $0xC000000000000000  // −2
DATA tc<>+24(SB)/8, $0xC044000000000000  // −40: tanh(20) is 1 in float64
DATA tc<>+32(SB)/8, $0x3FF71547652B82FE  // log2 e
DATA tc<>+40(SB)/8, $0x3FE62E42FEE00000  // ln 2, high part (n·hi is exact)
DATA tc<>+48(SB)/8, $0x3DEA39EF35793C76  // ln 2, low part
DATA tc<>+56(SB)/8, $0x3FF0000000000000  // 1
DATA tc<>+64(SB)/8, $0x4000000000000000  // 2
DATA tc<>+72(SB)/8, $1023               // exponent bias
DATA tc<>+80(SB)/8, $0x3DE6124613A86D09  // 1/13!
DATA tc<>+88(SB)/8, $0x3E21EED8EFF8D898  // 1/12!
DATA tc<>+96(SB)/8, $0x3E5AE64567F544E4  // 1/11!
DATA tc<>+104(SB)/8, $0x3E927E4FB7789F5C // 1/10!
DATA tc<>+112(SB)/8, $0x3EC71DE3A556C734 // 1/9!
DATA tc<>+120(SB)/8, $0x3EFA01A01A01A01A // 1/8!
DATA tc<>+128(SB)/8, $0x3F2A01A01A01A01A // 1/7!
DATA tc<>+136(SB)/8, $0x3F56C16C16C16C17 // 1/6!
DATA tc<>+144(SB)/8, $0x3F81111111111111 // 1/5!
DATA tc<>+152(SB)/8, $0x3FA5555555555555 // 1/4!
DATA tc<>+160(SB)/8, $0x3FC5555555555555 // 1/3!
DATA tc<>+168(SB)/8, $0x3FE0000000000000 // 1/2
GLOBL tc<>(SB), RODATA|NOPTR, $176

// TANH4 computes tanh of the four float64 lanes of Y0 into Y10 (see tanh.go for the
// method). It uses Y1..Y13.
#define TANH4 \
	VBROADCASTSD tc<>+0(SB), Y13 \
	VANDPD       Y13, Y0, Y1 \
	VBROADCASTSD tc<>+16(SB), Y13 \
	VMULPD       Y13, Y1, Y2 \
	VBROADCASTSD tc<>+24(SB), Y13 \
	VMAXPD       Y13, Y2, Y2 \
	VBROADCASTSD tc<>+32(SB), Y13 \
	VMULPD       Y13, Y2, Y3 \
	VROUNDPD     $0, Y3, Y3 \
	VMOVAPD      Y2, Y4 \
	VBROADCASTSD tc<>+40(SB), Y13 \
	VFNMADD231PD Y13, Y3, Y4 \
	VBROADCASTSD tc<>+48(SB), Y13 \
	VFNMADD231PD Y13, Y3, Y4 \
	VBROADCASTSD tc<>+80(SB), Y5 \
	VBROADCASTSD tc<>+88(SB), Y13 \
	VFMADD213PD  Y13, Y4, Y5 \
	VBROADCASTSD tc<>+96(SB), Y13 \
	VFMADD213PD  Y13, Y4, Y5 \
	VBROADCASTSD tc<>+104(SB), Y13 \
	VFMADD213PD  Y13, Y4, Y5 \
	VBROADCASTSD tc<>+112(SB), Y13 \
	VFMADD213PD  Y13, Y4, Y5 \
	VBROADCASTSD tc<>+120(SB), Y13 \
	VFMADD213PD  Y13, Y4, Y5 \
	VBROADCASTSD tc<>+128(SB), Y13 \
	VFMADD213PD  Y13, Y4, Y5 \
	VBROADCASTSD tc<>+136(SB), Y13 \
	VFMADD213PD  Y13, Y4, Y5 \
	VBROADCASTSD tc<>+144(SB), Y13 \
	VFMADD213PD  Y13, Y4, Y5 \
	VBROADCASTSD tc<>+152(SB), Y13 \
	VFMADD213PD  Y13, Y4, Y5 \
	VBROADCASTSD tc<>+160(SB), Y13 \
	VFMADD213PD  Y13, Y4, Y5 \
	VBROADCASTSD tc<>+168(SB), Y13 \
	VFMADD213PD  Y13, Y4, Y5 \
	VMULPD       Y4, Y4, Y6 \
	VFMADD231PD  Y5, Y6, Y4 \
	VCVTPD2DQY   Y3, X7 \
	VPMOVSXDQ    X7, Y7 \
	VPBROADCASTQ tc<>+72(SB), Y13 \
	VPADDQ       Y13, Y7, Y7 \
	VPSLLQ       $52, Y7, Y7 \
	VBROADCASTSD tc<>+56(SB), Y13 \
	VSUBPD       Y13, Y7, Y8 \
	VFMADD231PD  Y4, Y7, Y8 \
	VBROADCASTSD tc<>+64(SB), Y13 \
	VADDPD       Y13, Y8, Y9 \
	VBROADCASTSD tc<>+0(SB), Y13 \
	VANDPD       Y13, Y8, Y10 \
	VDIVPD       Y9, Y10, Y10 \
	VBROADCASTSD tc<>+8(SB), Y13 \
	VANDPD       Y13, Y0, Y11 \
	VORPD        Y11, Y10, Y10 \
	VCMPPD       $3, Y0, Y0, Y12 \
	VBLENDVPD    Y12, Y0, Y10, Y10

// func tanh64(dst, src *float64, n int)
// n is a multiple of 4.
TEXT ·tanh64(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $2, CX
	JZ   done64

loop64:
	VMOVUPD (SI), Y0
	TANH4
	VMOVUPD Y10, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     loop64

done64:
	VZEROUPPER
	RET

// func tanh32(dst, src *float32, n int)
// n is a multiple of 4; each float32 is widened, and the float64 result rounded once.
TEXT ·tanh32(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $2, CX
	JZ   done32

loop32:
	VCVTPS2PD  (SI), Y0
	TANH4
	VCVTPD2PSY Y10, X10
	VMOVUPS    X10, (DI)
	ADDQ       $16, SI
	ADDQ       $16, DI
	DECQ       CX
	JNZ        loop32

done32:
	VZEROUPPER
	RET
