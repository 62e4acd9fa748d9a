/*
 * SSE/SSE2 floating point: packed and scalar arithmetic, compares and
 * conversions, with MXCSR semantics.
 *
 * Results come from the host's IEEE arithmetic run in MXCSR's rounding
 * mode (fesetround), and the host's exception flags become MXCSR's IE, ZE,
 * OE, UE and PE.  What IEEE leaves to the implementation is done here
 * explicitly, the x86 way, so that other hosts agree: NaN propagation
 * (first operand's NaN, quieted), the default NaN (negative "indefinite"),
 * the integer indefinite of failed conversions, the denormal-operand flag
 * (DE), and DAZ/FTZ.  Unmasked exceptions raise #XM (#UD without
 * CR4.OSXMMEXCPT) and leave the destination alone.
 */
#include <fenv.h>
#include <math.h>
#include <string.h>

#include "target/x86_64/tcg/sse.h"

#define MX_IE   0x0001u
#define MX_DE   0x0002u
#define MX_ZE   0x0004u
#define MX_OE   0x0008u
#define MX_UE   0x0010u
#define MX_PE   0x0020u
#define MX_DAZ  0x0040u
#define MX_FTZ  0x8000u
#define MX_RC_SHIFT 13

#define F32_QNAN_BIT    0x00400000u
#define F32_INDEFINITE  0xffc00000u
#define F64_QNAN_BIT    0x0008000000000000ull
#define F64_INDEFINITE  0xfff8000000000000ull

/*
 * Pins a value in memory: host float operations whose operands pass
 * through it after fp_begin and whose result passes through it before
 * fp_end stay between the two, even where the compiler has no strict FP.
 */
#define FP_PIN(x) __asm__ volatile("" : "+m"(x))

/* One instruction's floating-point context. */
typedef struct FpCtx {
    uint32_t mxcsr;
    uint32_t flags;             /* MXCSR status bits found so far */
} FpCtx;

static const int fe_round[4] = {
    FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO,
};

static inline int fe_of_mx(uint32_t mx)
{
    return (mx & MX_IE ? FE_INVALID : 0) | (mx & MX_ZE ? FE_DIVBYZERO : 0) |
           (mx & MX_OE ? FE_OVERFLOW : 0) | (mx & MX_UE ? FE_UNDERFLOW : 0) |
           (mx & MX_PE ? FE_INEXACT : 0);
}

static inline uint32_t mx_of_fe(int fe)
{
    return (fe & FE_INVALID ? MX_IE : 0) | (fe & FE_DIVBYZERO ? MX_ZE : 0) |
           (fe & FE_OVERFLOW ? MX_OE : 0) | (fe & FE_UNDERFLOW ? MX_UE : 0) |
           (fe & FE_INEXACT ? MX_PE : 0);
}

/*
 * Sets the host's rounding mode from MXCSR.RC and clears the host flags
 * this instruction must be able to see raised: those not yet set in MXCSR
 * and the unmasked ones.  A host flag whose MXCSR twin is already set
 * and masked is left alone, so that in the usual steady state (PE set
 * once and for all) no instruction pays for clearing host flags.
 */
static inline void fp_begin(X86TCGCPU *env, FpCtx *c)
{
    uint32_t mx = env->s.mxcsr, watch;
    int stale;

    c->mxcsr = mx;
    c->flags = 0;
    watch = (~mx | (~mx >> 7)) & 0x3f;
    stale = fetestexcept(fe_of_mx(watch));
    if (unlikely(stale)) {
        feclearexcept(stale);
    }
    if ((mx >> MX_RC_SHIFT) & 3) {
        fesetround(fe_round[(mx >> MX_RC_SHIFT) & 3]);
    }
}

/*
 * Collects the host's flags, restores its rounding mode and updates
 * MXCSR; raises #XM (#UD without CR4.OSXMMEXCPT) for an unmasked one.
 */
