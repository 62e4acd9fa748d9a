/*
 * The x86 decoder: prefixes, opcode maps, ModRM/SIB (16-, 32- and 64-bit
 * addressing) and immediates into an X86Insn whose handler is resolved
 * here, once, so that executing a cached instruction is one indirect call.
 */
#include "target/x86_64/tcg/tcg_cpu.h"
#include "target/x86_64/tcg/sse.h"

enum {
    F_MODRM = 1 << 0,
    F_BYTE = 1 << 1,            /* byte operands: reg and rm */
    F_RMBYTE = 1 << 2,          /* byte rm only (MOVZX, SETcc) */
    F_DEF64 = 1 << 3,           /* 64-bit operand size by default */
    F_NO64 = 1 << 4,            /* invalid in 64-bit mode */
    F_REGOP = 1 << 5,           /* register in the low 3 opcode bits */
    F_GROUP = 1 << 6,           /* handler chosen by ModRM.reg */
    F_F64 = 1 << 7,             /* always 64-bit in long mode (branches) */
};

enum { I_NONE, I_B, I_UB, I_W, I_Z, I_V, I_MOFFS, I_FAR, I_ENTER };

typedef struct OpInfo {
    X86InsnFn fn;
    uint8_t flags;
    uint8_t imm;
    uint8_t ext;
} OpInfo;

