/*
 * SSE and SSE2: register and memory moves, and the decoder's table of
 * every implemented 0F-map opcode by mandatory prefix.  Packed integer
 * operations are in exec_sse_int.c, floating point in exec_sse_fp.c, the
 * MMX forms (integer opcodes without the 66 prefix) in exec_mmx.c.
 */
#include "target/x86_64/tcg/sse.h"

/* ------------------------------------------------------------------ */
/* Moves */

H(sse_mov_load_a)
{
    X86XMMReg v;

    sse_check(env);
    ld_src(env, insn, &v, true);
    *xr(env, insn->reg) = v;
}

H(sse_mov_load_u)
{
    X86XMMReg v;

    sse_check(env);
    ld_src(env, insn, &v, false);
    *xr(env, insn->reg) = v;
}

H(sse_mov_store_a)
{
    sse_check(env);
    st_dst(env, insn, xr(env, insn->reg), true);
}

H(sse_mov_store_u)
{
    sse_check(env);
    st_dst(env, insn, xr(env, insn->reg), false);
}

/* MOVSS/MOVSD load (ext = 4 or 8): memory zero-extends, register merges. */
H(sse_movs_load)
{
    X86XMMReg *d = xr(env, insn->reg);

    sse_check(env);
    if (insn->mod == 3) {
        if (insn->ext == 4) {
            d->d[0] = xr(env, insn->rm)->d[0];
        } else {
            d->q[0] = xr(env, insn->rm)->q[0];
        }
    } else {
        uint64_t v = x86_ld(env, insn_ea(env, insn), insn->ext);

        d->q[0] = v;
        d->q[1] = 0;
    }
}

H(sse_movs_store)
{
    X86XMMReg *s = xr(env, insn->reg);

    sse_check(env);
    if (insn->mod == 3) {
        if (insn->ext == 4) {
            xr(env, insn->rm)->d[0] = s->d[0];
        } else {
            xr(env, insn->rm)->q[0] = s->q[0];
        }
    } else {
        x86_st(env, insn_ea(env, insn), insn->ext, s->q[0]);
    }
}

/* MOVLPS/MOVLPD/MOVHPS/MOVHPD and MOVHLPS/MOVLHPS: ext 0 low, 1 high. */
H(sse_movlh_load)
{
    X86XMMReg *d = xr(env, insn->reg);

    sse_check(env);
    if (insn->mod == 3) {
        if (insn->ext == 0) {
            d->q[0] = xr(env, insn->rm)->q[1];  /* MOVHLPS */
        } else {
            d->q[1] = xr(env, insn->rm)->q[0];  /* MOVLHPS */
        }
        return;
    }
    d->q[insn->ext] = x86_ld(env, insn_ea(env, insn), 8);
}

H(sse_movlh_store)
{
    sse_check(env);
    if (insn->mod == 3) {
        x86_raise_noerr(env, EXCP_UD);
    }
    x86_st(env, insn_ea(env, insn), 8, xr(env, insn->reg)->q[insn->ext]);
}

H(sse_movnt)
{
    if (insn->mod == 3) {
        x86_raise_noerr(env, EXCP_UD);
    }
    sse_mov_store_a(env, insn);
}

/* MOVD/MOVQ xmm, r/m32/64 */
H(sse_movd_to_xmm)
{
    unsigned size = (insn->pfx & PFX_REXW) ? 8 : 4;
    uint64_t v = insn->mod == 3 ? get_reg(env, insn->rm, size)
                                : x86_ld(env, insn_ea(env, insn), size);
    X86XMMReg *d = xr(env, insn->reg);

    sse_check(env);
    d->q[0] = v;
    d->q[1] = 0;
}

/* MOVD/MOVQ r/m32/64, xmm */
H(sse_movd_from_xmm)
{
    unsigned size = (insn->pfx & PFX_REXW) ? 8 : 4;
    uint64_t v = xr(env, insn->reg)->q[0] & size_mask(size);

    sse_check(env);
    if (insn->mod == 3) {
        set_reg(env, insn->rm, size, v);
    } else {
        x86_st(env, insn_ea(env, insn), size, v);
    }
}

