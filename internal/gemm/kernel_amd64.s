//go:build !purego

#include "textflag.h"

// KERNEL is the 6×NR micro-kernel: C[0:6, 0:NR] += Ap·Bp (ROW = ROWADD) or
// C[0:6, 0:NR] = Ap·Bp (ROW = ROWSET, C not read) over k steps, where each step
// holds 6 values of Ap (ASTEP bytes) and NR values of Bp (two vectors, 64 bytes); C's rows
// are ldc elements (of SHIFT: 8 or 4 bytes) apart. Twelve accumulators Y0..Y11 (row r in
// Y(2r), Y(2r+1)), B in Y12 and Y13, broadcasts of A in Y14 and Y15. XOR, LOAD, BCAST,
// FMA, ADD and STORE are the float64 or float32 forms; ESIZE is the element size.
#define KERNEL(XOR, LOAD, BCAST, FMA, ADD, STORE, ESIZE, SHIFT, ROW, loop, store) \
	MOVQ k+0(FP), CX \
	MOVQ a+8(FP), SI \
	MOVQ b+16(FP), DI \
	MOVQ c+24(FP), DX \
	MOVQ ldc+32(FP), R8 \
	SHLQ $SHIFT, R8 \
	XOR  Y0, Y0, Y0 \
	XOR  Y1, Y1, Y1 \
	XOR  Y2, Y2, Y2 \
	XOR  Y3, Y3, Y3 \
	XOR  Y4, Y4, Y4 \
	XOR  Y5, Y5, Y5 \
	XOR  Y6, Y6, Y6 \
	XOR  Y7, Y7, Y7 \
	XOR  Y8, Y8, Y8 \
	XOR  Y9, Y9, Y9 \
	XOR  Y10, Y10, Y10 \
	XOR  Y11, Y11, Y11 \
	TESTQ CX, CX \
	JE    store \
loop: \
	LOAD  (DI), Y12 \
	LOAD  32(DI), Y13 \
	BCAST (SI), Y14 \
	BCAST (1*ESIZE)(SI), Y15 \
	FMA   Y12, Y14, Y0 \
	FMA   Y13, Y14, Y1 \
	FMA   Y12, Y15, Y2 \
	FMA   Y13, Y15, Y3 \
	BCAST (2*ESIZE)(SI), Y14 \
	BCAST (3*ESIZE)(SI), Y15 \
	FMA   Y12, Y14, Y4 \
	FMA   Y13, Y14, Y5 \
	FMA   Y12, Y15, Y6 \
	FMA   Y13, Y15, Y7 \
	BCAST (4*ESIZE)(SI), Y14 \
	BCAST (5*ESIZE)(SI), Y15 \
	FMA   Y12, Y14, Y8 \
	FMA   Y13, Y14, Y9 \
	FMA   Y12, Y15, Y10 \
	FMA   Y13, Y15, Y11 \
	ADDQ  $(6*ESIZE), SI \
	ADDQ  $64, DI \
	DECQ  CX \
	JNE   loop \
store: \
	ROW(ADD, STORE, Y0, Y1) \
	ADDQ  R8, DX \
	ROW(ADD, STORE, Y2, Y3) \
	ADDQ  R8, DX \
	ROW(ADD, STORE, Y4, Y5) \
	ADDQ  R8, DX \
	ROW(ADD, STORE, Y6, Y7) \
	ADDQ  R8, DX \
	ROW(ADD, STORE, Y8, Y9) \
	ADDQ  R8, DX \
	ROW(ADD, STORE, Y10, Y11) \
	VZEROUPPER \
	RET

// ROWADD adds two accumulators into the row of C at DX; ROWSET stores them there.
#define ROWADD(ADD, STORE, lo, hi) \
	ADD   (DX), lo, lo \
	ADD   32(DX), hi, hi \
	STORE lo, (DX) \
	STORE hi, 32(DX)

#define ROWSET(ADD, STORE, lo, hi) \
	STORE lo, (DX) \
	STORE hi, 32(DX)


// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv0() (eax, edx uint32)
TEXT ·xgetbv0(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET

// func kernD(k int, a, b, c *float64, ldc int)
// C[0:6, 0:8] += Ap·Bp in float64.
TEXT ·kernD(SB), NOSPLIT, $0-40
	KERNEL(VXORPD, VMOVUPD, VBROADCASTSD, VFMADD231PD, VADDPD, VMOVUPD, 8, 3, ROWADD, dloop, dstore)

// func kernDSet(k int, a, b, c *float64, ldc int)
// C[0:6, 0:8] = Ap·Bp in float64.
TEXT ·kernDSet(SB), NOSPLIT, $0-40
	KERNEL(VXORPD, VMOVUPD, VBROADCASTSD, VFMADD231PD, VADDPD, VMOVUPD, 8, 3, ROWSET, dsloop, dsstore)

// func kernS(k int, a, b, c *float32, ldc int)
// C[0:6, 0:16] += Ap·Bp in float32.
TEXT ·kernS(SB), NOSPLIT, $0-40
	KERNEL(VXORPS, VMOVUPS, VBROADCASTSS, VFMADD231PS, VADDPS, VMOVUPS, 4, 2, ROWADD, sloop, sstore)

// func kernSSet(k int, a, b, c *float32, ldc int)
// C[0:6, 0:16] = Ap·Bp in float32.
TEXT ·kernSSet(SB), NOSPLIT, $0-40
	KERNEL(VXORPS, VMOVUPS, VBROADCASTSS, VFMADD231PS, VADDPS, VMOVUPS, 4, 2, ROWSET, ssloop, ssstore)

// KERNEL512 is the AVX-512 6×NR micro-kernel, NR being four ZMM vectors (32 float64 or
// 64 float32 values, 256 bytes a step of Bp): the same sums as KERNEL, in the same
// order. Twenty-four accumulators Z0..Z23 (row r in Z(4r)..Z(4r+3)), B in Z24..Z27,
// broadcasts of A in Z28..Z31. ZERO must be an AVX-512F instruction (VPXORQ), since
// VEX-encoded forms cannot reach Z16..Z31.
#define KERNEL512(LOAD, BCAST, FMA, ADD, STORE, ESIZE, SHIFT, ROW, loop, store) \
	MOVQ k+0(FP), CX \
	MOVQ a+8(FP), SI \
	MOVQ b+16(FP), DI \
	MOVQ c+24(FP), DX \
	MOVQ ldc+32(FP), R8 \
	SHLQ $SHIFT, R8 \
	VPXORQ Z0, Z0, Z0 \
	VPXORQ Z1, Z1, Z1 \
	VPXORQ Z2, Z2, Z2 \
	VPXORQ Z3, Z3, Z3 \
	VPXORQ Z4, Z4, Z4 \
	VPXORQ Z5, Z5, Z5 \
	VPXORQ Z6, Z6, Z6 \
	VPXORQ Z7, Z7, Z7 \
	VPXORQ Z8, Z8, Z8 \
	VPXORQ Z9, Z9, Z9 \
	VPXORQ Z10, Z10, Z10 \
	VPXORQ Z11, Z11, Z11 \
	VPXORQ Z12, Z12, Z12 \
	VPXORQ Z13, Z13, Z13 \
	VPXORQ Z14, Z14, Z14 \
	VPXORQ Z15, Z15, Z15 \
	VPXORQ Z16, Z16, Z16 \
	VPXORQ Z17, Z17, Z17 \
	VPXORQ Z18, Z18, Z18 \
	VPXORQ Z19, Z19, Z19 \
	VPXORQ Z20, Z20, Z20 \
	VPXORQ Z21, Z21, Z21 \
	VPXORQ Z22, Z22, Z22 \
	VPXORQ Z23, Z23, Z23 \
	TESTQ CX, CX \
	JE    store \
loop: \
	LOAD  (DI), Z24 \
	LOAD  64(DI), Z25 \
	LOAD  128(DI), Z26 \
	LOAD  192(DI), Z27 \
	BCAST (SI), Z28 \
	BCAST (1*ESIZE)(SI), Z29 \
	FMA   Z24, Z28, Z0 \
	FMA   Z25, Z28, Z1 \
	FMA   Z26, Z28, Z2 \
	FMA   Z27, Z28, Z3 \
	BCAST (2*ESIZE)(SI), Z30 \
	FMA   Z24, Z29, Z4 \
	FMA   Z25, Z29, Z5 \
	FMA   Z26, Z29, Z6 \
	FMA   Z27, Z29, Z7 \
	BCAST (3*ESIZE)(SI), Z31 \
	FMA   Z24, Z30, Z8 \
	FMA   Z25, Z30, Z9 \
	FMA   Z26, Z30, Z10 \
	FMA   Z27, Z30, Z11 \
	BCAST (4*ESIZE)(SI), Z28 \
	FMA   Z24, Z31, Z12 \
	FMA   Z25, Z31, Z13 \
	FMA   Z26, Z31, Z14 \
	FMA   Z27, Z31, Z15 \
	BCAST (5*ESIZE)(SI), Z29 \
	FMA   Z24, Z28, Z16 \
	FMA   Z25, Z28, Z17 \
	FMA   Z26, Z28, Z18 \
	FMA   Z27, Z28, Z19 \
	FMA   Z24, Z29, Z20 \
	FMA   Z25, Z29, Z21 \
	FMA   Z26, Z29, Z22 \
	FMA   Z27, Z29, Z23 \
	ADDQ  $(6*ESIZE), SI \
	ADDQ  $256, DI \
	DECQ  CX \
	JNE   loop \
store: \
	ROW(ADD, STORE, Z0, Z1, Z2, Z3) \
	ADDQ  R8, DX \
	ROW(ADD, STORE, Z4, Z5, Z6, Z7) \
	ADDQ  R8, DX \
	ROW(ADD, STORE, Z8, Z9, Z10, Z11) \
	ADDQ  R8, DX \
	ROW(ADD, STORE, Z12, Z13, Z14, Z15) \
	ADDQ  R8, DX \
	ROW(ADD, STORE, Z16, Z17, Z18, Z19) \
	ADDQ  R8, DX \
	ROW(ADD, STORE, Z20, Z21, Z22, Z23) \
	VZEROUPPER \
	RET

// ROW512ADD adds four accumulators into the row of C at DX; ROW512SET stores them there.
#define ROW512ADD(ADD, STORE, r0, r1, r2, r3) \
	ADD   (DX), r0, r0 \
	ADD   64(DX), r1, r1 \
	ADD   128(DX), r2, r2 \
	ADD   192(DX), r3, r3 \
	STORE r0, (DX) \
	STORE r1, 64(DX) \
	STORE r2, 128(DX) \
	STORE r3, 192(DX)

#define ROW512SET(ADD, STORE, r0, r1, r2, r3) \
	STORE r0, (DX) \
	STORE r1, 64(DX) \
	STORE r2, 128(DX) \
	STORE r3, 192(DX)

// func kernD512(k int, a, b, c *float64, ldc int)
// C[0:6, 0:32] += Ap·Bp in float64.
TEXT ·kernD512(SB), NOSPLIT, $0-40
	KERNEL512(VMOVUPD, VBROADCASTSD, VFMADD231PD, VADDPD, VMOVUPD, 8, 3, ROW512ADD, d5loop, d5store)

// func kernD512Set(k int, a, b, c *float64, ldc int)
// C[0:6, 0:32] = Ap·Bp in float64.
TEXT ·kernD512Set(SB), NOSPLIT, $0-40
	KERNEL512(VMOVUPD, VBROADCASTSD, VFMADD231PD, VADDPD, VMOVUPD, 8, 3, ROW512SET, d5sloop, d5sstore)

// func kernS512(k int, a, b, c *float32, ldc int)
// C[0:6, 0:64] += Ap·Bp in float32.
TEXT ·kernS512(SB), NOSPLIT, $0-40
	KERNEL512(VMOVUPS, VBROADCASTSS, VFMADD231PS, VADDPS, VMOVUPS, 4, 2, ROW512ADD, s5loop, s5store)

// func kernS512Set(k int, a, b, c *float32, ldc int)
// C[0:6, 0:64] = Ap·Bp in float32.
TEXT ·kernS512Set(SB), NOSPLIT, $0-40
	KERNEL512(VMOVUPS, VBROADCASTSS, VFMADD231PS, VADDPS, VMOVUPS, 4, 2, ROW512SET, s5sloop, s5sstore)
