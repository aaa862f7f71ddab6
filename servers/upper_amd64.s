//go:build amd64 && !purego

#include "textflag.h"

// Sixteen copies of each constant: 0x1f shifts 'a'..'z' to 0x80..0x99,
// which are (as signed bytes) exactly those below 0x9a; 0x20 is the case bit.
DATA upperShift<>+0(SB)/8, $0x1f1f1f1f1f1f1f1f
DATA upperShift<>+8(SB)/8, $0x1f1f1f1f1f1f1f1f
GLOBL upperShift<>(SB), RODATA|NOPTR, $16
DATA upperLimit<>+0(SB)/8, $0x9a9a9a9a9a9a9a9a
DATA upperLimit<>+8(SB)/8, $0x9a9a9a9a9a9a9a9a
GLOBL upperLimit<>(SB), RODATA|NOPTR, $16
DATA upperCase<>+0(SB)/8, $0x2020202020202020
DATA upperCase<>+8(SB)/8, $0x2020202020202020
GLOBL upperCase<>(SB), RODATA|NOPTR, $16

// func upperVector(b []byte) int
TEXT ·upperVector(SB), NOSPLIT, $0-32
	MOVQ b_base+0(FP), SI
	MOVQ b_len+8(FP), CX
	ANDQ $~15, CX
	MOVQ CX, ret+24(FP)
	MOVOU upperShift<>(SB), X4
	MOVOU upperLimit<>(SB), X5
	MOVOU upperCase<>(SB), X6
	CMPQ CX, $32
	JB   one

	// 32 bytes per iteration, as two independent 16-byte lanes.
loop:
	MOVOU (SI), X0
	MOVOU 16(SI), X1
	MOVO  X0, X2
	MOVO  X1, X3
	PADDB X4, X2
	PADDB X4, X3
	MOVO  X5, X7
	MOVO  X5, X8
	PCMPGTB X2, X7 // X7 = 0xff where 0x9a > X2 (signed): a lowercase letter
	PCMPGTB X3, X8
	PAND  X6, X7
	PAND  X6, X8
	PXOR  X7, X0
	PXOR  X8, X1
	MOVOU X0, (SI)
	MOVOU X1, 16(SI)
	ADDQ  $32, SI
	SUBQ  $32, CX
	CMPQ  CX, $32
	JAE   loop

one:
	CMPQ  CX, $16
	JB    done
	MOVOU (SI), X0
	MOVO  X0, X2
	PADDB X4, X2
	MOVO  X5, X7
	PCMPGTB X2, X7
	PAND  X6, X7
	PXOR  X7, X0
	MOVOU X0, (SI)

done:
	RET
