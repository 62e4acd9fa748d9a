/*
 * SSE and SSE2 on XMM registers: moves, packed integer arithmetic,
 * logic, shuffles and unpacks, and scalar/packed float arithmetic,
 * compares and conversions.  Float results use the host's IEEE arithmetic
 * in round-to-nearest; MXCSR exception flags are not tracked.  MMX forms
 * (no 66 prefix on integer opcodes) are not implemented.
 */
#include <math.h>

#include "target/x86_64/tcg/sse.h"

/* prefix kinds */
enum { PK_NONE, PK_66, PK_F3, PK_F2 };

static void sse_check(X86TCGCPU *env)
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

/* Loads the 128-bit r/m operand; ALIGNED memory operands must be 16-aligned. */
static void ld_src(X86TCGCPU *env, const X86Insn *insn, X86XMMReg *v,
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

static void st_dst(X86TCGCPU *env, const X86Insn *insn, const X86XMMReg *v,
                   bool aligned)
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
static uint64_t ld_scalar(X86TCGCPU *env, const X86Insn *insn, unsigned size)
{
    if (insn->mod == 3) {
        return xr(env, insn->rm)->q[0] & size_mask(size);
    }
    return x86_ld(env, insn_ea(env, insn), size);
}

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
/* Packed integer */

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

static int sat8(int v) { return v < -128 ? -128 : v > 127 ? 127 : v; }
static int sat16(int v) { return v < -32768 ? -32768 : v > 32767 ? 32767 : v; }
static unsigned usat8(int v) { return v < 0 ? 0 : v > 255 ? 255 : v; }
static unsigned usat16(int v) { return v < 0 ? 0 : v > 65535 ? 65535 : v; }

static void unpack(X86XMMReg *r, const X86XMMReg *a, const X86XMMReg *b,
                   unsigned esize, bool high)
{
    unsigned n = 16 / esize / 2, off = high ? 8 : 0;

    for (unsigned i = 0; i < n; i++) {
        memcpy(&r->b[2 * i * esize], &a->b[off + i * esize], esize);
        memcpy(&r->b[(2 * i + 1) * esize], &b->b[off + i * esize], esize);
    }
}

static void packed_int(unsigned op, X86XMMReg *r, const X86XMMReg *a,
                       const X86XMMReg *b)
{
    int i;

    switch (op) {
    case PI_PADDB: for (i = 0; i < 16; i++) r->b[i] = a->b[i] + b->b[i]; break;
    case PI_PADDW: for (i = 0; i < 8; i++) r->w[i] = a->w[i] + b->w[i]; break;
    case PI_PADDD: for (i = 0; i < 4; i++) r->d[i] = a->d[i] + b->d[i]; break;
    case PI_PADDQ: for (i = 0; i < 2; i++) r->q[i] = a->q[i] + b->q[i]; break;
    case PI_PSUBB: for (i = 0; i < 16; i++) r->b[i] = a->b[i] - b->b[i]; break;
    case PI_PSUBW: for (i = 0; i < 8; i++) r->w[i] = a->w[i] - b->w[i]; break;
    case PI_PSUBD: for (i = 0; i < 4; i++) r->d[i] = a->d[i] - b->d[i]; break;
    case PI_PSUBQ: for (i = 0; i < 2; i++) r->q[i] = a->q[i] - b->q[i]; break;
    case PI_PADDSB:
        for (i = 0; i < 16; i++) r->b[i] = sat8((int8_t)a->b[i] + (int8_t)b->b[i]);
        break;
    case PI_PADDSW:
        for (i = 0; i < 8; i++) r->w[i] = sat16((int16_t)a->w[i] + (int16_t)b->w[i]);
        break;
    case PI_PSUBSB:
        for (i = 0; i < 16; i++) r->b[i] = sat8((int8_t)a->b[i] - (int8_t)b->b[i]);
        break;
    case PI_PSUBSW:
        for (i = 0; i < 8; i++) r->w[i] = sat16((int16_t)a->w[i] - (int16_t)b->w[i]);
        break;
    case PI_PADDUSB: for (i = 0; i < 16; i++) r->b[i] = usat8(a->b[i] + b->b[i]); break;
    case PI_PADDUSW: for (i = 0; i < 8; i++) r->w[i] = usat16(a->w[i] + b->w[i]); break;
    case PI_PSUBUSB: for (i = 0; i < 16; i++) r->b[i] = usat8(a->b[i] - b->b[i]); break;
    case PI_PSUBUSW: for (i = 0; i < 8; i++) r->w[i] = usat16(a->w[i] - b->w[i]); break;
    case PI_PCMPEQB: for (i = 0; i < 16; i++) r->b[i] = a->b[i] == b->b[i] ? 0xff : 0; break;
    case PI_PCMPEQW: for (i = 0; i < 8; i++) r->w[i] = a->w[i] == b->w[i] ? 0xffff : 0; break;
    case PI_PCMPEQD: for (i = 0; i < 4; i++) r->d[i] = a->d[i] == b->d[i] ? ~0u : 0; break;
    case PI_PCMPGTB:
        for (i = 0; i < 16; i++) r->b[i] = (int8_t)a->b[i] > (int8_t)b->b[i] ? 0xff : 0;
        break;
    case PI_PCMPGTW:
        for (i = 0; i < 8; i++) r->w[i] = (int16_t)a->w[i] > (int16_t)b->w[i] ? 0xffff : 0;
        break;
    case PI_PCMPGTD:
        for (i = 0; i < 4; i++) r->d[i] = (int32_t)a->d[i] > (int32_t)b->d[i] ? ~0u : 0;
        break;
    case PI_PAND: r->q[0] = a->q[0] & b->q[0]; r->q[1] = a->q[1] & b->q[1]; break;
    case PI_PANDN:
    case PI_ANDNPS:
        r->q[0] = ~a->q[0] & b->q[0];
        r->q[1] = ~a->q[1] & b->q[1];
        break;
    case PI_POR: r->q[0] = a->q[0] | b->q[0]; r->q[1] = a->q[1] | b->q[1]; break;
    case PI_PXOR: r->q[0] = a->q[0] ^ b->q[0]; r->q[1] = a->q[1] ^ b->q[1]; break;
    case PI_PMINUB: for (i = 0; i < 16; i++) r->b[i] = MIN(a->b[i], b->b[i]); break;
    case PI_PMAXUB: for (i = 0; i < 16; i++) r->b[i] = MAX(a->b[i], b->b[i]); break;
    case PI_PMINSW:
        for (i = 0; i < 8; i++) r->w[i] = MIN((int16_t)a->w[i], (int16_t)b->w[i]);
        break;
    case PI_PMAXSW:
        for (i = 0; i < 8; i++) r->w[i] = MAX((int16_t)a->w[i], (int16_t)b->w[i]);
        break;
    case PI_PAVGB: for (i = 0; i < 16; i++) r->b[i] = (a->b[i] + b->b[i] + 1) >> 1; break;
    case PI_PAVGW: for (i = 0; i < 8; i++) r->w[i] = (a->w[i] + b->w[i] + 1) >> 1; break;
    case PI_PMULLW: for (i = 0; i < 8; i++) r->w[i] = a->w[i] * b->w[i]; break;
    case PI_PMULHW:
        for (i = 0; i < 8; i++) r->w[i] = ((int16_t)a->w[i] * (int16_t)b->w[i]) >> 16;
        break;
    case PI_PMULHUW:
        for (i = 0; i < 8; i++) r->w[i] = ((uint32_t)a->w[i] * b->w[i]) >> 16;
        break;
    case PI_PMULUDQ:
        for (i = 0; i < 2; i++) r->q[i] = (uint64_t)a->d[2 * i] * b->d[2 * i];
        break;
    case PI_PMADDWD:
        for (i = 0; i < 4; i++) {
            r->d[i] = (uint32_t)((int16_t)a->w[2 * i] * (int16_t)b->w[2 * i] +
                                 (int16_t)a->w[2 * i + 1] * (int16_t)b->w[2 * i + 1]);
        }
        break;
    case PI_PSADBW:
        for (i = 0; i < 2; i++) {
            unsigned s = 0;

            for (int j = 0; j < 8; j++) {
                s += abs((int)a->b[8 * i + j] - (int)b->b[8 * i + j]);
            }
            r->q[i] = s;
        }
        break;
    case PI_PUNPCKLBW: unpack(r, a, b, 1, false); break;
    case PI_PUNPCKLWD: unpack(r, a, b, 2, false); break;
    case PI_PUNPCKLDQ: case PI_UNPCKLPS: unpack(r, a, b, 4, false); break;
    case PI_PUNPCKLQDQ: unpack(r, a, b, 8, false); break;
    case PI_PUNPCKHBW: unpack(r, a, b, 1, true); break;
    case PI_PUNPCKHWD: unpack(r, a, b, 2, true); break;
    case PI_PUNPCKHDQ: case PI_UNPCKHPS: unpack(r, a, b, 4, true); break;
    case PI_PUNPCKHQDQ: unpack(r, a, b, 8, true); break;
    case PI_PACKSSWB:
        for (i = 0; i < 8; i++) {
            r->b[i] = sat8((int16_t)a->w[i]);
            r->b[i + 8] = sat8((int16_t)b->w[i]);
        }
        break;
    case PI_PACKUSWB:
        for (i = 0; i < 8; i++) {
            r->b[i] = usat8((int16_t)a->w[i]);
            r->b[i + 8] = usat8((int16_t)b->w[i]);
        }
        break;
    case PI_PACKSSDW:
        for (i = 0; i < 4; i++) {
            r->w[i] = sat16((int32_t)a->d[i]);
            r->w[i + 4] = sat16((int32_t)b->d[i]);
        }
        break;
    default:
        g_assert_not_reached();
    }
}

H(sse_packed_int)
{
    X86XMMReg b, r;

    sse_check(env);
    ld_src(env, insn, &b, true);
    packed_int(insn->ext, &r, xr(env, insn->reg), &b);
    *xr(env, insn->reg) = r;
}

/* Shifts by an xmm/m128 count (ext: esize | kind << 4) or by imm8 (groups). */
enum { SH_LL, SH_RL, SH_RA };

static void packed_shift(X86XMMReg *v, unsigned esize, unsigned kind,
                         uint64_t count)
{
    unsigned bits = esize * 8;

    for (unsigned i = 0; i < 16 / esize; i++) {
        uint64_t e = 0;
        int64_t se;

        memcpy(&e, &v->b[i * esize], esize);
        if (kind == SH_RA) {
            se = (int64_t)sext(e, esize);
            e = (uint64_t)(se >> (count >= bits ? bits - 1 : count));
        } else if (count >= bits) {
            e = 0;
        } else {
            e = kind == SH_LL ? e << count : e >> count;
        }
        memcpy(&v->b[i * esize], &e, esize);
    }
}

H(sse_shift_xmm)
{
    X86XMMReg c;

    sse_check(env);
    ld_src(env, insn, &c, true);
    packed_shift(xr(env, insn->reg), insn->ext & 15, insn->ext >> 4, c.q[0]);
}

H(sse_shift_imm)
{
    sse_check(env);
    packed_shift(xr(env, insn->rm), insn->ext & 15, insn->ext >> 4,
                 insn->imm & 0xff);
}

/* PSLLDQ (ext 1) / PSRLDQ (ext 0) */
H(sse_shift_bytes)
{
    X86XMMReg *v = xr(env, insn->rm), r = { 0 };
    unsigned n = insn->imm & 0xff;

    sse_check(env);
    if (n < 16) {
        if (insn->ext) {
            memcpy(&r.b[n], v->b, 16 - n);
        } else {
            memcpy(r.b, &v->b[n], 16 - n);
        }
    }
    *v = r;
}

H(sse_pshufd)
{
    X86XMMReg s, r;
    unsigned im = insn->imm;

    sse_check(env);
    ld_src(env, insn, &s, true);
    switch (insn->ext) {
    case PK_66:
        for (int i = 0; i < 4; i++) {
            r.d[i] = s.d[(im >> (2 * i)) & 3];
        }
        break;
    case PK_F3:                 /* PSHUFHW */
        r.q[0] = s.q[0];
        for (int i = 0; i < 4; i++) {
            r.w[4 + i] = s.w[4 + ((im >> (2 * i)) & 3)];
        }
        break;
    default:                    /* PSHUFLW */
        r.q[1] = s.q[1];
        for (int i = 0; i < 4; i++) {
            r.w[i] = s.w[(im >> (2 * i)) & 3];
        }
        break;
    }
    *xr(env, insn->reg) = r;
}

H(sse_shufps)
{
    X86XMMReg s, r, *d = xr(env, insn->reg);
    unsigned im = insn->imm;

    sse_check(env);
    ld_src(env, insn, &s, true);
    if (insn->ext == PK_NONE) {
        r.d[0] = d->d[im & 3];
        r.d[1] = d->d[(im >> 2) & 3];
        r.d[2] = s.d[(im >> 4) & 3];
        r.d[3] = s.d[(im >> 6) & 3];
    } else {
        r.q[0] = d->q[im & 1];
        r.q[1] = s.q[(im >> 1) & 1];
    }
    *d = r;
}

/* ------------------------------------------------------------------ */
/* Floating point */

enum { FO_ADD, FO_MUL, FO_SUB, FO_MIN, FO_DIV, FO_MAX, FO_SQRT, FO_RSQRT,
       FO_RCP };

static float fop_s(unsigned op, float a, float b)
{
    switch (op) {
    case FO_ADD: return a + b;
    case FO_MUL: return a * b;
    case FO_SUB: return a - b;
    case FO_MIN: return a < b ? a : b;
    case FO_DIV: return a / b;
    case FO_MAX: return a > b ? a : b;
    case FO_SQRT: return sqrtf(b);
    case FO_RSQRT: return 1.0f / sqrtf(b);
    default: return 1.0f / b;
    }
}

static double fop_d(unsigned op, double a, double b)
{
    switch (op) {
    case FO_ADD: return a + b;
    case FO_MUL: return a * b;
    case FO_SUB: return a - b;
    case FO_MIN: return a < b ? a : b;
    case FO_DIV: return a / b;
    case FO_MAX: return a > b ? a : b;
    default: return sqrt(b);
    }
}

/* ext: op | kind << 4 (kind = prefix kind: PS, PD, SS, SD) */
H(sse_fp_arith)
{
    unsigned op = insn->ext & 15, kind = insn->ext >> 4;
    X86XMMReg *d = xr(env, insn->reg), s;

    sse_check(env);
    switch (kind) {
    case PK_NONE:
        ld_src(env, insn, &s, true);
        for (int i = 0; i < 4; i++) {
            d->s[i] = fop_s(op, d->s[i], s.s[i]);
        }
        break;
    case PK_66:
        ld_src(env, insn, &s, true);
        for (int i = 0; i < 2; i++) {
            d->f[i] = fop_d(op, d->f[i], s.f[i]);
        }
        break;
    case PK_F3:
        s.q[0] = ld_scalar(env, insn, 4);
        d->s[0] = fop_s(op, d->s[0], s.s[0]);
        break;
    default:
        s.q[0] = ld_scalar(env, insn, 8);
        d->f[0] = fop_d(op, d->f[0], s.f[0]);
        break;
    }
}

static bool fcmp(unsigned pred, double a, double b)
{
    bool un = isnan(a) || isnan(b);

    switch (pred & 7) {
    case 0: return !un && a == b;
    case 1: return !un && a < b;
    case 2: return !un && a <= b;
    case 3: return un;
    case 4: return un || a != b;
    case 5: return un || !(a < b);
    case 6: return un || !(a <= b);
    default: return !un;
    }
}

H(sse_cmp)
{
    unsigned kind = insn->ext, pred = insn->imm & 7;
    X86XMMReg *d = xr(env, insn->reg), s;

    sse_check(env);
    switch (kind) {
    case PK_NONE:
        ld_src(env, insn, &s, true);
        for (int i = 0; i < 4; i++) {
            d->d[i] = fcmp(pred, d->s[i], s.s[i]) ? ~0u : 0;
        }
        break;
    case PK_66:
        ld_src(env, insn, &s, true);
        for (int i = 0; i < 2; i++) {
            d->q[i] = fcmp(pred, d->f[i], s.f[i]) ? ~0ull : 0;
        }
        break;
    case PK_F3:
        s.q[0] = ld_scalar(env, insn, 4);
        d->d[0] = fcmp(pred, d->s[0], s.s[0]) ? ~0u : 0;
        break;
    default:
        s.q[0] = ld_scalar(env, insn, 8);
        d->q[0] = fcmp(pred, d->f[0], s.f[0]) ? ~0ull : 0;
        break;
    }
}

/* UCOMISS/COMISS (ext 4) and UCOMISD/COMISD (ext 8) */
H(sse_comis)
{
    X86XMMReg s;
    double a, b;
    uint32_t f;

    sse_check(env);
    s.q[0] = ld_scalar(env, insn, insn->ext);
    if (insn->ext == 4) {
        a = xr(env, insn->reg)->s[0];
        b = s.s[0];
    } else {
        a = xr(env, insn->reg)->f[0];
        b = s.f[0];
    }
    if (isnan(a) || isnan(b)) {
        f = X86_FLAG_ZF | X86_FLAG_PF | X86_FLAG_CF;
    } else if (a > b) {
        f = 0;
    } else if (a < b) {
        f = X86_FLAG_CF;
    } else {
        f = X86_FLAG_ZF;
    }
    set_cc_eflags(env, f);
}

static double round_mxcsr(X86TCGCPU *env, double v, bool truncate)
{
    if (truncate) {
        return trunc(v);
    }
    switch ((env->s.mxcsr >> 13) & 3) {
    case 0: return nearbyint(v);
    case 1: return floor(v);
    case 2: return ceil(v);
    default: return trunc(v);
    }
}

static uint64_t to_int(X86TCGCPU *env, double v, unsigned size, bool trunc)
{
    double r = round_mxcsr(env, v, trunc);
    double lim = size == 8 ? 9223372036854775808.0 : 2147483648.0;

    if (isnan(r) || r >= lim || r < -lim) {
        return size == 8 ? 0x8000000000000000ull : 0x80000000u;
    }
    return size == 8 ? (uint64_t)(int64_t)r : (uint32_t)(int32_t)r;
}

/* CVT(T)SS2SI / CVT(T)SD2SI: ext = src size | trunc << 4 */
H(sse_cvt_to_si)
{
    unsigned src = insn->ext & 15, size = (insn->pfx & PFX_REXW) ? 8 : 4;
    X86XMMReg s;
    double v;

    sse_check(env);
    s.q[0] = ld_scalar(env, insn, src);
    v = src == 4 ? s.s[0] : s.f[0];
    set_reg(env, insn->reg, size, to_int(env, v, size, insn->ext >> 4));
}

/* CVTSI2SS (ext 4) / CVTSI2SD (ext 8) */
H(sse_cvt_from_si)
{
    unsigned size = (insn->pfx & PFX_REXW) ? 8 : 4;
    uint64_t v = insn->mod == 3 ? get_reg(env, insn->rm, size)
                                : x86_ld(env, insn_ea(env, insn), size);
    int64_t i = (int64_t)sext(v, size);

    sse_check(env);
    if (insn->ext == 4) {
        xr(env, insn->reg)->s[0] = (float)i;
    } else {
        xr(env, insn->reg)->f[0] = (double)i;
    }
}

enum { CV_PS2PD, CV_PD2PS, CV_SS2SD, CV_SD2SS, CV_DQ2PS, CV_PS2DQ,
       CV_TPS2DQ, CV_DQ2PD, CV_TPD2DQ, CV_PD2DQ };

H(sse_cvt)
{
    X86XMMReg s, r = { 0 }, *d = xr(env, insn->reg);
    int i;

    sse_check(env);
    switch (insn->ext) {
    case CV_SS2SD:
        s.q[0] = ld_scalar(env, insn, 4);
        d->f[0] = s.s[0];
        return;
    case CV_SD2SS:
        s.q[0] = ld_scalar(env, insn, 8);
        d->s[0] = (float)s.f[0];
        return;
    case CV_PS2PD:
    case CV_DQ2PD:
        s.q[0] = ld_scalar(env, insn, 8);
        for (i = 0; i < 2; i++) {
            r.f[i] = insn->ext == CV_PS2PD ? (double)s.s[i]
                                           : (double)(int32_t)s.d[i];
        }
        break;
    default:
        ld_src(env, insn, &s, true);
        switch (insn->ext) {
        case CV_PD2PS:
            r.s[0] = (float)s.f[0];
            r.s[1] = (float)s.f[1];
            break;
        case CV_DQ2PS:
            for (i = 0; i < 4; i++) {
                r.s[i] = (float)(int32_t)s.d[i];
            }
            break;
        case CV_PS2DQ:
        case CV_TPS2DQ:
            for (i = 0; i < 4; i++) {
                r.d[i] = to_int(env, s.s[i], 4, insn->ext == CV_TPS2DQ);
            }
            break;
        default:                /* CV_TPD2DQ, CV_PD2DQ */
            for (i = 0; i < 2; i++) {
                r.d[i] = to_int(env, s.f[i], 4, insn->ext == CV_TPD2DQ);
            }
            break;
        }
        break;
    }
    *d = r;
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
#define SHX(o, es, k) { o, PK_66, 0, sse_shift_xmm, (es) | (k) << 4 }

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
    { 0x12f, PK_NONE, 0, sse_comis, 4 },
    { 0x12f, PK_66, 0, sse_comis, 8 },
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
    PI(0x160, PI_PUNPCKLBW), PI(0x161, PI_PUNPCKLWD), PI(0x162, PI_PUNPCKLDQ),
    PI(0x163, PI_PACKSSWB), PI(0x164, PI_PCMPGTB), PI(0x165, PI_PCMPGTW),
    PI(0x166, PI_PCMPGTD), PI(0x167, PI_PACKUSWB), PI(0x168, PI_PUNPCKHBW),
    PI(0x169, PI_PUNPCKHWD), PI(0x16a, PI_PUNPCKHDQ), PI(0x16b, PI_PACKSSDW),
    PI(0x16c, PI_PUNPCKLQDQ), PI(0x16d, PI_PUNPCKHQDQ),
    { 0x16e, PK_66, 0, sse_movd_to_xmm, 0 },
    { 0x16f, PK_66, 0, sse_mov_load_a, 0 },
    { 0x16f, PK_F3, 0, sse_mov_load_u, 0 },
    { 0x170, PK_66, 1, sse_pshufd, PK_66 },
    { 0x170, PK_F3, 1, sse_pshufd, PK_F3 },
    { 0x170, PK_F2, 1, sse_pshufd, PK_F2 },
    PI(0x174, PI_PCMPEQB), PI(0x175, PI_PCMPEQW), PI(0x176, PI_PCMPEQD),
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
    PI(0x1d4, PI_PADDQ), PI(0x1d5, PI_PMULLW),
    { 0x1d6, PK_66, 0, sse_movq_store, 0 },
    { 0x1d7, PK_66, 0, sse_pmovmskb, 0 },
    PI(0x1d8, PI_PSUBUSB), PI(0x1d9, PI_PSUBUSW), PI(0x1da, PI_PMINUB),
    PI(0x1db, PI_PAND), PI(0x1dc, PI_PADDUSB), PI(0x1dd, PI_PADDUSW),
    PI(0x1de, PI_PMAXUB), PI(0x1df, PI_PANDN),
    PI(0x1e0, PI_PAVGB), SHX(0x1e1, 2, SH_RA), SHX(0x1e2, 4, SH_RA),
    PI(0x1e3, PI_PAVGW), PI(0x1e4, PI_PMULHUW), PI(0x1e5, PI_PMULHW),
    { 0x1e6, PK_F3, 0, sse_cvt, CV_DQ2PD },
    { 0x1e6, PK_66, 0, sse_cvt, CV_TPD2DQ },
    { 0x1e6, PK_F2, 0, sse_cvt, CV_PD2DQ },
    { 0x1e7, PK_66, 0, sse_movnt, 0 },
    PI(0x1e8, PI_PSUBSB), PI(0x1e9, PI_PSUBSW), PI(0x1ea, PI_PMINSW),
    PI(0x1eb, PI_POR), PI(0x1ec, PI_PADDSB), PI(0x1ed, PI_PADDSW),
    PI(0x1ee, PI_PMAXSW), PI(0x1ef, PI_PXOR),
    SHX(0x1f1, 2, SH_LL), SHX(0x1f2, 4, SH_LL), SHX(0x1f3, 8, SH_LL),
    PI(0x1f4, PI_PMULUDQ), PI(0x1f5, PI_PMADDWD), PI(0x1f6, PI_PSADBW),
    { 0x1f7, PK_66, 0, sse_maskmov, 0 },
    PI(0x1f8, PI_PSUBB), PI(0x1f9, PI_PSUBW), PI(0x1fa, PI_PSUBD),
    PI(0x1fb, PI_PSUBQ), PI(0x1fc, PI_PADDB), PI(0x1fd, PI_PADDW),
    PI(0x1fe, PI_PADDD),
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

/* 66 0F 71/72/73 with an imm8: shifts of the r/m register. */
static X86InsnFn sse_shift_group(X86Insn *insn, unsigned opc)
{
    unsigned reg = insn->reg & 7;
    unsigned es = opc == 0x171 ? 2 : opc == 0x172 ? 4 : 8;

    if (insn->mod != 3) {
        return NULL;
    }
    if (opc == 0x173 && (reg == 3 || reg == 7)) {
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
    return sse_shift_imm;
}

X86InsnFn sse_decode(X86Insn *insn, unsigned opc, uint8_t *imm_kind)
{
    unsigned pk = prefix_kind(insn);

    if (opc >= 0x171 && opc <= 0x173) {
        *imm_kind = SSE_IMM8;
        return pk == PK_66 ? sse_shift_group(insn, opc) : NULL;
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
