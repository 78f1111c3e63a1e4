//go:build !purego

#include "textflag.h"

// The float32 packing of A (gemm.go's packA) for whole strips of six rows, with AVX:
// each value is multiplied by α (one rounding, as in the Go loops) and moved, so the
// packed block has the same bits as the Go loops write.

// func packS6(dst, a *float32, lda, n int, alpha float32)
//
// dst[6q + r] = α·a[r·lda + q] for r < 6 and q < n (a multiple of 8): eight steps at a
// time, the six rows' eight values transposed with unpacks and shuffles, each step's
// first four rows stored as one XMM and rows 4 and 5 as one quadword.
TEXT ·packS6(SB), NOSPLIT, $0-36
	MOVQ         dst+0(FP), DI
	MOVQ         a+8(FP), SI
	MOVQ         lda+16(FP), BX
	SHLQ         $2, BX
	MOVQ         n+24(FP), CX
	VBROADCASTSS alpha+32(FP), Y15
	LEAQ         (SI)(BX*2), R8
	LEAQ         (R8)(BX*2), R9
	SHRQ         $3, CX
	JZ           done6

loop6:
	VMULPS      (SI), Y15, Y0
	VMULPS      (SI)(BX*1), Y15, Y1
	VMULPS      (R8), Y15, Y2
	VMULPS      (R8)(BX*1), Y15, Y3
	VMULPS      (R9), Y15, Y4
	VMULPS      (R9)(BX*1), Y15, Y5
	VUNPCKLPS   Y1, Y0, Y6          // r0 r1 of steps 0, 1 | 4, 5
	VUNPCKHPS   Y1, Y0, Y7          // r0 r1 of steps 2, 3 | 6, 7
	VUNPCKLPS   Y3, Y2, Y8          // r2 r3 of steps 0, 1 | 4, 5
	VUNPCKHPS   Y3, Y2, Y9          // r2 r3 of steps 2, 3 | 6, 7
	VUNPCKLPS   Y5, Y4, Y10         // r4 r5 of steps 0, 1 | 4, 5
	VUNPCKHPS   Y5, Y4, Y11         // r4 r5 of steps 2, 3 | 6, 7
	VSHUFPS     $0x44, Y8, Y6, Y12  // r0..r3 of step 0 | 4
	VSHUFPS     $0xEE, Y8, Y6, Y13  // step 1 | 5
	VSHUFPS     $0x44, Y9, Y7, Y14  // step 2 | 6
	VSHUFPS     $0xEE, Y9, Y7, Y6   // step 3 | 7
	VMOVUPS     X12, 0(DI)
	VMOVQ       X10, 16(DI)
	VMOVUPS     X13, 24(DI)
	VMOVHPS     X10, 40(DI)
	VMOVUPS     X14, 48(DI)
	VMOVQ       X11, 64(DI)
	VMOVUPS     X6, 72(DI)
	VMOVHPS     X11, 88(DI)
	VEXTRACTF128 $1, Y12, X12
	VEXTRACTF128 $1, Y13, X13
	VEXTRACTF128 $1, Y14, X14
	VEXTRACTF128 $1, Y6, X6
	VEXTRACTF128 $1, Y10, X10
	VEXTRACTF128 $1, Y11, X11
	VMOVUPS     X12, 96(DI)
	VMOVQ       X10, 112(DI)
	VMOVUPS     X13, 120(DI)
	VMOVHPS     X10, 136(DI)
	VMOVUPS     X14, 144(DI)
	VMOVQ       X11, 160(DI)
	VMOVUPS     X6, 168(DI)
	VMOVHPS     X11, 184(DI)
	ADDQ        $32, SI
	ADDQ        $32, R8
	ADDQ        $32, R9
	ADDQ        $192, DI
	DECQ        CX
	JNZ         loop6

done6:
	VZEROUPPER
	RET

