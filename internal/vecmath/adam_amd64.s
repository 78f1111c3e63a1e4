//go:build !purego

#include "textflag.h"

// The Adam update (adam.go) eight float64 or sixteen float32 lanes at a time with AVX-512
// Foundation instructions: each operation of adamGo in its order, none fused, the clamp by
// ordered comparisons and masked moves (so NaN passes).

// func adam64z(k *AdamConsts[float64], w, grad, m, v *float64, n int)
TEXT ·adam64z(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), AX
	MOVQ w+8(FP), DI
	MOVQ grad+16(FP), SI
	MOVQ m+24(FP), R8
	MOVQ v+32(FP), R9
	MOVQ n+40(FP), CX
	SHRQ $3, CX
	JZ   adone64
	VBROADCASTSD 0(AX), Z16  // Clip
	VBROADCASTSD 8(AX), Z17  // NegClip
	VBROADCASTSD 16(AX), Z18 // Beta1
	VBROADCASTSD 24(AX), Z19 // Beta2
	VBROADCASTSD 32(AX), Z20 // OmB1
	VBROADCASTSD 40(AX), Z21 // OmB2
	VBROADCASTSD 48(AX), Z22 // Eps
	VBROADCASTSD 56(AX), Z23 // NegEta
	VBROADCASTSD 64(AX), Z24 // CV1
	VBROADCASTSD 72(AX), Z25 // CV2
	VPXORQ       Z26, Z26, Z26

aloop64:
	VMOVUPD (SI), Z0
	VCMPPD  $0x11, Z17, Z0, K1 // g < NegClip
	VMOVAPD Z17, K1, Z0
	VCMPPD  $0x1E, Z16, Z0, K2 // g > Clip
	VMOVAPD Z16, K2, Z0
	VMULPD  Z20, Z0, Z1        // t1 = g·OmB1
	VMULPD  Z0, Z0, Z2         // g2 = g·g
	VMULPD  Z21, Z2, Z2        // g2 = g2·OmB2
	VMULPD  (R8), Z18, Z3      // m·Beta1
	VADDPD  Z3, Z1, Z1         // m' = t1 + m·Beta1
	VMULPD  (R9), Z19, Z4      // v·Beta2
	VADDPD  Z4, Z2, Z2         // v' = g2 + v·Beta2
	VMOVUPD Z1, (R8)
	VMOVUPD Z2, (R9)
	VMULPD  Z24, Z1, Z1        // m'·CV1
	VMULPD  Z25, Z2, Z2        // v'·CV2
	VSQRTPD Z2, Z2
	VADDPD  Z22, Z2, Z2        // + Eps
	VMULPD  Z23, Z1, Z1        // ·NegEta
	VDIVPD  Z2, Z1, Z1         // Z1 / Z2
	VADDPD  (DI), Z1, Z1       // w + update
	VMOVUPD Z1, (DI)
	VMOVUPD Z26, (SI)          // g = 0
	ADDQ    $64, SI
	ADDQ    $64, DI
	ADDQ    $64, R8
	ADDQ    $64, R9
	DECQ    CX
	JNZ     aloop64

adone64:
	VZEROUPPER
	RET

// func adam32z(k *AdamConsts[float32], w, grad, m, v *float32, n int)
TEXT ·adam32z(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), AX
	MOVQ w+8(FP), DI
	MOVQ grad+16(FP), SI
	MOVQ m+24(FP), R8
	MOVQ v+32(FP), R9
	MOVQ n+40(FP), CX
	SHRQ $4, CX
	JZ   adone32
	VBROADCASTSS 0(AX), Z16  // Clip
	VBROADCASTSS 4(AX), Z17  // NegClip
	VBROADCASTSS 8(AX), Z18  // Beta1
	VBROADCASTSS 12(AX), Z19 // Beta2
	VBROADCASTSS 16(AX), Z20 // OmB1
	VBROADCASTSS 20(AX), Z21 // OmB2
	VBROADCASTSS 24(AX), Z22 // Eps
	VBROADCASTSS 28(AX), Z23 // NegEta
	VBROADCASTSS 32(AX), Z24 // CV1
	VBROADCASTSS 36(AX), Z25 // CV2
	VPXORQ       Z26, Z26, Z26

aloop32:
	VMOVUPS (SI), Z0
	VCMPPS  $0x11, Z17, Z0, K1
	VMOVAPS Z17, K1, Z0
	VCMPPS  $0x1E, Z16, Z0, K2
	VMOVAPS Z16, K2, Z0
	VMULPS  Z20, Z0, Z1
	VMULPS  Z0, Z0, Z2
	VMULPS  Z21, Z2, Z2
	VMULPS  (R8), Z18, Z3
	VADDPS  Z3, Z1, Z1
	VMULPS  (R9), Z19, Z4
	VADDPS  Z4, Z2, Z2
	VMOVUPS Z1, (R8)
	VMOVUPS Z2, (R9)
	VMULPS  Z24, Z1, Z1
	VMULPS  Z25, Z2, Z2
	VSQRTPS Z2, Z2
	VADDPS  Z22, Z2, Z2
	VMULPS  Z23, Z1, Z1
	VDIVPS  Z2, Z1, Z1
	VADDPS  (DI), Z1, Z1
	VMOVUPS Z1, (DI)
	VMOVUPS Z26, (SI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	ADDQ    $64, R8
	ADDQ    $64, R9
	DECQ    CX
	JNZ     aloop32

adone32:
	VZEROUPPER
	RET