#define ALU(n, name)                                                    \
    [n * 8 + 0] = { op_##name##_rm_r, F_MODRM | F_BYTE, I_NONE, n },    \
    [n * 8 + 1] = { op_##name##_rm_r, F_MODRM, I_NONE, n },             \
    [n * 8 + 2] = { op_##name##_r_rm, F_MODRM | F_BYTE, I_NONE, n },    \
    [n * 8 + 3] = { op_##name##_r_rm, F_MODRM, I_NONE, n },             \
    [n * 8 + 4] = { op_##name##_a_i, F_BYTE, I_B, n },                  \
    [n * 8 + 5] = { op_##name##_a_i, 0, I_Z, n },

#define R8(base, fn_, fl, im)                                           \
    [base + 0] = { fn_, (fl) | F_REGOP, im, 0 },                        \
    [base + 1] = { fn_, (fl) | F_REGOP, im, 0 },                        \
    [base + 2] = { fn_, (fl) | F_REGOP, im, 0 },                        \
    [base + 3] = { fn_, (fl) | F_REGOP, im, 0 },                        \
    [base + 4] = { fn_, (fl) | F_REGOP, im, 0 },                        \
    [base + 5] = { fn_, (fl) | F_REGOP, im, 0 },                        \
    [base + 6] = { fn_, (fl) | F_REGOP, im, 0 },                        \
    [base + 7] = { fn_, (fl) | F_REGOP, im, 0 }

#define CC16(base, fn_, fl, im)                                         \
    [base + 0] = { fn_, fl, im, 0 }, [base + 1] = { fn_, fl, im, 1 },   \
    [base + 2] = { fn_, fl, im, 2 }, [base + 3] = { fn_, fl, im, 3 },   \
    [base + 4] = { fn_, fl, im, 4 }, [base + 5] = { fn_, fl, im, 5 },   \
    [base + 6] = { fn_, fl, im, 6 }, [base + 7] = { fn_, fl, im, 7 },   \
    [base + 8] = { fn_, fl, im, 8 }, [base + 9] = { fn_, fl, im, 9 },   \
    [base + 10] = { fn_, fl, im, 10 }, [base + 11] = { fn_, fl, im, 11 }, \
    [base + 12] = { fn_, fl, im, 12 }, [base + 13] = { fn_, fl, im, 13 }, \
    [base + 14] = { fn_, fl, im, 14 }, [base + 15] = { fn_, fl, im, 15 }

static const OpInfo op1[256] = {
    X86_ALU_OPS(ALU)
    [0x06] = { op_push_seg, F_NO64, I_NONE, SEG_ES },
    [0x07] = { op_pop_seg, F_NO64, I_NONE, SEG_ES },
    [0x0e] = { op_push_seg, F_NO64, I_NONE, SEG_CS },
    [0x16] = { op_push_seg, F_NO64, I_NONE, SEG_SS },
    [0x17] = { op_pop_seg, F_NO64, I_NONE, SEG_SS },
    [0x1e] = { op_push_seg, F_NO64, I_NONE, SEG_DS },
    [0x1f] = { op_pop_seg, F_NO64, I_NONE, SEG_DS },
    R8(0x40, op_inc_r, 0, I_NONE),
    R8(0x48, op_dec_r, 0, I_NONE),
    R8(0x50, op_push_r, F_DEF64, I_NONE),
    R8(0x58, op_pop_r, F_DEF64, I_NONE),
    [0x60] = { op_pusha, F_NO64, I_NONE, 0 },
    [0x61] = { op_popa, F_NO64, I_NONE, 0 },
    [0x63] = { op_movsxd, F_MODRM, I_NONE, 0 },
    [0x68] = { op_push_i, F_DEF64, I_Z, 0 },
    [0x69] = { op_imul_r_rm_i, F_MODRM, I_Z, 0 },
    [0x6a] = { op_push_i, F_DEF64, I_B, 0 },
    [0x6b] = { op_imul_r_rm_i, F_MODRM, I_B, 0 },
    [0x6c] = { op_ins, F_BYTE, I_NONE, 0 },
    [0x6d] = { op_ins, 0, I_NONE, 0 },
    [0x6e] = { op_outs, F_BYTE, I_NONE, 0 },
    [0x6f] = { op_outs, 0, I_NONE, 0 },
    CC16(0x70, op_jcc, F_F64, I_B),
    [0x80] = { op_add_rm_i, F_MODRM | F_BYTE | F_GROUP, I_B, 0 },
    [0x81] = { op_add_rm_i, F_MODRM | F_GROUP, I_Z, 0 },
    [0x82] = { op_add_rm_i, F_MODRM | F_BYTE | F_GROUP | F_NO64, I_B, 0 },
    [0x83] = { op_add_rm_i, F_MODRM | F_GROUP, I_B, 0 },
    [0x84] = { op_test_rm_r, F_MODRM | F_BYTE, I_NONE, 0 },
    [0x85] = { op_test_rm_r, F_MODRM, I_NONE, 0 },
    [0x86] = { op_xchg_rm_r, F_MODRM | F_BYTE, I_NONE, 0 },
    [0x87] = { op_xchg_rm_r, F_MODRM, I_NONE, 0 },
    [0x88] = { op_mov_rm_r, F_MODRM | F_BYTE, I_NONE, 0 },
    [0x89] = { op_mov_rm_r, F_MODRM, I_NONE, 0 },
    [0x8a] = { op_mov_r_rm, F_MODRM | F_BYTE, I_NONE, 0 },
    [0x8b] = { op_mov_r_rm, F_MODRM, I_NONE, 0 },
    [0x8c] = { op_mov_rm_seg, F_MODRM, I_NONE, 0 },
    [0x8d] = { op_lea, F_MODRM, I_NONE, 0 },
    [0x8e] = { op_mov_seg_rm, F_MODRM, I_NONE, 0 },
    [0x8f] = { op_pop_rm, F_MODRM | F_DEF64, I_NONE, 0 },
    R8(0x90, op_xchg_a_r, 0, I_NONE),
    [0x98] = { op_cbw, 0, I_NONE, 0 },
    [0x99] = { op_cwd, 0, I_NONE, 0 },
    [0x9a] = { op_callf_ptr, F_NO64, I_FAR, 0 },
    [0x9b] = { op_nop, 0, I_NONE, 0 },
    [0x9c] = { op_pushf, F_DEF64, I_NONE, 0 },
    [0x9d] = { op_popf, F_DEF64, I_NONE, 0 },
    [0x9e] = { op_sahf, 0, I_NONE, 0 },
    [0x9f] = { op_lahf, 0, I_NONE, 0 },
    [0xa0] = { op_mov_a_moffs, F_BYTE, I_MOFFS, 0 },
    [0xa1] = { op_mov_a_moffs, 0, I_MOFFS, 0 },
    [0xa2] = { op_mov_moffs_a, F_BYTE, I_MOFFS, 0 },
    [0xa3] = { op_mov_moffs_a, 0, I_MOFFS, 0 },
    [0xa4] = { op_movs, F_BYTE, I_NONE, 0 },
    [0xa5] = { op_movs, 0, I_NONE, 0 },
    [0xa6] = { op_cmps, F_BYTE, I_NONE, 0 },
    [0xa7] = { op_cmps, 0, I_NONE, 0 },
    [0xa8] = { op_test_a_i, F_BYTE, I_B, 0 },
    [0xa9] = { op_test_a_i, 0, I_Z, 0 },
    [0xaa] = { op_stos, F_BYTE, I_NONE, 0 },
    [0xab] = { op_stos, 0, I_NONE, 0 },
    [0xac] = { op_lods, F_BYTE, I_NONE, 0 },
    [0xad] = { op_lods, 0, I_NONE, 0 },
    [0xae] = { op_scas, F_BYTE, I_NONE, 0 },
    [0xaf] = { op_scas, 0, I_NONE, 0 },
    R8(0xb0, op_mov_r_i, F_BYTE, I_B),
    R8(0xb8, op_mov_r_i, 0, I_V),
    [0xc0] = { op_shift_imm, F_MODRM | F_BYTE | F_GROUP, I_UB, 0 },
    [0xc1] = { op_shift_imm, F_MODRM | F_GROUP, I_UB, 0 },
    [0xc2] = { op_ret_imm, F_F64, I_W, 0 },
    [0xc3] = { op_ret, F_F64, I_NONE, 0 },
    [0xc4] = { op_lseg, F_MODRM | F_NO64, I_NONE, SEG_ES },
    [0xc5] = { op_lseg, F_MODRM | F_NO64, I_NONE, SEG_DS },
    [0xc6] = { op_mov_rm_i, F_MODRM | F_BYTE, I_B, 0 },
    [0xc7] = { op_mov_rm_i, F_MODRM, I_Z, 0 },
    [0xc8] = { op_enter, F_DEF64, I_ENTER, 0 },
    [0xc9] = { op_leave, F_DEF64, I_NONE, 0 },
    [0xca] = { op_retf_imm, 0, I_W, 0 },
    [0xcb] = { op_retf, 0, I_NONE, 0 },
    [0xcc] = { op_int3, 0, I_NONE, 0 },
    [0xcd] = { op_int, 0, I_UB, 0 },
    [0xce] = { op_into, F_NO64, I_NONE, 0 },
    [0xcf] = { op_iret, 0, I_NONE, 0 },
    [0xd0] = { op_shift_one, F_MODRM | F_BYTE | F_GROUP, I_NONE, 0 },
    [0xd1] = { op_shift_one, F_MODRM | F_GROUP, I_NONE, 0 },
    [0xd2] = { op_shift_cl, F_MODRM | F_BYTE | F_GROUP, I_NONE, 0 },
    [0xd3] = { op_shift_cl, F_MODRM | F_GROUP, I_NONE, 0 },
    [0xd7] = { op_xlat, F_BYTE, I_NONE, 0 },
    [0xd8] = { op_x87, F_MODRM, I_NONE, 0 },
    [0xd9] = { op_x87, F_MODRM, I_NONE, 1 },
    [0xda] = { op_x87, F_MODRM, I_NONE, 2 },
    [0xdb] = { op_x87, F_MODRM, I_NONE, 3 },
    [0xdc] = { op_x87, F_MODRM, I_NONE, 4 },
    [0xdd] = { op_x87, F_MODRM, I_NONE, 5 },
    [0xde] = { op_x87, F_MODRM, I_NONE, 6 },
    [0xdf] = { op_x87, F_MODRM, I_NONE, 7 },
    [0xe0] = { op_loop, F_F64, I_B, 0 },
    [0xe1] = { op_loop, F_F64, I_B, 1 },
    [0xe2] = { op_loop, F_F64, I_B, 2 },
    [0xe3] = { op_loop, F_F64, I_B, 3 },
    [0xe4] = { op_in_i, F_BYTE, I_UB, 0 },
    [0xe5] = { op_in_i, 0, I_UB, 0 },
    [0xe6] = { op_out_i, F_BYTE, I_UB, 0 },
    [0xe7] = { op_out_i, 0, I_UB, 0 },
    [0xe8] = { op_call_rel, F_F64, I_Z, 0 },
    [0xe9] = { op_jmp_rel, F_F64, I_Z, 0 },
    [0xea] = { op_jmpf_ptr, F_NO64, I_FAR, 0 },
    [0xeb] = { op_jmp_rel, F_F64, I_B, 0 },
    [0xec] = { op_in_dx, F_BYTE, I_NONE, 0 },
    [0xed] = { op_in_dx, 0, I_NONE, 0 },
    [0xee] = { op_out_dx, F_BYTE, I_NONE, 0 },
    [0xef] = { op_out_dx, 0, I_NONE, 0 },
    [0xf1] = { op_int1, 0, I_NONE, 0 },
    [0xf4] = { op_hlt, 0, I_NONE, 0 },
    [0xf5] = { op_flagop, 0, I_NONE, 0 },
    [0xf6] = { NULL, F_MODRM | F_BYTE | F_GROUP, I_NONE, 0 },
    [0xf7] = { NULL, F_MODRM | F_GROUP, I_NONE, 0 },
    [0xf8] = { op_flagop, 0, I_NONE, 1 },
    [0xf9] = { op_flagop, 0, I_NONE, 2 },
    [0xfa] = { op_cli, 0, I_NONE, 0 },
    [0xfb] = { op_sti, 0, I_NONE, 0 },
    [0xfc] = { op_flagop, 0, I_NONE, 3 },
    [0xfd] = { op_flagop, 0, I_NONE, 4 },
    [0xfe] = { NULL, F_MODRM | F_BYTE | F_GROUP, I_NONE, 0 },
    [0xff] = { NULL, F_MODRM | F_GROUP, I_NONE, 0 },
};

static const OpInfo op2[256] = {
    [0x00] = { NULL, F_MODRM | F_GROUP, I_NONE, 0 },
    [0x01] = { NULL, F_MODRM | F_GROUP, I_NONE, 0 },
    [0x02] = { op_lar, F_MODRM, I_NONE, 0 },
    [0x03] = { op_lsl, F_MODRM, I_NONE, 0 },
    [0x05] = { op_syscall, 0, I_NONE, 0 },
    [0x06] = { op_clts, 0, I_NONE, 0 },
    [0x07] = { op_sysret, 0, I_NONE, 0 },
    [0x08] = { op_nop, 0, I_NONE, 0 },
    [0x09] = { op_nop, 0, I_NONE, 0 },
    [0x0b] = { op_ud, 0, I_NONE, 0 },
    [0x0d] = { op_nop, F_MODRM, I_NONE, 0 },
    [0x18] = { op_nop, F_MODRM, I_NONE, 0 },
    [0x19] = { op_nop, F_MODRM, I_NONE, 0 },
    [0x1a] = { op_nop, F_MODRM, I_NONE, 0 },
    [0x1b] = { op_nop, F_MODRM, I_NONE, 0 },
    [0x1c] = { op_nop, F_MODRM, I_NONE, 0 },
    [0x1d] = { op_nop, F_MODRM, I_NONE, 0 },
    [0x1e] = { op_nop, F_MODRM, I_NONE, 0 },
    [0x1f] = { op_nop, F_MODRM, I_NONE, 0 },
    [0x20] = { op_mov_r_cr, F_MODRM, I_NONE, 0 },
    [0x21] = { op_mov_r_dr, F_MODRM, I_NONE, 0 },
    [0x22] = { op_mov_cr_r, F_MODRM, I_NONE, 0 },
    [0x23] = { op_mov_dr_r, F_MODRM, I_NONE, 0 },
    [0x30] = { op_wrmsr, 0, I_NONE, 0 },
    [0x31] = { op_rdtsc, 0, I_NONE, 0 },
    [0x32] = { op_rdmsr, 0, I_NONE, 0 },
    [0x34] = { op_sysenter, 0, I_NONE, 0 },
    [0x35] = { op_sysexit, 0, I_NONE, 0 },
    CC16(0x40, op_cmov, F_MODRM, I_NONE),
    CC16(0x80, op_jcc, F_F64, I_Z),
    CC16(0x90, op_setcc, F_MODRM | F_RMBYTE, I_NONE),
    [0xa0] = { op_push_seg, F_DEF64, I_NONE, SEG_FS },
    [0xa1] = { op_pop_seg, F_DEF64, I_NONE, SEG_FS },
    [0xa2] = { op_cpuid, 0, I_NONE, 0 },
    [0xa3] = { op_bt_rm_r, F_MODRM, I_NONE, 0 },
    [0xa4] = { op_shld, F_MODRM, I_UB, 0 },
    [0xa5] = { op_shld, F_MODRM, I_NONE, 1 },
    [0xa8] = { op_push_seg, F_DEF64, I_NONE, SEG_GS },
    [0xa9] = { op_pop_seg, F_DEF64, I_NONE, SEG_GS },
    [0xab] = { op_bt_rm_r, F_MODRM, I_NONE, 1 },
    [0xac] = { op_shrd, F_MODRM, I_UB, 0 },
    [0xad] = { op_shrd, F_MODRM, I_NONE, 1 },
    [0xae] = { NULL, F_MODRM | F_GROUP, I_NONE, 0 },
    [0xaf] = { op_imul_r_rm, F_MODRM, I_NONE, 0 },
    [0xb0] = { op_cmpxchg, F_MODRM | F_BYTE, I_NONE, 0 },
    [0xb1] = { op_cmpxchg, F_MODRM, I_NONE, 0 },
    [0xb2] = { op_lseg, F_MODRM, I_NONE, SEG_SS },
    [0xb3] = { op_bt_rm_r, F_MODRM, I_NONE, 2 },
    [0xb4] = { op_lseg, F_MODRM, I_NONE, SEG_FS },
    [0xb5] = { op_lseg, F_MODRM, I_NONE, SEG_GS },
    [0xb6] = { op_movzx, F_MODRM | F_RMBYTE, I_NONE, 1 },
    [0xb7] = { op_movzx, F_MODRM, I_NONE, 2 },
    [0xb8] = { NULL, F_MODRM, I_NONE, 0 },          /* POPCNT with F3 */
    [0xb9] = { op_ud, F_MODRM, I_NONE, 0 },
    [0xba] = { op_bt_rm_i, F_MODRM | F_GROUP, I_UB, 0 },
    [0xbb] = { op_bt_rm_r, F_MODRM, I_NONE, 3 },
    [0xbc] = { op_bsf, F_MODRM, I_NONE, 0 },
    [0xbd] = { op_bsr, F_MODRM, I_NONE, 0 },
    [0xbe] = { op_movsx, F_MODRM | F_RMBYTE, I_NONE, 1 },
    [0xbf] = { op_movsx, F_MODRM, I_NONE, 2 },
    [0xc0] = { op_xadd, F_MODRM | F_BYTE, I_NONE, 0 },
    [0xc1] = { op_xadd, F_MODRM, I_NONE, 0 },
    [0xc3] = { op_movnti, F_MODRM, I_NONE, 0 },
    [0xc7] = { NULL, F_MODRM | F_GROUP, I_NONE, 0 },
    R8(0xc8, op_bswap, 0, I_NONE),
};

typedef struct DecodeCtx {
    const uint8_t *p;
    unsigned avail, pos;
    bool short_;                /* ran out of bytes */
} DecodeCtx;

static inline uint64_t fetch(DecodeCtx *c, unsigned n)
{
    uint64_t v = 0;

    if (c->pos + n > c->avail) {
        c->short_ = true;
        c->pos += n;
        return 0;
    }
    memcpy(&v, c->p + c->pos, n);
    c->pos += n;
    return v;
}

static void decode_modrm16(DecodeCtx *c, X86Insn *insn, unsigned mod,
                           unsigned rm)
{
    static const uint8_t base[8] = { R_RBX, R_RBX, R_RBP, R_RBP,
                                     X86_NOREG, X86_NOREG, R_RBP, R_RBX };
    static const uint8_t index[8] = { R_RSI, R_RDI, R_RSI, R_RDI,
                                      R_RSI, R_RDI, X86_NOREG, X86_NOREG };

    insn->base = base[rm];
    insn->index = index[rm];
    insn->scale = 0;
    if (mod == 0 && rm == 6) {
        insn->base = X86_NOREG;
        insn->disp = (int16_t)fetch(c, 2);
    } else if (mod == 1) {
        insn->disp = (int8_t)fetch(c, 1);
    } else if (mod == 2) {
        insn->disp = (int16_t)fetch(c, 2);
    }
    if (insn->base == R_RBP && insn->seg == 0xff) {
        insn->seg = SEG_SS;
    }
}

static void decode_modrm32(DecodeCtx *c, X86Insn *insn, unsigned mod,
                           unsigned rm, unsigned rex, bool mode64)
{
    unsigned b = rm;

    insn->index = X86_NOREG;
    insn->scale = 0;
    if (rm == 4) {
        unsigned sib = fetch(c, 1);
        unsigned idx = ((sib >> 3) & 7) | ((rex & 2) << 2);

        insn->scale = sib >> 6;
        if (idx != 4) {
            insn->index = idx;
        }
        b = sib & 7;
        if (b == 5 && mod == 0) {
            insn->base = X86_NOREG;
            insn->disp = (int32_t)fetch(c, 4);
            return;
        }
    } else if (rm == 5 && mod == 0) {
        insn->base = mode64 ? X86_RIPREL : X86_NOREG;
        insn->disp = (int32_t)fetch(c, 4);
        return;
    }
    insn->base = b | ((rex & 1) << 3);
    if ((b == 4 || b == 5) && insn->seg == 0xff) {
        insn->seg = SEG_SS;
    }
    if (mod == 1) {
        insn->disp = (int8_t)fetch(c, 1);
    } else if (mod == 2) {
        insn->disp = (int32_t)fetch(c, 4);
    }
}

/* Without REX, byte registers 4-7 are AH, CH, DH, BH. */
static inline uint8_t byte_reg(unsigned r, bool rex)
{
    return (!rex && r >= 4 && r < 8) ? X86_REG_AH + r - 4 : r;
}

static X86InsnFn group_fn(X86Insn *insn, unsigned opc, unsigned rex)
{
    unsigned reg = insn->reg & 7;
    bool mem = insn->mod != 3;

    switch (opc) {
    case 0x80: case 0x81: case 0x82: case 0x83:
        insn->ext = reg;
        return x86_alu_rm_i_fns[reg];
    case 0xc0: case 0xc1: case 0xd0: case 0xd1: case 0xd2: case 0xd3:
        insn->ext = reg;
        return op1[opc].fn;
    case 0xf6: case 0xf7: {
        static const X86InsnFn f[8] = { op_test_rm_i, op_test_rm_i, op_not,
                                        op_neg, op_mul, op_imul1, op_div,
                                        op_idiv };
        return f[reg];
    }
    case 0xfe:
        return reg == 0 ? op_inc_rm : reg == 1 ? op_dec_rm : NULL;
    case 0xff: {
        static const X86InsnFn f[8] = { op_inc_rm, op_dec_rm, op_call_rm,
                                        op_callf_m, op_jmp_rm, op_jmpf_m,
                                        op_push_rm, NULL };
        if ((reg == 3 || reg == 5) && !mem) {
            return NULL;
        }
        return f[reg];
    }
    case 0x100: {
        static const X86InsnFn f[8] = { op_sldt, op_str, op_lldt, op_ltr,
                                        op_verr, op_verw, NULL, NULL };
        return f[reg];
    }
    case 0x101:
        if (mem) {
            static const X86InsnFn f[8] = { op_sgdt, op_sidt, op_lgdt,
                                            op_lidt, op_smsw, NULL, op_lmsw,
                                            op_invlpg };
            return f[reg];
        }
        if (reg == 4) {
            return op_smsw;
        }
        if (reg == 6) {
            return op_lmsw;
        }
        if (reg == 7 && (insn->rm & 7) == 0) {
            return op_swapgs;
        }
        if (reg == 7 && (insn->rm & 7) == 1) {
            return op_rdtscp;
        }
        return NULL;
    case 0x1ae:
        if (mem) {
            if (insn->pfx & (PFX_REPZ | PFX_REPNZ)) {
                return NULL;
            }
            switch (reg) {
            case 0: return op_fxsave;
            case 1: return op_fxrstor;
            case 2: return op_ldmxcsr;
            case 3: return op_stmxcsr;
            case 7: return op_nop;      /* CLFLUSH */
            default: return NULL;
            }
        }
        return (reg >= 5 && !(insn->pfx & (PFX_REPZ | PFX_REPNZ))) ? op_nop
                                                                   : NULL;
    case 0x1ba:
        if (reg < 4) {
            return NULL;
        }
        insn->ext = reg - 4;
        return op_bt_rm_i;
    case 0x1c7:
        if (reg == 1 && mem) {
            if (rex & 8) {
                insn->size = 16;
            } else {
                insn->size = 8;
            }
            return op_cmpxchg8b;
        }
        return NULL;
    default:
        return NULL;
    }
}

static unsigned imm_size(unsigned kind, unsigned size)
{
    switch (kind) {
    case I_B: case I_UB: return 1;
    case I_Z: return size == 2 ? 2 : 4;
    case I_V: return size;
    default: return 0;
    }
}

/* Everything known about the instruction being decoded. */
typedef struct Decoder {
    DecodeCtx c;
    X86Insn *insn;
    unsigned rex, opc;
    bool mode64, p66, p67, sse;
    OpInfo info;
} Decoder;

/* Legacy prefixes and REX; false if there are too many. */
static bool decode_prefixes(Decoder *d)
{
    X86Insn *insn = d->insn;
    unsigned b;

    for (;;) {
        b = fetch(&d->c, 1);
        switch (b) {
        case 0x26: insn->seg = SEG_ES; break;
        case 0x2e: insn->seg = SEG_CS; break;
        case 0x36: insn->seg = SEG_SS; break;
        case 0x3e: insn->seg = SEG_DS; break;
        case 0x64: insn->seg = SEG_FS; break;
        case 0x65: insn->seg = SEG_GS; break;
        case 0x66: d->p66 = true; insn->pfx |= PFX_66; break;
        case 0x67: d->p67 = true; break;
        case 0xf0: insn->pfx |= PFX_LOCK; break;
        case 0xf2: insn->pfx = (insn->pfx & ~PFX_REPZ) | PFX_REPNZ; break;
        case 0xf3: insn->pfx = (insn->pfx & ~PFX_REPNZ) | PFX_REPZ; break;
        default:
            d->c.pos--;         /* not a prefix: the opcode */
            if (d->mode64 && (b & 0xf0) == 0x40) {
                d->rex = b;
                insn->pfx |= PFX_REX | ((b & 8) ? PFX_REXW : 0);
                d->c.pos++;
            }
            return true;
        }
        if (d->c.short_ || d->c.pos >= 15) {
            return d->c.short_;
        }
    }
}

/* The opcode (one, two or three bytes) and its table entry. */
static void decode_opcode(Decoder *d)
{
    X86Insn *insn = d->insn;
    unsigned b = fetch(&d->c, 1), opc = b;

    if (b == 0x0f) {
        b = fetch(&d->c, 1);
        opc = 0x100 | b;
        if (b == 0x38 || b == 0x3a) {
            opc = (b == 0x38 ? 0x200 : 0x300) | fetch(&d->c, 1);
        }
    }
    d->opc = opc;
    insn->op = opc;
    if (opc < 0x100) {
        d->info = op1[opc];
    } else if (opc < 0x200) {
        d->info = op2[opc & 0xff];
        d->sse = !d->info.fn && !(d->info.flags & F_GROUP);
    } else {
        d->info = (OpInfo){ NULL, 0, I_NONE, 0 };
        d->sse = true;
    }
    /* F3-prefixed forms of 0F B8/BC/BD, and NOP/PAUSE vs XCHG r8. */
    if (opc == 0x1b8 || opc == 0x1bc || opc == 0x1bd) {
        d->sse = false;
        d->info.flags = F_MODRM;
        if (insn->pfx & PFX_REPZ) {
            d->info.fn = opc == 0x1b8 ? op_popcnt
                         : opc == 0x1bc ? op_tzcnt : op_lzcnt;
        } else if (opc == 0x1b8) {
            d->info.fn = NULL;
        }
    }
    if (opc == 0x90 && !(d->rex & 1)) {
        d->info.fn = (insn->pfx & PFX_REPZ) ? op_pause : op_nop;
    }
    if (d->sse) {
        d->info.flags = sse_has_modrm(opc) ? F_MODRM : 0;
    }
    insn->ext = d->info.ext;
    insn->fn = d->info.fn;
    if ((d->info.flags & F_NO64) && d->mode64) {
        insn->fn = op_ud;
    }
}

static void decode_sizes(Decoder *d, unsigned code_size)
{
    X86Insn *insn = d->insn;
    unsigned flags = d->info.flags;

    if (flags & F_BYTE) {
        insn->size = 1;
    } else if (d->mode64) {
        if ((d->rex & 8) || (flags & F_F64)) {
            insn->size = 8;
        } else if (d->p66) {
            insn->size = 2;
        } else {
            insn->size = (flags & F_DEF64) ? 8 : 4;
        }
    } else {
        insn->size = ((code_size == 2) != d->p66) ? 2 : 4;
    }
    if (d->mode64) {
        insn->asize = d->p67 ? 4 : 8;
    } else {
        insn->asize = ((code_size == 2) != d->p67) ? 2 : 4;
    }
    if (d->opc >= 0x120 && d->opc <= 0x123) {
        insn->size = d->mode64 ? 8 : 4;     /* MOV CR/DR */
    }
}

/* ModRM (and SIB, displacement), or the register in the opcode. */
static void decode_operands(Decoder *d)
{
    X86Insn *insn = d->insn;
    unsigned flags = d->info.flags, rex = d->rex;
    unsigned modrm, mod, rm, reg;

    if (flags & F_REGOP) {
        insn->reg = (d->opc & 7) | ((rex & 1) << 3);
        if (flags & F_BYTE) {
            insn->reg = byte_reg(insn->reg, rex);
        }
    }
    if (!(flags & F_MODRM)) {
        return;
    }
    modrm = fetch(&d->c, 1);
    mod = modrm >> 6;
    rm = modrm & 7;
    insn->mod = mod;
    insn->reg = ((modrm >> 3) & 7) | ((rex & 4) << 1);
    insn->rm = rm | ((rex & 1) << 3);
    if ((flags & F_BYTE) && !(flags & F_GROUP)) {
        insn->reg = byte_reg(insn->reg, rex);
    }
    if ((flags & (F_BYTE | F_RMBYTE)) && mod == 3) {
        insn->rm = byte_reg(insn->rm, rex);
    }
    if (mod != 3) {
        if (insn->asize == 2) {
            decode_modrm16(&d->c, insn, mod, rm);
        } else {
            decode_modrm32(&d->c, insn, mod, rm, rex, d->mode64);
        }
    }
    if (!(flags & F_GROUP)) {
        return;
    }
    insn->fn = group_fn(insn, d->opc, rex);
    reg = insn->reg & 7;
    if (d->opc == 0xff && d->mode64 && (reg == 2 || reg == 4 || reg == 6)) {
        /* near CALL/JMP are 64-bit; PUSH is 64- or 16-bit */
        insn->size = (reg != 6 || (rex & 8) || !d->p66) ? 8 : 2;
    }
    if ((d->opc == 0xf6 || d->opc == 0xf7) && reg < 2) {
        d->info.imm = d->opc == 0xf6 ? I_B : I_Z;     /* TEST r/m, imm */
    }
}

static void decode_immediate(Decoder *d)
{
    X86Insn *insn = d->insn;
    unsigned kind = d->info.imm, n;

    switch (kind) {
    case I_NONE:
        break;
    case I_MOFFS:
        insn->imm = fetch(&d->c, insn->asize);
        break;
    case I_FAR:
        insn->imm = fetch(&d->c, insn->size == 2 ? 2 : 4);
        insn->imm2 = fetch(&d->c, 2);
        break;
    case I_ENTER:
        insn->imm = fetch(&d->c, 2);
        insn->imm2 = fetch(&d->c, 1);
        break;
    case I_UB:
        insn->imm = fetch(&d->c, 1);
        break;
    case I_W:
        insn->imm = fetch(&d->c, 2);
        break;
    default:
        n = imm_size(kind, insn->size);
        insn->imm = sext(fetch(&d->c, n), n);
        if (kind == I_V || (d->info.flags & F_BYTE)) {
            insn->imm &= size_mask(insn->size);
        }
        break;
    }
}

/* Returns false when CODE was too short; fills *INSN otherwise. */
bool x86_decode(X86TCGCPU *env, const uint8_t *code, unsigned avail,
                X86Insn *insn)
{
    Decoder d = {
        .c = { .p = code, .avail = avail },
        .insn = insn,
        .mode64 = x86_64bit(env),
    };

    memset(insn, 0, sizeof(*insn));
    insn->seg = 0xff;
    insn->base = insn->index = X86_NOREG;

    if (!decode_prefixes(&d)) {
        goto bad;
    }
    decode_opcode(&d);
    if (d.c.short_) {
        return false;
    }
    decode_sizes(&d, env->code_size);
    decode_operands(&d);
    if (insn->seg == 0xff) {
        insn->seg = SEG_DS;
    }
    if (d.sse) {
        insn->fn = sse_decode(insn, d.opc, &d.info.imm);
    }
    decode_immediate(&d);
    if (d.c.short_) {
        return false;
    }
    if (d.c.pos > 15) {
        goto bad;
    }
    insn->len = d.c.pos;
    if (!insn->fn) {
        insn->fn = x86_unimplemented;
    }
    return true;

bad:
    /* More than 15 bytes: #GP. */
    memset(insn, 0, sizeof(*insn));
    insn->len = 1;
    insn->fn = op_gp0;
    return true;
}