/* MOVQ xmm, xmm/m64 (F3 0F 7E): zero-extends. */
H(sse_movq_load)
{
    uint64_t v;

    sse_check(env);
    v = ld_scalar(env, insn, 8);
    xr(env, insn->reg)->q[0] = v;
    xr(env, insn->reg)->q[1] = 0;
}

/* MOVQ xmm/m64, xmm (66 0F D6): a register destination is zero-extended. */
H(sse_movq_store)
{
    uint64_t v = xr(env, insn->reg)->q[0];

    sse_check(env);
    if (insn->mod == 3) {
        xr(env, insn->rm)->q[0] = v;
        xr(env, insn->rm)->q[1] = 0;
    } else {
        x86_st(env, insn_ea(env, insn), 8, v);
    }
}

H(sse_pmovmskb)
{
    X86XMMReg *s = xr(env, insn->rm);
    uint32_t m = 0;

    sse_check(env);
    if (insn->mod != 3) {
        x86_raise_noerr(env, EXCP_UD);
    }
    for (int i = 0; i < 16; i++) {
        m |= (uint32_t)(s->b[i] >> 7) << i;
    }
    set_reg(env, insn->reg, 8, m);
}

H(sse_movmsk)
{
    X86XMMReg *s = xr(env, insn->rm);
    uint32_t m = 0;

    sse_check(env);
    if (insn->mod != 3) {
        x86_raise_noerr(env, EXCP_UD);
    }
    if (insn->ext == 4) {
        for (int i = 0; i < 4; i++) {
            m |= (s->d[i] >> 31) << i;
        }
    } else {
        m = (uint32_t)(s->q[0] >> 63) | (uint32_t)((s->q[1] >> 63) << 1);
    }
    set_reg(env, insn->reg, 8, m);
}

H(sse_pinsrw)
{
    uint64_t v = insn->mod == 3 ? get_reg(env, insn->rm, 2)
                                : x86_ld(env, insn_ea(env, insn), 2);

    sse_check(env);
    xr(env, insn->reg)->w[insn->imm & 7] = v;
}

H(sse_pextrw)
{
    sse_check(env);
    if (insn->mod != 3) {
        x86_raise_noerr(env, EXCP_UD);
    }
    set_reg(env, insn->reg, 8, xr(env, insn->rm)->w[insn->imm & 7]);
}

H(sse_maskmov)
{
    X86XMMReg *s = xr(env, insn->reg), *m = xr(env, insn->rm);
    uint64_t base = env->s.regs[R_RDI] & size_mask(insn->asize);

    sse_check(env);
    for (int i = 0; i < 16; i++) {
        if (m->b[i] & 0x80) {
            x86_st(env, seg_addr(env, insn->seg, base + i, insn->asize), 1,
                   s->b[i]);
        }
    }
}

H(sse_emms)
{
    (void)insn;
    sse_check(env);
    env->s.ftw = 0;
}

/* ------------------------------------------------------------------ */
/* Decoding */

typedef struct SSEOp {
    uint16_t opc;
    uint8_t pk;
    uint8_t imm;
    X86InsnFn fn;
    uint8_t ext;
} SSEOp;

#define PI(o, e) { o, PK_66, 0, sse_packed_int, e }
#define FA(o, op) { o, PK_NONE, 0, sse_fp_arith, op }, \
    { o, PK_66, 0, sse_fp_arith, op | PK_66 << 4 }, \
    { o, PK_F3, 0, sse_fp_arith, op | PK_F3 << 4 }, \
    { o, PK_F2, 0, sse_fp_arith, op | PK_F2 << 4 }
#define SHX(o, es, k) { o, PK_66, 0, sse_shift_xmm, (es) | (k) << 4 }, \
    { o, PK_NONE, 0, mmx_shift_mm, (es) | (k) << 4 }
/* Packed integer: the 66-prefixed SSE2 form and the MMX form. */
#define PIM(o, e) PI(o, e), { o, PK_NONE, 0, mmx_packed_int, e }