static inline void fp_end(X86TCGCPU *env, FpCtx *c)
{
    int ex = fetestexcept(FE_ALL_EXCEPT);
    uint32_t unmasked;

    if ((c->mxcsr >> MX_RC_SHIFT) & 3) {
        fesetround(FE_TONEAREST);
    }
    c->flags |= mx_of_fe(ex);
    env->s.mxcsr = c->mxcsr | c->flags;
    unmasked = c->flags & ~(c->mxcsr >> 7) & 0x3f;
    if (unlikely(unmasked)) {
        x86_raise_noerr(env, (env->s.cr4 & X86_CR4_OSXMMEXCPT) ? EXCP_XM
                                                               : EXCP_UD);
    }
}

/* ------------------------------------------------------------------ */
/* Bit-level classification */

static inline float f32_of(uint32_t v)
{
    float f;

    memcpy(&f, &v, 4);
    return f;
}

static inline uint32_t bits32(float f)
{
    uint32_t v;

    memcpy(&v, &f, 4);
    return v;
}

static inline double f64_of(uint64_t v)
{
    double f;

    memcpy(&f, &v, 8);
    return f;
}

static inline uint64_t bits64(double f)
{
    uint64_t v;

    memcpy(&v, &f, 8);
    return v;
}

static inline bool nan32(uint32_t v)
{
    return (v & 0x7fffffffu) > 0x7f800000u;
}

static inline bool snan32(uint32_t v)
{
    return nan32(v) && !(v & F32_QNAN_BIT);
}

static inline bool denorm32(uint32_t v)
{
    return !(v & 0x7f800000u) && (v & 0x007fffffu);
}

static inline bool nan64(uint64_t v)
{
    return (v & ~(1ull << 63)) > 0x7ff0000000000000ull;
}

static inline bool snan64(uint64_t v)
{
    return nan64(v) && !(v & F64_QNAN_BIT);
}

static inline bool denorm64(uint64_t v)
{
    return !(v & 0x7ff0000000000000ull) && (v & 0x000fffffffffffffull);
}

static inline uint32_t daz32(uint32_t v)
{
    return denorm32(v) ? v & 0x80000000u : v;
}

static inline uint64_t daz64(uint64_t v)
{
    return denorm64(v) ? v & (1ull << 63) : v;
}

/* DAZ on an input; DE for a denormal one that stays. */
static inline uint32_t in32(FpCtx *c, uint32_t v)
{
    if (unlikely(denorm32(v))) {
        if (c->mxcsr & MX_DAZ) {
            return v & 0x80000000u;
        }
        c->flags |= MX_DE;
    }
    return v;
}

static inline uint64_t in64(FpCtx *c, uint64_t v)
{
    if (unlikely(denorm64(v))) {
        if (c->mxcsr & MX_DAZ) {
            return v & (1ull << 63);
        }
        c->flags |= MX_DE;
    }
    return v;
}

/* The x86 default NaN for invalid results; FTZ for tiny ones. */
static inline uint32_t out32(FpCtx *c, uint32_t r)
{
    if (unlikely(nan32(r))) {
        return F32_INDEFINITE;
    }
    if (unlikely(denorm32(r)) && (c->mxcsr & (MX_FTZ | (MX_UE << 7))) ==
                                 (MX_FTZ | (MX_UE << 7))) {
        c->flags |= MX_UE | MX_PE;
        return r & 0x80000000u;
    }
    return r;
}

static inline uint64_t out64(FpCtx *c, uint64_t r)
{
    if (unlikely(nan64(r))) {
        return F64_INDEFINITE;
    }
    if (unlikely(denorm64(r)) && (c->mxcsr & (MX_FTZ | (MX_UE << 7))) ==
                                 (MX_FTZ | (MX_UE << 7))) {
        c->flags |= MX_UE | MX_PE;
        return r & (1ull << 63);
    }
    return r;
}

/* ------------------------------------------------------------------ */
/* Arithmetic */

/* The NaN result of a two-operand op with a NaN input: A's, else B's. */
static inline uint32_t nan_pick32(FpCtx *c, uint32_t a, uint32_t b)
{
    if (snan32(a) || snan32(b)) {
        c->flags |= MX_IE;
    }
    return (nan32(a) ? a : b) | F32_QNAN_BIT;
}

