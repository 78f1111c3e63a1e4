// What the float64 tanh and exp kernels of kernels_amd64.s (AVX2) and kernels512_amd64.s
// (AVX-512) share: the constants, one float64 (or int64) each (vc<> is private to each
// file that includes this), and the expm1 reduction.
DATA vc<>+0(SB)/8, $0x7FFFFFFFFFFFFFFF   // |x| mask
DATA vc<>+8(SB)/8, $0x8000000000000000   // sign mask
DATA vc<>+16(SB)/8, $0xC000000000000000  // −2
DATA vc<>+24(SB)/8, $0xC044000000000000  // −40: tanh 20 is 1 in float64
DATA vc<>+32(SB)/8, $0x3FF71547652B82FE  // log2 e
DATA vc<>+40(SB)/8, $0x3FE62E42FEE00000  // ln 2, high part (n·hi is exact)
DATA vc<>+48(SB)/8, $0x3DEA39EF35793C76  // ln 2, low part
DATA vc<>+56(SB)/8, $0x3FF0000000000000  // 1
DATA vc<>+64(SB)/8, $0x4000000000000000  // 2
DATA vc<>+72(SB)/8, $1023               // exponent bias
DATA vc<>+80(SB)/8, $0x3DE6124613A86D09  // 1/13!
DATA vc<>+88(SB)/8, $0x3E21EED8EFF8D898  // 1/12!
DATA vc<>+96(SB)/8, $0x3E5AE64567F544E4  // 1/11!
DATA vc<>+104(SB)/8, $0x3E927E4FB7789F5C // 1/10!
DATA vc<>+112(SB)/8, $0x3EC71DE3A556C734 // 1/9!
DATA vc<>+120(SB)/8, $0x3EFA01A01A01A01A // 1/8!
DATA vc<>+128(SB)/8, $0x3F2A01A01A01A01A // 1/7!
DATA vc<>+136(SB)/8, $0x3F56C16C16C16C17 // 1/6!
DATA vc<>+144(SB)/8, $0x3F81111111111111 // 1/5!
DATA vc<>+152(SB)/8, $0x3FA5555555555555 // 1/4!
DATA vc<>+160(SB)/8, $0x3FC5555555555555 // 1/3!
DATA vc<>+168(SB)/8, $0x3FE0000000000000 // 1/2
DATA vc<>+176(SB)/8, $0xC087500000000000 // −746: exp is 0 below −745.14
DATA vc<>+184(SB)/8, $0x4086300000000000 // 710: exp is +Inf above 709.79
GLOBL vc<>(SB), RODATA|NOPTR, $192

// EXPM1 reduces the float64 lanes of v (|v| < 1022·ln 2): n = round(v·log2 e) and
// m = expm1(r) for r = v − n·ln 2, using p, q and c; ROUND is VROUNDPD for YMM registers
// (AVX2) or VRNDSCALEPD for ZMM ones (AVX-512), both rounding to nearest even.
#define EXPM1(ROUND, v, n, m, p, q, c) \
	VBROADCASTSD vc<>+32(SB), c \
	VMULPD       c, v, n \
	ROUND        $0, n, n \
	VMOVAPD      v, m \
	VBROADCASTSD vc<>+40(SB), c \
	VFNMADD231PD c, n, m \
	VBROADCASTSD vc<>+48(SB), c \
	VFNMADD231PD c, n, m \
	VBROADCASTSD vc<>+80(SB), p \
	VBROADCASTSD vc<>+88(SB), c \
	VFMADD213PD  c, m, p \
	VBROADCASTSD vc<>+96(SB), c \
	VFMADD213PD  c, m, p \
	VBROADCASTSD vc<>+104(SB), c \
	VFMADD213PD  c, m, p \
	VBROADCASTSD vc<>+112(SB), c \
	VFMADD213PD  c, m, p \
	VBROADCASTSD vc<>+120(SB), c \
	VFMADD213PD  c, m, p \
	VBROADCASTSD vc<>+128(SB), c \
	VFMADD213PD  c, m, p \
	VBROADCASTSD vc<>+136(SB), c \
	VFMADD213PD  c, m, p \
	VBROADCASTSD vc<>+144(SB), c \
	VFMADD213PD  c, m, p \
	VBROADCASTSD vc<>+152(SB), c \
	VFMADD213PD  c, m, p \
	VBROADCASTSD vc<>+160(SB), c \
	VFMADD213PD  c, m, p \
	VBROADCASTSD vc<>+168(SB), c \
	VFMADD213PD  c, m, p \
	VMULPD       m, m, q \
	VFMADD231PD  p, q, m