static const SSEOp sse_ops[] = {
    { 0x110, PK_NONE, 0, sse_mov_load_u, 0 },
    { 0x110, PK_66, 0, sse_mov_load_u, 0 },
    { 0x110, PK_F3, 0, sse_movs_load, 4 },
    { 0x110, PK_F2, 0, sse_movs_load, 8 },
    { 0x111, PK_NONE, 0, sse_mov_store_u, 0 },
    { 0x111, PK_66, 0, sse_mov_store_u, 0 },
    { 0x111, PK_F3, 0, sse_movs_store, 4 },
    { 0x111, PK_F2, 0, sse_movs_store, 8 },
    { 0x112, PK_NONE, 0, sse_movlh_load, 0 },
    { 0x112, PK_66, 0, sse_movlh_load, 0 },
    { 0x113, PK_NONE, 0, sse_movlh_store, 0 },
    { 0x113, PK_66, 0, sse_movlh_store, 0 },
    { 0x114, PK_NONE, 0, sse_packed_int, PI_UNPCKLPS },
    { 0x114, PK_66, 0, sse_packed_int, PI_PUNPCKLQDQ },
    { 0x115, PK_NONE, 0, sse_packed_int, PI_UNPCKHPS },
    { 0x115, PK_66, 0, sse_packed_int, PI_PUNPCKHQDQ },
    { 0x116, PK_NONE, 0, sse_movlh_load, 1 },
    { 0x116, PK_66, 0, sse_movlh_load, 1 },
    { 0x117, PK_NONE, 0, sse_movlh_store, 1 },
    { 0x117, PK_66, 0, sse_movlh_store, 1 },
    { 0x128, PK_NONE, 0, sse_mov_load_a, 0 },
    { 0x128, PK_66, 0, sse_mov_load_a, 0 },
    { 0x129, PK_NONE, 0, sse_mov_store_a, 0 },
    { 0x129, PK_66, 0, sse_mov_store_a, 0 },
    { 0x12a, PK_F3, 0, sse_cvt_from_si, 4 },
    { 0x12a, PK_F2, 0, sse_cvt_from_si, 8 },
    { 0x12b, PK_NONE, 0, sse_movnt, 0 },
    { 0x12b, PK_66, 0, sse_movnt, 0 },
    { 0x12c, PK_F3, 0, sse_cvt_to_si, 4 | 1 << 4 },
    { 0x12c, PK_F2, 0, sse_cvt_to_si, 8 | 1 << 4 },
    { 0x12d, PK_F3, 0, sse_cvt_to_si, 4 },
    { 0x12d, PK_F2, 0, sse_cvt_to_si, 8 },
    { 0x12e, PK_NONE, 0, sse_comis, 4 },
    { 0x12e, PK_66, 0, sse_comis, 8 },
    { 0x12f, PK_NONE, 0, sse_comis, 4 | 1 << 4 },
    { 0x12f, PK_66, 0, sse_comis, 8 | 1 << 4 },
    { 0x150, PK_NONE, 0, sse_movmsk, 4 },
    { 0x150, PK_66, 0, sse_movmsk, 8 },
    FA(0x151, FO_SQRT),
    { 0x152, PK_NONE, 0, sse_fp_arith, FO_RSQRT },
    { 0x152, PK_F3, 0, sse_fp_arith, FO_RSQRT | PK_F3 << 4 },
    { 0x153, PK_NONE, 0, sse_fp_arith, FO_RCP },
    { 0x153, PK_F3, 0, sse_fp_arith, FO_RCP | PK_F3 << 4 },
    { 0x154, PK_NONE, 0, sse_packed_int, PI_PAND },
    { 0x154, PK_66, 0, sse_packed_int, PI_PAND },
    { 0x155, PK_NONE, 0, sse_packed_int, PI_ANDNPS },
    { 0x155, PK_66, 0, sse_packed_int, PI_ANDNPS },
    { 0x156, PK_NONE, 0, sse_packed_int, PI_POR },
    { 0x156, PK_66, 0, sse_packed_int, PI_POR },
    { 0x157, PK_NONE, 0, sse_packed_int, PI_PXOR },
    { 0x157, PK_66, 0, sse_packed_int, PI_PXOR },
    FA(0x158, FO_ADD), FA(0x159, FO_MUL), FA(0x15c, FO_SUB),
    FA(0x15d, FO_MIN), FA(0x15e, FO_DIV), FA(0x15f, FO_MAX),
    { 0x15a, PK_NONE, 0, sse_cvt, CV_PS2PD },
    { 0x15a, PK_66, 0, sse_cvt, CV_PD2PS },
    { 0x15a, PK_F3, 0, sse_cvt, CV_SS2SD },
    { 0x15a, PK_F2, 0, sse_cvt, CV_SD2SS },
    { 0x15b, PK_NONE, 0, sse_cvt, CV_DQ2PS },
    { 0x15b, PK_66, 0, sse_cvt, CV_PS2DQ },
    { 0x15b, PK_F3, 0, sse_cvt, CV_TPS2DQ },
    PIM(0x160, PI_PUNPCKLBW), PIM(0x161, PI_PUNPCKLWD),
    PIM(0x162, PI_PUNPCKLDQ), PIM(0x163, PI_PACKSSWB),
    PIM(0x164, PI_PCMPGTB), PIM(0x165, PI_PCMPGTW), PIM(0x166, PI_PCMPGTD),
    PIM(0x167, PI_PACKUSWB), PIM(0x168, PI_PUNPCKHBW),
    PIM(0x169, PI_PUNPCKHWD), PIM(0x16a, PI_PUNPCKHDQ),
    PIM(0x16b, PI_PACKSSDW),
    PI(0x16c, PI_PUNPCKLQDQ), PI(0x16d, PI_PUNPCKHQDQ),
    { 0x16e, PK_66, 0, sse_movd_to_xmm, 0 },
    { 0x16e, PK_NONE, 0, mmx_movd_to, 0 },
    { 0x16f, PK_NONE, 0, mmx_movq_load, 0 },
    { 0x170, PK_NONE, 1, mmx_pshufw, 0 },
    { 0x17e, PK_NONE, 0, mmx_movd_from, 0 },
    { 0x17f, PK_NONE, 0, mmx_movq_store, 0 },
    { 0x1c4, PK_NONE, 1, mmx_pinsrw, 0 },
    { 0x1c5, PK_NONE, 1, mmx_pextrw, 0 },
    { 0x1d6, PK_F3, 0, mmx_movq2dq, 0 },
    { 0x1d6, PK_F2, 0, mmx_movdq2q, 0 },
    { 0x1d7, PK_NONE, 0, mmx_pmovmskb, 0 },
    { 0x1e7, PK_NONE, 0, mmx_movq_store, 0 },
    { 0x1f7, PK_NONE, 0, mmx_maskmovq, 0 },
    { 0x16f, PK_66, 0, sse_mov_load_a, 0 },
    { 0x16f, PK_F3, 0, sse_mov_load_u, 0 },
    { 0x170, PK_66, 1, sse_pshufd, PK_66 },
    { 0x170, PK_F3, 1, sse_pshufd, PK_F3 },
    { 0x170, PK_F2, 1, sse_pshufd, PK_F2 },
    PIM(0x174, PI_PCMPEQB), PIM(0x175, PI_PCMPEQW), PIM(0x176, PI_PCMPEQD),
    { 0x177, PK_NONE, 0, sse_emms, 0 },
    { 0x17e, PK_66, 0, sse_movd_from_xmm, 0 },
    { 0x17e, PK_F3, 0, sse_movq_load, 0 },
    { 0x17f, PK_66, 0, sse_mov_store_a, 0 },
    { 0x17f, PK_F3, 0, sse_mov_store_u, 0 },
    { 0x1c2, PK_NONE, 1, sse_cmp, PK_NONE },
    { 0x1c2, PK_66, 1, sse_cmp, PK_66 },
    { 0x1c2, PK_F3, 1, sse_cmp, PK_F3 },
    { 0x1c2, PK_F2, 1, sse_cmp, PK_F2 },
    { 0x1c4, PK_66, 1, sse_pinsrw, 0 },
    { 0x1c5, PK_66, 1, sse_pextrw, 0 },
    { 0x1c6, PK_NONE, 1, sse_shufps, PK_NONE },
    { 0x1c6, PK_66, 1, sse_shufps, PK_66 },
    SHX(0x1d1, 2, SH_RL), SHX(0x1d2, 4, SH_RL), SHX(0x1d3, 8, SH_RL),
    PIM(0x1d4, PI_PADDQ), PIM(0x1d5, PI_PMULLW),
    { 0x1d6, PK_66, 0, sse_movq_store, 0 },
    { 0x1d7, PK_66, 0, sse_pmovmskb, 0 },
    PIM(0x1d8, PI_PSUBUSB), PIM(0x1d9, PI_PSUBUSW), PIM(0x1da, PI_PMINUB),
    PIM(0x1db, PI_PAND), PIM(0x1dc, PI_PADDUSB), PIM(0x1dd, PI_PADDUSW),
    PIM(0x1de, PI_PMAXUB), PIM(0x1df, PI_PANDN),
    PIM(0x1e0, PI_PAVGB), SHX(0x1e1, 2, SH_RA), SHX(0x1e2, 4, SH_RA),
    PIM(0x1e3, PI_PAVGW), PIM(0x1e4, PI_PMULHUW), PIM(0x1e5, PI_PMULHW),
    { 0x1e6, PK_F3, 0, sse_cvt, CV_DQ2PD },
    { 0x1e6, PK_66, 0, sse_cvt, CV_TPD2DQ },
    { 0x1e6, PK_F2, 0, sse_cvt, CV_PD2DQ },
    { 0x1e7, PK_66, 0, sse_movnt, 0 },
    PIM(0x1e8, PI_PSUBSB), PIM(0x1e9, PI_PSUBSW), PIM(0x1ea, PI_PMINSW),
    PIM(0x1eb, PI_POR), PIM(0x1ec, PI_PADDSB), PIM(0x1ed, PI_PADDSW),
    PIM(0x1ee, PI_PMAXSW), PIM(0x1ef, PI_PXOR),
    SHX(0x1f1, 2, SH_LL), SHX(0x1f2, 4, SH_LL), SHX(0x1f3, 8, SH_LL),
    PIM(0x1f4, PI_PMULUDQ), PIM(0x1f5, PI_PMADDWD), PIM(0x1f6, PI_PSADBW),
    { 0x1f7, PK_66, 0, sse_maskmov, 0 },
    PIM(0x1f8, PI_PSUBB), PIM(0x1f9, PI_PSUBW), PIM(0x1fa, PI_PSUBD),
    PIM(0x1fb, PI_PSUBQ), PIM(0x1fc, PI_PADDB), PIM(0x1fd, PI_PADDW),
    PIM(0x1fe, PI_PADDD),
};