static inline uint64_t nan_pick64(FpCtx *c, uint64_t a, uint64_t b)
{
    if (snan64(a) || snan64(b)) {
        c->flags |= MX_IE;
    }
    return (nan64(a) ? a : b) | F64_QNAN_BIT;
}

static uint32_t fop_s(FpCtx *c, unsigned op, uint32_t a, uint32_t b)
{
    float x, y, r;

    if (op == FO_SQRT) {
        if (nan32(b)) {
            c->flags |= snan32(b) ? MX_IE : 0;
            return b | F32_QNAN_BIT;
        }
        if (b > 0x80000000u && !(denorm32(b) && (c->mxcsr & MX_DAZ))) {
            c->flags |= MX_IE;              /* before DE */
            return F32_INDEFINITE;
        }
        y = f32_of(in32(c, b));
        FP_PIN(y);
        r = sqrtf(y);
        FP_PIN(r);
        return out32(c, bits32(r));
    }
    if (c->mxcsr & MX_DAZ) {
        a = daz32(a);
        b = daz32(b);
    }
    if (unlikely(nan32(a) || nan32(b))) {
        if (op == FO_MIN || op == FO_MAX) {
            c->flags |= MX_IE;
            return b;
        }
        return nan_pick32(c, a, b);
    }
    /* Division by zero goes before a denormal dividend. */
    if (unlikely(denorm32(b) || (denorm32(a) && (op != FO_DIV || (b << 1))))) {
        c->flags |= MX_DE;
    }
    x = f32_of(a);
    y = f32_of(b);
    FP_PIN(x);
    FP_PIN(y);
    switch (op) {
    case FO_ADD: r = x + y; break;
    case FO_MUL: r = x * y; break;
    case FO_SUB: r = x - y; break;
    case FO_DIV: r = x / y; break;
    case FO_MIN: return x < y ? a : b;
    default: return x > y ? a : b;          /* FO_MAX */
    }
    FP_PIN(r);
    return out32(c, bits32(r));
}

static uint64_t fop_d(FpCtx *c, unsigned op, uint64_t a, uint64_t b)
{
    double x, y, r;

    if (op == FO_SQRT) {
        if (nan64(b)) {
            c->flags |= snan64(b) ? MX_IE : 0;
            return b | F64_QNAN_BIT;
        }
        if (b > (1ull << 63) && !(denorm64(b) && (c->mxcsr & MX_DAZ))) {
            c->flags |= MX_IE;              /* before DE */
            return F64_INDEFINITE;
        }
        y = f64_of(in64(c, b));
        FP_PIN(y);
        r = sqrt(y);
        FP_PIN(r);
        return out64(c, bits64(r));
    }
    if (c->mxcsr & MX_DAZ) {
        a = daz64(a);
        b = daz64(b);
    }
    if (unlikely(nan64(a) || nan64(b))) {
        if (op == FO_MIN || op == FO_MAX) {
            c->flags |= MX_IE;
            return b;
        }
        return nan_pick64(c, a, b);
    }
    /* Division by zero goes before a denormal dividend. */
    if (unlikely(denorm64(b) || (denorm64(a) && (op != FO_DIV || (b << 1))))) {
        c->flags |= MX_DE;
    }
    x = f64_of(a);
    y = f64_of(b);
    FP_PIN(x);
    FP_PIN(y);
    switch (op) {
    case FO_ADD: r = x + y; break;
    case FO_MUL: r = x * y; break;
    case FO_SUB: r = x - y; break;
    case FO_DIV: r = x / y; break;
    case FO_MIN: return x < y ? a : b;
    default: return x > y ? a : b;          /* FO_MAX */
    }
    FP_PIN(r);
    return out64(c, bits64(r));
}

/*
 * RSQRT/RCP: approximations that raise no exception.  Real processors
 * differ in the low bits; the exact value is as good an answer as any.
 */
