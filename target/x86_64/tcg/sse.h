/*
 * SSE/SSE2 decoding hooks (exec_sse.c): the decoder hands every 0F-map
 * opcode without an integer handler to sse_decode(), which picks the
 * handler from the mandatory prefix (none, 66, F3, F2).
 */
#ifndef TARGET_X86_64_TCG_SSE_H
#define TARGET_X86_64_TCG_SSE_H

#include "target/x86_64/tcg/tcg_cpu.h"

#define SSE_IMM8 2          /* the decoder's I_UB */

bool sse_has_modrm(unsigned opc);
/*
 * Handler for OPC (0x1xx, 0x2xx, 0x3xx) or NULL; sets *IMM_KIND to
 * SSE_IMM8 when an imm8 follows.
 */
X86InsnFn sse_decode(X86Insn *insn, unsigned opc, uint8_t *imm_kind);

/* Mandatory-prefix kinds */
enum { PK_NONE, PK_66, PK_F3, PK_F2 };

static inline void sse_check(X86TCGCPU *env)
{
    if ((env->s.cr0 & X86_CR0_EM) || !(env->s.cr4 & X86_CR4_OSFXSR)) {
        x86_raise_noerr(env, EXCP_UD);
    }
    if (env->s.cr0 & X86_CR0_TS) {
        x86_raise_noerr(env, EXCP_NM);
    }
}

static inline X86XMMReg *xr(X86TCGCPU *env, unsigned r)
{
    return &env->s.xmm[r & 15];
}

/* Loads the 128-bit r/m operand; ALIGNED memory operands must be too. */
static inline void ld_src(X86TCGCPU *env, const X86Insn *insn, X86XMMReg *v,
                          bool aligned)
{
    uint64_t la;

    if (insn->mod == 3) {
        *v = *xr(env, insn->rm);
        return;
    }
    la = insn_ea(env, insn);
    if (aligned && (la & 15)) {
        x86_raise(env, EXCP_GP, 0);
    }
    v->q[0] = x86_ld(env, la, 8);
    v->q[1] = x86_ld(env, la + 8, 8);
}

static inline void st_dst(X86TCGCPU *env, const X86Insn *insn,
                          const X86XMMReg *v, bool aligned)
{
    uint64_t la;

    if (insn->mod == 3) {
        *xr(env, insn->rm) = *v;
        return;
    }
    la = insn_ea(env, insn);
    if (aligned && (la & 15)) {
        x86_raise(env, EXCP_GP, 0);
    }
    x86_st(env, la + 15, 1, x86_ld(env, la + 15, 1));
    x86_st(env, la, 8, v->q[0]);
    x86_st(env, la + 8, 8, v->q[1]);
}

/* Scalar source of SIZE bytes (register low part or memory). */
static inline uint64_t ld_scalar(X86TCGCPU *env, const X86Insn *insn,
                                 unsigned size)
{
    if (insn->mod == 3) {
        return xr(env, insn->rm)->q[0] & size_mask(size);
    }
    return x86_ld(env, insn_ea(env, insn), size);
}

enum {
    PI_PADDB, PI_PADDW, PI_PADDD, PI_PADDQ, PI_PSUBB, PI_PSUBW, PI_PSUBD,
    PI_PSUBQ, PI_PADDSB, PI_PADDSW, PI_PSUBSB, PI_PSUBSW, PI_PADDUSB,
    PI_PADDUSW, PI_PSUBUSB, PI_PSUBUSW, PI_PCMPEQB, PI_PCMPEQW, PI_PCMPEQD,
    PI_PCMPGTB, PI_PCMPGTW, PI_PCMPGTD, PI_PAND, PI_PANDN, PI_POR, PI_PXOR,
    PI_PMINUB, PI_PMAXUB, PI_PMINSW, PI_PMAXSW, PI_PAVGB, PI_PAVGW,
    PI_PMULLW, PI_PMULHW, PI_PMULHUW, PI_PMULUDQ, PI_PMADDWD, PI_PSADBW,
    PI_PUNPCKLBW, PI_PUNPCKLWD, PI_PUNPCKLDQ, PI_PUNPCKLQDQ, PI_PUNPCKHBW,
    PI_PUNPCKHWD, PI_PUNPCKHDQ, PI_PUNPCKHQDQ, PI_PACKSSWB, PI_PACKSSDW,
    PI_PACKUSWB, PI_UNPCKLPS, PI_UNPCKHPS, PI_ANDNPS,
};

enum { SH_LL, SH_RL, SH_RA };

enum { FO_ADD, FO_MUL, FO_SUB, FO_MIN, FO_DIV, FO_MAX, FO_SQRT, FO_RSQRT,
       FO_RCP };

enum { CV_PS2PD, CV_PD2PS, CV_SS2SD, CV_SD2SS, CV_DQ2PS, CV_PS2DQ,
       CV_TPS2DQ, CV_DQ2PD, CV_TPD2DQ, CV_PD2DQ };

/* The element-wise operations, shared with the MMX forms (exec_mmx.c). */
void sse_packed_int_op(unsigned op, X86XMMReg *r, const X86XMMReg *a,
                       const X86XMMReg *b);
void sse_packed_shift(X86XMMReg *v, unsigned esize, unsigned kind,
                      uint64_t count);

#endif