bool sse_has_modrm(unsigned opc)
{
    return opc != 0x177;
}

static unsigned prefix_kind(const X86Insn *insn)
{
    if (insn->pfx & PFX_REPZ) {
        return PK_F3;
    }
    if (insn->pfx & PFX_REPNZ) {
        return PK_F2;
    }
    return (insn->pfx & PFX_66) ? PK_66 : PK_NONE;
}

/* 0F 71/72/73 with an imm8: shifts of the r/m register (66: XMM). */
static X86InsnFn sse_shift_group(X86Insn *insn, unsigned opc, bool mmx)
{
    unsigned reg = insn->reg & 7;
    unsigned es = opc == 0x171 ? 2 : opc == 0x172 ? 4 : 8;

    if (insn->mod != 3) {
        return NULL;
    }
    if (opc == 0x173 && (reg == 3 || reg == 7) && !mmx) {
        insn->ext = reg == 7;
        return sse_shift_bytes;
    }
    if (reg == 2) {
        insn->ext = es | SH_RL << 4;
    } else if (reg == 4 && es != 8) {
        insn->ext = es | SH_RA << 4;
    } else if (reg == 6) {
        insn->ext = es | SH_LL << 4;
    } else {
        return NULL;
    }
    return mmx ? mmx_shift_imm : sse_shift_imm;
}

X86InsnFn sse_decode(X86Insn *insn, unsigned opc, uint8_t *imm_kind)
{
    unsigned pk = prefix_kind(insn);

    if (opc >= 0x171 && opc <= 0x173) {
        *imm_kind = SSE_IMM8;
        if (pk != PK_66 && pk != PK_NONE) {
            return NULL;
        }
        return sse_shift_group(insn, opc, pk == PK_NONE);
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(sse_ops); i++) {
        const SSEOp *o = &sse_ops[i];

        if (o->opc == opc && o->pk == pk) {
            if (o->imm) {
                *imm_kind = SSE_IMM8;
            }
            insn->ext = o->ext;
            return o->fn;
        }
    }
    return NULL;
}