static uint32_t approx_s(unsigned op, uint32_t b)
{
    float y = f32_of(b), r;

    if (nan32(b)) {
        return b | F32_QNAN_BIT;
    }
    r = op == FO_RSQRT ? 1.0f / sqrtf(y) : 1.0f / y;
    return nan32(bits32(r)) ? F32_INDEFINITE : bits32(r);
}

/* ext: op | kind << 4 (kind = prefix kind: PS, PD, SS, SD) */
H(sse_fp_arith)
{
    unsigned op = insn->ext & 15, kind = insn->ext >> 4;
    X86XMMReg *d = xr(env, insn->reg), s, r = *d;
    FpCtx c;
    int i;

    sse_check(env);
    if (kind == PK_NONE || kind == PK_66) {
        ld_src(env, insn, &s, true);
    } else {
        s.q[0] = ld_scalar(env, insn, kind == PK_F3 ? 4 : 8);
    }
    if (op == FO_RSQRT || op == FO_RCP) {
        for (i = 0; i < (kind == PK_NONE ? 4 : 1); i++) {
            d->d[i] = approx_s(op, s.d[i]);
        }
        return;
    }
    fp_begin(env, &c);
    switch (kind) {
    case PK_NONE:
        for (i = 0; i < 4; i++) {
            r.d[i] = fop_s(&c, op, d->d[i], s.d[i]);
        }
        break;
    case PK_66:
        for (i = 0; i < 2; i++) {
            r.q[i] = fop_d(&c, op, d->q[i], s.q[i]);
        }
        break;
    case PK_F3:
        r.d[0] = fop_s(&c, op, d->d[0], s.d[0]);
        break;
    default:
        r.q[0] = fop_d(&c, op, d->q[0], s.q[0]);
        break;
    }
    fp_end(env, &c);
    *d = r;
}

/* ------------------------------------------------------------------ */
/* Compares */

/* Predicates 1, 2, 5, 6 (LT, LE, NLT, NLE) signal on QNaNs too. */
static inline bool pred_signals(unsigned pred)
{
    return (pred & 3) == 1 || (pred & 3) == 2;
}