// func packS6T(dst, a *float32, lda, k, strips, stride int, alpha float32)
//
// The transposed case: for each step q < k, a's row q (a + q·lda) holds six values of
// each of strips strips; dst[t·stride + 6q + r] = α·a[q·lda + 6t + r].
TEXT ·packS6T(SB), NOSPLIT, $0-52
	MOVQ         dst+0(FP), DI
	MOVQ         a+8(FP), SI
	MOVQ         lda+16(FP), BX
	SHLQ         $2, BX
	MOVQ         k+24(FP), CX
	MOVQ         strips+32(FP), R10
	MOVQ         stride+40(FP), R11
	SHLQ         $2, R11
	VBROADCASTSS alpha+48(FP), X15
	TESTQ        CX, CX
	JZ           doneT
	TESTQ        R10, R10
	JZ           doneT

stepT:
	MOVQ SI, R8
	MOVQ DI, R9
	MOVQ R10, DX

stripT:
	VMULPS (R8), X15, X0
	VMOVQ  8*2(R8), X1
	VMULPS X1, X15, X1
	VMOVUPS X0, (R9)
	VMOVQ   X1, 16(R9)
	ADDQ    $24, R8
	ADDQ    R11, R9
	DECQ    DX
	JNZ     stripT
	ADDQ    BX, SI
	ADDQ    $24, DI
	DECQ    CX
	JNZ     stepT

doneT:
	RET

// func packT8(dst *float32, nr int, b *float32, ldb, n int)
//
// The packing of a transposed float32 B (gemm.go's packB): dst[q·nr + j] = b[j·ldb + q]
// for j < 8 and q < n (a multiple of 8), eight steps at a time: the eight rows' eight
// values loaded and transposed with unpacks, shuffles and lane permutes, each step's
// eight values stored as one YMM. Values are only moved.
TEXT ·packT8(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ nr+8(FP), R11
	SHLQ $2, R11
	MOVQ b+16(FP), SI
	MOVQ ldb+24(FP), BX
	SHLQ $2, BX
	MOVQ n+32(FP), CX
	LEAQ (BX)(BX*2), R9
	LEAQ (SI)(BX*4), R8
	LEAQ (R11)(R11*2), R12
	SHRQ $3, CX
	JZ   done8

loop8:
	VMOVUPS    (SI), Y0
	VMOVUPS    (SI)(BX*1), Y1
	VMOVUPS    (SI)(BX*2), Y2
	VMOVUPS    (SI)(R9*1), Y3
	VMOVUPS    (R8), Y4
	VMOVUPS    (R8)(BX*1), Y5
	VMOVUPS    (R8)(BX*2), Y6
	VMOVUPS    (R8)(R9*1), Y7
	VUNPCKLPS  Y1, Y0, Y8
	VUNPCKHPS  Y1, Y0, Y9
	VUNPCKLPS  Y3, Y2, Y10
	VUNPCKHPS  Y3, Y2, Y11
	VUNPCKLPS  Y5, Y4, Y12
	VUNPCKHPS  Y5, Y4, Y13
	VUNPCKLPS  Y7, Y6, Y14
	VUNPCKHPS  Y7, Y6, Y15
	VSHUFPS    $0x44, Y10, Y8, Y0   // rows 0..3 of steps 0 | 4
	VSHUFPS    $0xEE, Y10, Y8, Y1   // steps 1 | 5
	VSHUFPS    $0x44, Y11, Y9, Y2   // steps 2 | 6
	VSHUFPS    $0xEE, Y11, Y9, Y3   // steps 3 | 7
	VSHUFPS    $0x44, Y14, Y12, Y4  // rows 4..7 of steps 0 | 4
	VSHUFPS    $0xEE, Y14, Y12, Y5
	VSHUFPS    $0x44, Y15, Y13, Y6
	VSHUFPS    $0xEE, Y15, Y13, Y7
	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15
	LEAQ       (DI)(R11*4), R13
	VMOVUPS    Y8, (DI)
	VMOVUPS    Y9, (DI)(R11*1)
	VMOVUPS    Y10, (DI)(R11*2)
	VMOVUPS    Y11, (DI)(R12*1)
	VMOVUPS    Y12, (R13)
	VMOVUPS    Y13, (R13)(R11*1)
	VMOVUPS    Y14, (R13)(R11*2)
	VMOVUPS    Y15, (R13)(R12*1)
	LEAQ       (R13)(R11*4), DI
	ADDQ       $32, SI
	ADDQ       $32, R8
	DECQ       CX
	JNZ        loop8

done8:
	VZEROUPPER
	RET
