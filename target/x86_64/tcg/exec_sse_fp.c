/*
 * SSE/SSE2 floating point: packed and scalar arithmetic, compares and
 * conversions.  Results use the host's IEEE arithmetic in round-to-nearest
 * (conversions to integers honour MXCSR.RC); MXCSR exception flags are not
 * tracked.
 */
#include <math.h>

#include "target/x86_64/tcg/sse.h"

/* ------------------------------------------------------------------ */
/* Floating point */

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

