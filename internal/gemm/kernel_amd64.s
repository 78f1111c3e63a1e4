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