static bool fcmp(unsigned pred, double a, double b, bool un)
{
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

static bool cmp_s(FpCtx *c, unsigned pred, uint32_t a, uint32_t b)
{
    bool un = nan32(a) || nan32(b);

    if (un) {
        if (pred_signals(pred) || snan32(a) || snan32(b)) {
            c->flags |= MX_IE;
        }
        return fcmp(pred, 0, 0, true);
    }
    a = in32(c, a);
    b = in32(c, b);
    return fcmp(pred, f32_of(a), f32_of(b), false);
}

static bool cmp_d(FpCtx *c, unsigned pred, uint64_t a, uint64_t b)
{
    bool un = nan64(a) || nan64(b);

    if (un) {
        if (pred_signals(pred) || snan64(a) || snan64(b)) {
            c->flags |= MX_IE;
        }
        return fcmp(pred, 0, 0, true);
    }
    a = in64(c, a);
    b = in64(c, b);
    return fcmp(pred, f64_of(a), f64_of(b), false);
}

H(sse_cmp)
{
    unsigned kind = insn->ext, pred = insn->imm & 7;
    X86XMMReg *d = xr(env, insn->reg), s, r = *d;
    FpCtx c;
    int i;

    sse_check(env);
    if (kind == PK_NONE || kind == PK_66) {
        ld_src(env, insn, &s, true);
    } else {
        s.q[0] = ld_scalar(env, insn, kind == PK_F3 ? 4 : 8);
    }
    fp_begin(env, &c);
    switch (kind) {
    case PK_NONE:
        for (i = 0; i < 4; i++) {
            r.d[i] = cmp_s(&c, pred, d->d[i], s.d[i]) ? ~0u : 0;
        }
        break;
    case PK_66:
        for (i = 0; i < 2; i++) {
            r.q[i] = cmp_d(&c, pred, d->q[i], s.q[i]) ? ~0ull : 0;
        }
        break;
    case PK_F3:
        r.d[0] = cmp_s(&c, pred, d->d[0], s.d[0]) ? ~0u : 0;
        break;
    default:
        r.q[0] = cmp_d(&c, pred, d->q[0], s.q[0]) ? ~0ull : 0;
        break;
    }
    fp_end(env, &c);
    *d = r;
}

/*
 * UCOMISS/COMISS (ext 4) and UCOMISD/COMISD (ext 8); ext bit 4 marks
 * COMIS, which signals on QNaNs too.
 */
H(sse_comis)
{
    unsigned size = insn->ext & 15;
    bool signal = insn->ext >> 4;
    uint64_t sv, dv;
    double a, b;
    bool un, sn;
    uint32_t f;
    FpCtx c;

    sse_check(env);
    sv = ld_scalar(env, insn, size);
    dv = xr(env, insn->reg)->q[0];
    fp_begin(env, &c);
    if (size == 4) {
        un = nan32(dv) || nan32(sv);
        sn = snan32(dv) || snan32(sv);
        a = un ? 0 : f32_of(in32(&c, dv));
        b = un ? 0 : f32_of(in32(&c, sv));
    } else {
        un = nan64(dv) || nan64(sv);
        sn = snan64(dv) || snan64(sv);
        a = un ? 0 : f64_of(in64(&c, dv));
        b = un ? 0 : f64_of(in64(&c, sv));
    }
    if (un) {
        c.flags |= (signal || sn) ? MX_IE : 0;
        f = X86_FLAG_ZF | X86_FLAG_PF | X86_FLAG_CF;
    } else if (a > b) {
        f = 0;
    } else if (a < b) {
        f = X86_FLAG_CF;
    } else {
        f = X86_FLAG_ZF;
    }
    fp_end(env, &c);
    set_cc_eflags(env, f);
}

/* ------------------------------------------------------------------ */
/* Conversions */

/*
 * V (exact, a NaN already ruled out) to a SIZE-byte integer: rounded by
 * MXCSR.RC (the host's mode, set by fp_begin) or truncated; out of range
 * gives the integer indefinite and IE, inexact PE.
 */
static uint64_t to_int(FpCtx *c, double v, unsigned size, bool truncate)
{
    double lim = size == 8 ? 9223372036854775808.0 : 2147483648.0;
    double r;

    FP_PIN(v);
    r = truncate ? trunc(v) : nearbyint(v);
    FP_PIN(r);

    if (!(r < lim && r >= -lim)) {
        c->flags |= MX_IE;
        return size == 8 ? 0x8000000000000000ull : 0x80000000u;
    }
    if (r != v) {
        c->flags |= MX_PE;
    }
    return size == 8 ? (uint64_t)(int64_t)r : (uint32_t)(int32_t)r;
}

static uint64_t s_to_int(FpCtx *c, uint32_t v, unsigned size, bool trunc)
{
    if (nan32(v)) {
        c->flags |= MX_IE;
        return size == 8 ? 0x8000000000000000ull : 0x80000000u;
    }
    if (denorm32(v) && (c->mxcsr & MX_DAZ)) {
        v &= 0x80000000u;
    }
    return to_int(c, f32_of(v), size, trunc);
}

static uint64_t d_to_int(FpCtx *c, uint64_t v, unsigned size, bool trunc)
{
    if (nan64(v)) {
        c->flags |= MX_IE;
        return size == 8 ? 0x8000000000000000ull : 0x80000000u;
    }
    if (denorm64(v) && (c->mxcsr & MX_DAZ)) {
        v &= 1ull << 63;
    }
    return to_int(c, f64_of(v), size, trunc);
}

/* CVT(T)SS2SI / CVT(T)SD2SI: ext = src size | trunc << 4 */
H(sse_cvt_to_si)
{
    unsigned src = insn->ext & 15, size = (insn->pfx & PFX_REXW) ? 8 : 4;
    bool trunc = insn->ext >> 4;
    uint64_t v, r;
    FpCtx c;

    sse_check(env);
    v = ld_scalar(env, insn, src);
    fp_begin(env, &c);
    r = src == 4 ? s_to_int(&c, v, size, trunc) : d_to_int(&c, v, size, trunc);
    fp_end(env, &c);
    set_reg(env, insn->reg, size, r);
}

/* CVTSI2SS (ext 4) / CVTSI2SD (ext 8) */
H(sse_cvt_from_si)
{
    unsigned size = (insn->pfx & PFX_REXW) ? 8 : 4;
    uint64_t v = insn->mod == 3 ? get_reg(env, insn->rm, size)
                                : x86_ld(env, insn_ea(env, insn), size);
    int64_t i = (int64_t)sext(v, size);
    uint32_t rs = 0;
    uint64_t rd = 0;
    FpCtx c;

    sse_check(env);
    fp_begin(env, &c);
    FP_PIN(i);
    if (insn->ext == 4) {
        float f = (float)i;

        FP_PIN(f);
        rs = bits32(f);
    } else {
        double f = (double)i;

        FP_PIN(f);
        rd = bits64(f);
    }
    fp_end(env, &c);
    if (insn->ext == 4) {
        xr(env, insn->reg)->d[0] = rs;
    } else {
        xr(env, insn->reg)->q[0] = rd;
    }
}

static uint64_t s_to_d(FpCtx *c, uint32_t v)
{
    if (nan32(v)) {
        c->flags |= snan32(v) ? MX_IE : 0;
        return ((uint64_t)(v >> 31) << 63) | 0x7ff8000000000000ull |
               ((uint64_t)(v & 0x003fffffu) << 29);
    }
    return bits64((double)f32_of(in32(c, v)));
}

static uint32_t d_to_s(FpCtx *c, uint64_t v)
{
    if (nan64(v)) {
        c->flags |= snan64(v) ? MX_IE : 0;
        return (uint32_t)(v >> 63) << 31 | 0x7fc00000u |
               (uint32_t)((v >> 29) & 0x003fffffu);
    }
    double x = f64_of(in64(c, v));
    float r;

    FP_PIN(x);
    r = (float)x;
    FP_PIN(r);
    return out32(c, bits32(r));
}

H(sse_cvt)
{
    X86XMMReg s, r = { 0 }, *d = xr(env, insn->reg);
    FpCtx c;
    int i;

    sse_check(env);
    switch (insn->ext) {
    case CV_SS2SD:
    case CV_SD2SS:
        s.q[0] = ld_scalar(env, insn, insn->ext == CV_SS2SD ? 4 : 8);
        r = *d;
        fp_begin(env, &c);
        if (insn->ext == CV_SS2SD) {
            r.q[0] = s_to_d(&c, s.d[0]);
        } else {
            r.d[0] = d_to_s(&c, s.q[0]);
        }
        break;
    case CV_PS2PD:
    case CV_DQ2PD:
        s.q[0] = ld_scalar(env, insn, 8);
        fp_begin(env, &c);
        for (i = 0; i < 2; i++) {
            r.q[i] = insn->ext == CV_PS2PD ? s_to_d(&c, s.d[i])
                                           : bits64((double)(int32_t)s.d[i]);
        }
        break;
    default:
        ld_src(env, insn, &s, true);
        fp_begin(env, &c);
        switch (insn->ext) {
        case CV_PD2PS:
            r.d[0] = d_to_s(&c, s.q[0]);
            r.d[1] = d_to_s(&c, s.q[1]);
            break;
        case CV_DQ2PS:
            for (i = 0; i < 4; i++) {
                int32_t n = (int32_t)s.d[i];
                float f;

                FP_PIN(n);
                f = (float)n;
                FP_PIN(f);
                r.d[i] = bits32(f);
            }
            break;
        case CV_PS2DQ:
        case CV_TPS2DQ:
            for (i = 0; i < 4; i++) {
                r.d[i] = s_to_int(&c, s.d[i], 4, insn->ext == CV_TPS2DQ);
            }
            break;
        default:                /* CV_TPD2DQ, CV_PD2DQ */
            for (i = 0; i < 2; i++) {
                r.d[i] = d_to_int(&c, s.q[i], 4, insn->ext == CV_TPD2DQ);
            }
            break;
        }
        break;
    }
    fp_end(env, &c);
    *d = r;
}
