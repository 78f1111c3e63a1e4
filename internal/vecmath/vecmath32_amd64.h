// What the float32 tanh and exp kernels of kernels32_amd64.s (AVX2, eight lanes) and
// kernels32x16_amd64.s (AVX-512, sixteen lanes) share: the constants, one float32 (or
// int32) each (vs<> is private to each file that includes this), and the expm1 reduction.
DATA vs<>+0(SB)/4, $0x7FFFFFFF  // |x| mask
DATA vs<>+4(SB)/4, $0x80000000  // sign mask
DATA vs<>+8(SB)/4, $0xC0000000  // −2
DATA vs<>+12(SB)/4, $0xC1A00000 // −20: tanh 10 is 1 in float32 (tanh 9 is not)
DATA vs<>+16(SB)/4, $0x3FB8AA3B // log2 e
DATA vs<>+20(SB)/4, $0x3F318000 // ln 2, high part 0.693359375 (9 bits: n·hi is exact)
DATA vs<>+24(SB)/4, $0xB95E8083 // ln 2, low part (ln 2 − hi, rounded)
DATA vs<>+28(SB)/4, $0x3F800000 // 1
DATA vs<>+32(SB)/4, $0x40000000 // 2
DATA vs<>+36(SB)/4, $127        // exponent bias
DATA vs<>+40(SB)/4, $0x37D00D01 // 1/8!
DATA vs<>+44(SB)/4, $0x39500D01 // 1/7!
DATA vs<>+48(SB)/4, $0x3AB60B61 // 1/6!
DATA vs<>+52(SB)/4, $0x3C088889 // 1/5!
DATA vs<>+56(SB)/4, $0x3D2AAAAB // 1/4!
DATA vs<>+60(SB)/4, $0x3E2AAAAB // 1/3!
DATA vs<>+64(SB)/4, $0x3F000000 // 1/2
DATA vs<>+68(SB)/4, $0xC2D00000 // −104: exp is 0 below −103.98
DATA vs<>+72(SB)/4, $0x42B20000 // 89: exp is +Inf above 88.73
GLOBL vs<>(SB), RODATA|NOPTR, $76

// EXPM1S reduces the float32 lanes of v (|v| ≤ 104): n = round(v·log2 e) and
// m = expm1(r) for r = v − n·ln 2 (the two parts of ln 2 each taken off with one fused
// multiply-add), m = r + r²·Σ_{k=2..8} r^(k−2)/k! in Horner form, using p, q and c; ROUND is
// VROUNDPS for YMM registers (AVX2) or VRNDSCALEPS for ZMM ones (AVX-512), both rounding
// to nearest even.
#define EXPM1S(ROUND, v, n, m, p, q, c) \
	VBROADCASTSS vs<>+16(SB), c \
	VMULPS       c, v, n \
	ROUND        $0, n, n \
	VMOVAPS      v, m \
	VBROADCASTSS vs<>+20(SB), c \
	VFNMADD231PS c, n, m \
	VBROADCASTSS vs<>+24(SB), c \
	VFNMADD231PS c, n, m \
	VBROADCASTSS vs<>+40(SB), p \
	VBROADCASTSS vs<>+44(SB), c \
	VFMADD213PS  c, m, p \
	VBROADCASTSS vs<>+48(SB), c \
	VFMADD213PS  c, m, p \
	VBROADCASTSS vs<>+52(SB), c \
	VFMADD213PS  c, m, p \
	VBROADCASTSS vs<>+56(SB), c \
	VFMADD213PS  c, m, p \
	VBROADCASTSS vs<>+60(SB), c \
	VFMADD213PS  c, m, p \
	VBROADCASTSS vs<>+64(SB), c \
	VFMADD213PS  c, m, p \
	VMULPS       m, m, q \
	VFMADD231PS  p, q, m
