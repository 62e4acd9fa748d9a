/*
 * SSE2 packed integer operations: arithmetic (wrapping and saturating),
 * compares, logic, min/max/average, multiplies, unpacks and packs, shifts
 * and shuffles.
 */
#include <stdlib.h>

#include "target/x86_64/tcg/sse.h"

/* ------------------------------------------------------------------ */
/* Packed integer */

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

void sse_packed_int_op(unsigned op, X86XMMReg *r, const X86XMMReg *a,
                       const X86XMMReg *b)
{
    int i;

    switch (op) {
    case PI_PADDB:
        for (i = 0; i < 16; i++) {
            r->b[i] = a->b[i] + b->b[i];
        }
        break;
    case PI_PADDW:
        for (i = 0; i < 8; i++) {
            r->w[i] = a->w[i] + b->w[i];
        }
        break;
    case PI_PADDD:
        for (i = 0; i < 4; i++) {
            r->d[i] = a->d[i] + b->d[i];
        }
        break;
    case PI_PADDQ:
        for (i = 0; i < 2; i++) {
            r->q[i] = a->q[i] + b->q[i];
        }
        break;
    case PI_PSUBB:
        for (i = 0; i < 16; i++) {
            r->b[i] = a->b[i] - b->b[i];
        }
        break;
    case PI_PSUBW:
        for (i = 0; i < 8; i++) {
            r->w[i] = a->w[i] - b->w[i];
        }
        break;
    case PI_PSUBD:
        for (i = 0; i < 4; i++) {
            r->d[i] = a->d[i] - b->d[i];
        }
        break;
    case PI_PSUBQ:
        for (i = 0; i < 2; i++) {
            r->q[i] = a->q[i] - b->q[i];
        }
        break;
    case PI_PADDSB:
        for (i = 0; i < 16; i++) {
            r->b[i] = sat8((int8_t)a->b[i] + (int8_t)b->b[i]);
        }
        break;
    case PI_PADDSW:
        for (i = 0; i < 8; i++) {
            r->w[i] = sat16((int16_t)a->w[i] + (int16_t)b->w[i]);
        }
        break;
    case PI_PSUBSB:
        for (i = 0; i < 16; i++) {
            r->b[i] = sat8((int8_t)a->b[i] - (int8_t)b->b[i]);
        }
        break;
    case PI_PSUBSW:
        for (i = 0; i < 8; i++) {
            r->w[i] = sat16((int16_t)a->w[i] - (int16_t)b->w[i]);
        }
        break;
    case PI_PADDUSB:
        for (i = 0; i < 16; i++) {
            r->b[i] = usat8(a->b[i] + b->b[i]);
        }
        break;
    case PI_PADDUSW:
        for (i = 0; i < 8; i++) {
            r->w[i] = usat16(a->w[i] + b->w[i]);
        }
        break;
    case PI_PSUBUSB:
        for (i = 0; i < 16; i++) {
            r->b[i] = usat8(a->b[i] - b->b[i]);
        }
        break;
    case PI_PSUBUSW:
        for (i = 0; i < 8; i++) {
            r->w[i] = usat16(a->w[i] - b->w[i]);
        }
        break;
    case PI_PCMPEQB:
        for (i = 0; i < 16; i++) {
            r->b[i] = a->b[i] == b->b[i] ? 0xff : 0;
        }
        break;
    case PI_PCMPEQW:
        for (i = 0; i < 8; i++) {
            r->w[i] = a->w[i] == b->w[i] ? 0xffff : 0;
        }
        break;
    case PI_PCMPEQD:
        for (i = 0; i < 4; i++) {
            r->d[i] = a->d[i] == b->d[i] ? ~0u : 0;
        }
        break;
    case PI_PCMPGTB:
        for (i = 0; i < 16; i++) {
            r->b[i] = (int8_t)a->b[i] > (int8_t)b->b[i] ? 0xff : 0;
        }
        break;
    case PI_PCMPGTW:
        for (i = 0; i < 8; i++) {
            r->w[i] = (int16_t)a->w[i] > (int16_t)b->w[i] ? 0xffff : 0;
        }
        break;
    case PI_PCMPGTD:
        for (i = 0; i < 4; i++) {
            r->d[i] = (int32_t)a->d[i] > (int32_t)b->d[i] ? ~0u : 0;
        }
        break;
    case PI_PAND:
        r->q[0] = a->q[0] & b->q[0];
        r->q[1] = a->q[1] & b->q[1];
        break;
    case PI_PANDN:
    case PI_ANDNPS:
        r->q[0] = ~a->q[0] & b->q[0];
        r->q[1] = ~a->q[1] & b->q[1];
        break;
    case PI_POR:
        r->q[0] = a->q[0] | b->q[0];
        r->q[1] = a->q[1] | b->q[1];
        break;
    case PI_PXOR:
        r->q[0] = a->q[0] ^ b->q[0];
        r->q[1] = a->q[1] ^ b->q[1];
        break;
    case PI_PMINUB:
        for (i = 0; i < 16; i++) {
            r->b[i] = MIN(a->b[i], b->b[i]);
        }
        break;
    case PI_PMAXUB:
        for (i = 0; i < 16; i++) {
            r->b[i] = MAX(a->b[i], b->b[i]);
        }
        break;
    case PI_PMINSW:
        for (i = 0; i < 8; i++) {
            r->w[i] = MIN((int16_t)a->w[i], (int16_t)b->w[i]);
        }
        break;
    case PI_PMAXSW:
        for (i = 0; i < 8; i++) {
            r->w[i] = MAX((int16_t)a->w[i], (int16_t)b->w[i]);
        }
        break;
    case PI_PAVGB:
        for (i = 0; i < 16; i++) {
            r->b[i] = (a->b[i] + b->b[i] + 1) >> 1;
        }
        break;
    case PI_PAVGW:
        for (i = 0; i < 8; i++) {
            r->w[i] = (a->w[i] + b->w[i] + 1) >> 1;
        }
        break;
    case PI_PMULLW:
        for (i = 0; i < 8; i++) {
            r->w[i] = a->w[i] * b->w[i];
        }
        break;
    case PI_PMULHW:
        for (i = 0; i < 8; i++) {
            r->w[i] = ((int16_t)a->w[i] * (int16_t)b->w[i]) >> 16;
        }
        break;
    case PI_PMULHUW:
        for (i = 0; i < 8; i++) {
            r->w[i] = ((uint32_t)a->w[i] * b->w[i]) >> 16;
        }
        break;
    case PI_PMULUDQ:
        for (i = 0; i < 2; i++) {
            r->q[i] = (uint64_t)a->d[2 * i] * b->d[2 * i];
        }
        break;
    case PI_PMADDWD:
        for (i = 0; i < 4; i++) {
            int32_t lo = (int16_t)a->w[2 * i] * (int16_t)b->w[2 * i];
            int32_t hi = (int16_t)a->w[2 * i + 1] * (int16_t)b->w[2 * i + 1];

            r->d[i] = (uint32_t)lo + (uint32_t)hi;
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
    sse_packed_int_op(insn->ext, &r, xr(env, insn->reg), &b);
    *xr(env, insn->reg) = r;
}

/* Shifts by an xmm/m128 count (ext: esize | kind << 4) or by imm8 (groups). */
void sse_packed_shift(X86XMMReg *v, unsigned esize, unsigned kind,
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
    sse_packed_shift(xr(env, insn->reg), insn->ext & 15, insn->ext >> 4,
                     c.q[0]);
}

H(sse_shift_imm)
{
    sse_check(env);
    sse_packed_shift(xr(env, insn->rm), insn->ext & 15, insn->ext >> 4,
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

