/*
 * MMX: the integer SIMD instructions on the 64-bit MM registers, which
 * alias the significands of the x87 registers R0-R7.  The element-wise
 * work is the SSE2 code's, run on the low quadword of an XMM value.  Any
 * MMX instruction empties the x87 stack top (TOP = 0, all tags valid);
 * EMMS (exec_sse.c) marks the registers free again.
 */
#include "target/x86_64/tcg/sse.h"

static void mmx_enter(X86TCGCPU *env)
{
    if (env->s.cr0 & X86_CR0_EM) {
        x86_raise_noerr(env, EXCP_UD);
    }
    if (env->s.cr0 & X86_CR0_TS) {
        x86_raise_noerr(env, EXCP_NM);
    }
    env->s.fsw &= ~(7u << 11);
    env->s.ftw = 0xff;
}

static uint64_t mm(X86TCGCPU *env, unsigned r)
{
    return env->s.st[r & 7].mant;
}

static void set_mm(X86TCGCPU *env, unsigned r, uint64_t v)
{
    env->s.st[r & 7].mant = v;
    env->s.st[r & 7].sign_exp = 0xffff;
}

/* The mm/m64 source (or m32 for the low unpacks). */
static uint64_t mm_src(X86TCGCPU *env, const X86Insn *insn, unsigned size)
{
    if (insn->mod == 3) {
        return mm(env, insn->rm);
    }
    return x86_ld(env, insn_ea(env, insn), size);
}

H(mmx_packed_int)
{
    unsigned op = insn->ext;
    bool low32 = op == PI_PUNPCKLBW || op == PI_PUNPCKLWD ||
                 op == PI_PUNPCKLDQ;
    X86XMMReg a = { .q = { mm(env, insn->reg), 0 } }, b = { .q = { 0, 0 } };
    X86XMMReg r;

    mmx_enter(env);
    b.q[0] = mm_src(env, insn, low32 ? 4 : 8);
    switch (op) {
    case PI_PUNPCKHBW:
    case PI_PUNPCKHWD:
    case PI_PUNPCKHDQ:
        /* The high halves, interleaved as the low unpacks do. */
        a.q[0] >>= 32;
        b.q[0] >>= 32;
        op -= PI_PUNPCKHBW - PI_PUNPCKLBW;
        break;
    case PI_PACKSSWB:
    case PI_PACKSSDW:
    case PI_PACKUSWB:
        a.q[1] = b.q[0];        /* both sources in one vector */
        break;
    default:
        break;
    }
    sse_packed_int_op(op, &r, &a, &b);
    set_mm(env, insn->reg, r.q[0]);
}

/* ext: esize | kind << 4 */
H(mmx_shift_mm)
{
    X86XMMReg v = { .q = { mm(env, insn->reg), 0 } };
    uint64_t count;

    mmx_enter(env);
    count = mm_src(env, insn, 8);
    sse_packed_shift(&v, insn->ext & 15, insn->ext >> 4, count);
    set_mm(env, insn->reg, v.q[0]);
}

H(mmx_shift_imm)
{
    X86XMMReg v = { .q = { mm(env, insn->rm), 0 } };

    mmx_enter(env);
    sse_packed_shift(&v, insn->ext & 15, insn->ext >> 4, insn->imm & 0xff);
    set_mm(env, insn->rm, v.q[0]);
}

/* MOVD/MOVQ mm, r/m32/64 */
H(mmx_movd_to)
{
    unsigned size = (insn->pfx & PFX_REXW) ? 8 : 4;
    uint64_t v = insn->mod == 3 ? get_reg(env, insn->rm, size)
                                : x86_ld(env, insn_ea(env, insn), size);

    mmx_enter(env);
    set_mm(env, insn->reg, v);
}

/* MOVD/MOVQ r/m32/64, mm */
H(mmx_movd_from)
{
    unsigned size = (insn->pfx & PFX_REXW) ? 8 : 4;
    uint64_t v = mm(env, insn->reg) & size_mask(size);

    mmx_enter(env);
    if (insn->mod == 3) {
        set_reg(env, insn->rm, size, v);
    } else {
        x86_st(env, insn_ea(env, insn), size, v);
    }
}

/* MOVQ mm, mm/m64 */
H(mmx_movq_load)
{
    uint64_t v;

    mmx_enter(env);
    v = mm_src(env, insn, 8);
    set_mm(env, insn->reg, v);
}

/* MOVQ mm/m64, mm and MOVNTQ */
H(mmx_movq_store)
{
    mmx_enter(env);
    if (insn->mod == 3) {
        set_mm(env, insn->rm, mm(env, insn->reg));
    } else {
        x86_st(env, insn_ea(env, insn), 8, mm(env, insn->reg));
    }
}

H(mmx_pshufw)
{
    uint64_t s, r = 0;

    mmx_enter(env);
    s = mm_src(env, insn, 8);
    for (int i = 0; i < 4; i++) {
        r |= ((s >> (16 * ((insn->imm >> (2 * i)) & 3))) & 0xffff) << (16 * i);
    }
    set_mm(env, insn->reg, r);
}

H(mmx_pmovmskb)
{
    uint64_t s = mm(env, insn->rm);
    uint32_t m = 0;

    mmx_enter(env);
    for (int i = 0; i < 8; i++) {
        m |= ((s >> (8 * i + 7)) & 1) << i;
    }
    set_reg(env, insn->reg, 8, m);
}

H(mmx_pinsrw)
{
    unsigned sh = 16 * (insn->imm & 3);
    uint64_t v = insn->mod == 3 ? get_reg(env, insn->rm, 2)
                                : x86_ld(env, insn_ea(env, insn), 2);

    mmx_enter(env);
    set_mm(env, insn->reg,
           (mm(env, insn->reg) & ~(0xffffull << sh)) | (v << sh));
}

H(mmx_pextrw)
{
    mmx_enter(env);
    set_reg(env, insn->reg, 8,
            (mm(env, insn->rm) >> (16 * (insn->imm & 3))) & 0xffff);
}

H(mmx_maskmovq)
{
    uint64_t s = mm(env, insn->reg), m = mm(env, insn->rm);
    uint64_t base = env->s.regs[R_RDI] & size_mask(insn->asize);

    mmx_enter(env);
    for (int i = 0; i < 8; i++) {
        if ((m >> (8 * i + 7)) & 1) {
            x86_st(env, seg_addr(env, insn->seg, base + i, insn->asize), 1,
                   s >> (8 * i));
        }
    }
}

/* MOVQ2DQ xmm, mm (F3 0F D6) */
H(mmx_movq2dq)
{
    mmx_enter(env);
    env->s.xmm[insn->reg & 15].q[0] = mm(env, insn->rm);
    env->s.xmm[insn->reg & 15].q[1] = 0;
}

/* MOVDQ2Q mm, xmm (F2 0F D6) */
H(mmx_movdq2q)
{
    mmx_enter(env);
    set_mm(env, insn->reg, env->s.xmm[insn->rm & 15].q[0]);
}
