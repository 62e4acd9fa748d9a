/*
 * x87 instructions (D8-DF).  Values are computed in the host's long
 * double: on x86-64 hosts that is the x87's own 80-bit format, so results
 * match the hardware; elsewhere (aarch64: IEEE quad) they are at least as
 * precise.  The exception flags (FSW bits 0-5) come from the host's IEEE
 * flags, with DE and the integer-store/FRNDINT flags worked out here.
 * Precision and rounding control for arithmetic, C1 as "rounded up",
 * signalling compares (FCOM on a QNaN) and unmasked x87 exceptions (#MF)
 * are not modelled; BCD loads and stores (FBLD/FBSTP) raise #UD.
 */
#include <fenv.h>
#include <float.h>
#include <math.h>

#include "target/x86_64/tcg/tcg_cpu.h"

#define FSW_C0  (1u << 8)
#define FSW_C1  (1u << 9)
#define FSW_C2  (1u << 10)
#define FSW_C3  (1u << 14)
#define FSW_CC  (FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3)
#define FSW_DE  (1u << 1)
#define FSW_PE  (1u << 5)
#define FSW_TOP_SHIFT 11

typedef long double fp80;

/* ------------------------------------------------------------------ */
/* The 80-bit register format */

static fp80 fx_to_host(const X86FPReg *r)
{
#if LDBL_MANT_DIG == 64
    fp80 v = 0;

    memcpy(&v, r, 10);
    return v;
#else
    unsigned exp = r->sign_exp & 0x7fff;
    bool neg = r->sign_exp & 0x8000;
    fp80 v;

    if (exp == 0x7fff) {
        v = (r->mant << 1) ? (fp80)NAN : (fp80)INFINITY;
    } else if (exp == 0) {
        v = ldexpl((fp80)r->mant, 1 - 16383 - 63);
    } else {
        v = ldexpl((fp80)r->mant, (int)exp - 16383 - 63);
    }
    return neg ? -v : v;
#endif
}

static void host_to_fx(fp80 v, X86FPReg *r)
{
#if LDBL_MANT_DIG == 64
    memcpy(r, &v, 10);
#else
    uint16_t sign = signbit(v) ? 0x8000 : 0;
    int e;

    if (isnan(v)) {
        r->mant = 0xc000000000000000ull;
        r->sign_exp = 0xffff;
    } else if (isinf(v)) {
        r->mant = 0x8000000000000000ull;
        r->sign_exp = sign | 0x7fff;
    } else if (v == 0) {
        r->mant = 0;
        r->sign_exp = sign;
    } else {
        fp80 m = frexpl(fabsl(v), &e);      /* m in [0.5, 1) */
        int exp = e - 1 + 16383;

        if (exp <= 0) {                     /* denormal */
            r->mant = (uint64_t)ldexpl(m, 63 + exp);
            r->sign_exp = sign;
        } else {
            r->mant = (uint64_t)ldexpl(m, 64);
            r->sign_exp = sign | exp;
        }
    }
#endif
}

/* ------------------------------------------------------------------ */
/* The register stack */

static unsigned fp_top(X86TCGCPU *env)
{
    return (env->s.fsw >> FSW_TOP_SHIFT) & 7;
}

static void fp_set_top(X86TCGCPU *env, unsigned top)
{
    env->s.fsw = (env->s.fsw & ~(7u << FSW_TOP_SHIFT)) |
                 ((top & 7) << FSW_TOP_SHIFT);
}

static unsigned fp_phys(X86TCGCPU *env, unsigned i)
{
    return (fp_top(env) + i) & 7;
}

/* ST(i) holds a denormal (or pseudo-denormal): zero exponent, nonzero. */
static bool st_denormal(X86TCGCPU *env, unsigned i)
{
    const X86FPReg *r = &env->s.st[fp_phys(env, i)];

    return !(r->sign_exp & 0x7fff) && r->mant;
}

/* ST(i) is a proper NaN (J bit set). */
static bool st_is_nan(X86TCGCPU *env, unsigned i)
{
    const X86FPReg *r = &env->s.st[fp_phys(env, i)];

    return (r->sign_exp & 0x7fff) == 0x7fff && (r->mant >> 63) &&
           (r->mant << 1);
}

/* ST(i) is a NaN or an unsupported encoding (nonzero exponent, no J bit). */
static bool st_nan_or_bad(X86TCGCPU *env, unsigned i)
{
    const X86FPReg *r = &env->s.st[fp_phys(env, i)];
    unsigned exp = r->sign_exp & 0x7fff;

    return (exp && !(r->mant >> 63)) || (exp == 0x7fff && (r->mant << 1));
}

static fp80 st(X86TCGCPU *env, unsigned i)
{
    return fx_to_host(&env->s.st[fp_phys(env, i)]);
}

static void set_st(X86TCGCPU *env, unsigned i, fp80 v)
{
    unsigned p = fp_phys(env, i);

    host_to_fx(v, &env->s.st[p]);
    env->s.ftw |= 1u << p;
}

static void fp_push(X86TCGCPU *env, fp80 v)
{
    unsigned top = (fp_top(env) - 1) & 7;

    if (env->s.ftw & (1u << top)) {
        env->s.fsw |= 0x41 | FSW_C1;        /* stack overflow: SF, IE */
    }
    fp_set_top(env, top);
    set_st(env, 0, v);
}

static void fp_pop(X86TCGCPU *env)
{
    env->s.ftw &= ~(1u << fp_top(env));
    fp_set_top(env, fp_top(env) + 1);
}

/* ------------------------------------------------------------------ */
/* Memory operands */

/* What a memory operand was before its conversion to the host format. */
enum { MEM_DENORMAL = 1, MEM_SNAN = 2, MEM_FLOAT = 4 };

/* Loads a single or double; *CLS gets its MEM_* class. */
static fp80 ld_float(X86TCGCPU *env, uint64_t la, unsigned size,
                     unsigned *cls)
{
    uint64_t bits = x86_ld(env, la, size);
    uint64_t exp = size == 4 ? 0x7f800000u : 0x7ff0000000000000ull;
    uint64_t frac = size == 4 ? 0x007fffffu : 0x000fffffffffffffull;
    uint64_t quiet = size == 4 ? 0x00400000u : 0x0008000000000000ull;
    float f;
    double d;

    *cls = MEM_FLOAT;
    if (!(bits & exp) && (bits & frac)) {
        *cls |= MEM_DENORMAL;
    } else if ((bits & exp) == exp && (bits & frac) && !(bits & quiet)) {
        *cls |= MEM_SNAN;
    }
    if (size == 4) {
        uint32_t b32 = bits;

        memcpy(&f, &b32, 4);
        return f;
    }
    memcpy(&d, &bits, 8);
    return d;
}

static void st_float(X86TCGCPU *env, uint64_t la, unsigned size, fp80 v)
{
    if (size == 4) {
        float f = (float)v;
        uint32_t b;

        memcpy(&b, &f, 4);
        x86_st(env, la, 4, b);
    } else {
        double d = (double)v;
        uint64_t b;

        memcpy(&b, &d, 8);
        x86_st(env, la, 8, b);
    }
}

static fp80 ld_int(X86TCGCPU *env, uint64_t la, unsigned size)
{
    return (fp80)(int64_t)sext(x86_ld(env, la, size), size);
}

static fp80 round_fcw(X86TCGCPU *env, fp80 v)
{
    switch ((env->s.fcw >> 10) & 3) {
    case 0: return nearbyintl(v);
    case 1: return floorl(v);
    case 2: return ceill(v);
    default: return truncl(v);
    }
}

static void st_int(X86TCGCPU *env, uint64_t la, unsigned size, fp80 v)
{
    fp80 r = round_fcw(env, v);
    fp80 lim = ldexpl(1.0L, size * 8 - 1);
    uint64_t out;

    if (isnan(r) || r >= lim || r < -lim) {
        out = 1ull << (size * 8 - 1);       /* integer indefinite */
        env->s.fsw |= 1;                    /* IE */
    } else {
        out = (uint64_t)(int64_t)r;
        if (r != v) {
            env->s.fsw |= FSW_PE;
        }
    }
    x86_st(env, la, size, out);
}

static void ld_fx80(X86TCGCPU *env, uint64_t la, X86FPReg *r)
{
    r->mant = x86_ld(env, la, 8);
    r->sign_exp = x86_ld(env, la + 8, 2);
}

static void st_fx80(X86TCGCPU *env, uint64_t la, const X86FPReg *r)
{
    x86_st(env, la + 9, 1, x86_ld(env, la + 9, 1));     /* probe */
    x86_st(env, la, 8, r->mant);
    x86_st(env, la + 8, 2, r->sign_exp);
}

/* ------------------------------------------------------------------ */
/* Arithmetic and compares */

enum { FA_ADD, FA_MUL, FA_COM, FA_COMP, FA_SUB, FA_SUBR, FA_DIV, FA_DIVR };

static fp80 farith(unsigned op, fp80 a, fp80 b)
{
    switch (op) {
    case FA_ADD: return a + b;
    case FA_MUL: return a * b;
    case FA_SUB: return a - b;
    case FA_SUBR: return b - a;
    case FA_DIV: return a / b;
    default: return b / a;
    }
}

/* C3 C2 C0 (or ZF PF CF) of comparing A with B. */
static unsigned fcompare(fp80 a, fp80 b, bool fsw_bits)
{
    if (isnan(a) || isnan(b)) {
        return fsw_bits ? FSW_C3 | FSW_C2 | FSW_C0
                        : X86_FLAG_ZF | X86_FLAG_PF | X86_FLAG_CF;
    }
    if (a < b) {
        return fsw_bits ? FSW_C0 : X86_FLAG_CF;
    }
    if (a == b) {
        return fsw_bits ? FSW_C3 : X86_FLAG_ZF;
    }
    return 0;
}

static void set_cc_fsw(X86TCGCPU *env, unsigned cc)
{
    env->s.fsw = (env->s.fsw & ~FSW_CC) | cc;
}

/* ST0 op SRC for D8/DC/DA/DE memory forms and D8 register forms. */
/*
 * DE for a denormal operand of A op B, unless a higher-priority exception
 * (a NaN or unsupported operand, division by zero) takes its place.
 */
static void arith_denormal(X86TCGCPU *env, unsigned op, fp80 a, fp80 b,
                           bool a_bad, bool any_denormal)
{
    if (!any_denormal || a_bad || isnan(a) || isnan(b) ||
        (op == FA_DIV && b == 0) || (op == FA_DIVR && a == 0)) {
        return;
    }
    env->s.fsw |= FSW_DE;
}

/*
 * ST0 and a memory operand both NaNs: the host saw the memory one
 * already quieted by its conversion, so apply the x87 rule here: a QNaN
 * beats an SNaN, else the larger significand wins; the result is quiet.
 */
static void nan_pair_mem(X86TCGCPU *env, fp80 src, bool src_snan)
{
    X86FPReg ra = env->s.st[fp_phys(env, 0)], rs;
    bool a_snan = !(ra.mant & (1ull << 62));
    uint64_t q = 1ull << 62;
    X86FPReg *pick;

    host_to_fx(src, &rs);
    if (a_snan != src_snan) {
        pick = a_snan ? &rs : &ra;
    } else {
        pick = (ra.mant | q) >= (rs.mant | q) ? &ra : &rs;
    }
    if (a_snan || src_snan) {
        env->s.fsw |= 0x01;                 /* IE */
    }
    pick->mant |= q;
    env->s.st[fp_phys(env, 0)] = *pick;
}

static void arith_st0(X86TCGCPU *env, unsigned op, fp80 src,
                      unsigned src_cls, bool src_bad)
{
    fp80 a = st(env, 0);
    bool src_den = src_cls & MEM_DENORMAL;

    if (op == FA_COM || op == FA_COMP) {
        set_cc_fsw(env, fcompare(a, src, true));
        if (op == FA_COMP) {
            fp_pop(env);
        }
        return;
    }
    if ((src_cls & MEM_FLOAT) && st_is_nan(env, 0) && isnan(src)) {
        nan_pair_mem(env, src, src_cls & MEM_SNAN);
        return;
    }
    arith_denormal(env, op, a, src, src_bad || st_nan_or_bad(env, 0),
                   src_den || st_denormal(env, 0));
    set_st(env, 0, farith(op, a, src));
}

/* ST(i) = ST(i) op ST0, for DC and DE register forms (SUB/DIV reversed). */
static void arith_sti(X86TCGCPU *env, unsigned op, unsigned i, bool pop)
{
    static const uint8_t swap[8] = { FA_ADD, FA_MUL, FA_COM, FA_COMP,
                                     FA_SUBR, FA_SUB, FA_DIVR, FA_DIV };
    fp80 a = st(env, i);

    if (op == FA_COM || op == FA_COMP) {
        set_cc_fsw(env, fcompare(st(env, 0), a, true));
        fp_pop(env);
        return;
    }
    arith_denormal(env, swap[op], a, st(env, 0),
                   st_nan_or_bad(env, i) || st_nan_or_bad(env, 0),
                   st_denormal(env, i) || st_denormal(env, 0));
    /* DC E0+i is "FSUBR ST(i), ST0": ST(i) = ST0 - ST(i), and so on. */
    set_st(env, i, farith(swap[op], a, st(env, 0)));
    if (pop) {
        fp_pop(env);
    }
}

static void fcomi(X86TCGCPU *env, unsigned i, bool pop)
{
    uint32_t f = x86_cc_compute(env) & ~(X86_FLAG_ZF | X86_FLAG_PF |
                                          X86_FLAG_CF | X86_FLAG_OF |
                                          X86_FLAG_SF | X86_FLAG_AF);

    set_cc_eflags(env, f | fcompare(st(env, 0), st(env, i), false));
    if (pop) {
        fp_pop(env);
    }
}

static void fxam(X86TCGCPU *env)
{
    unsigned p = fp_phys(env, 0);
    fp80 v = st(env, 0);
    unsigned cc = signbit(v) ? FSW_C1 : 0;

    if (!(env->s.ftw & (1u << p))) {
        cc |= FSW_C3 | FSW_C0;              /* empty */
    } else if (isnan(v)) {
        cc |= FSW_C0;
    } else if (isinf(v)) {
        cc |= FSW_C2 | FSW_C0;
    } else if (v == 0) {
        cc |= FSW_C3;
    } else if (fpclassify(v) == FP_SUBNORMAL) {
        cc |= FSW_C3 | FSW_C2;
    } else {
        cc |= FSW_C2;
    }
    set_cc_fsw(env, cc);
}

static void fprem(X86TCGCPU *env, bool ieee)
{
    fp80 a = st(env, 0), b = st(env, 1);
    fp80 q = ieee ? nearbyintl(a / b) : truncl(a / b);
    uint64_t qi = (uint64_t)fabsl(fmodl(q, 8.0L));
    fp80 r = ieee ? remainderl(a, b) : fmodl(a, b);

    set_st(env, 0, r);
    set_cc_fsw(env, ((qi & 4) ? FSW_C0 : 0) | ((qi & 2) ? FSW_C3 : 0) |
                    ((qi & 1) ? FSW_C1 : 0));
}

/* ------------------------------------------------------------------ */
/* Environment */

static uint16_t full_tag_word(X86TCGCPU *env)
{
    uint16_t tw = 0;

    for (unsigned p = 0; p < 8; p++) {
        unsigned tag = 3;

        if (env->s.ftw & (1u << p)) {
            fp80 v = fx_to_host(&env->s.st[p]);

            tag = v == 0 ? 1 : (isnan(v) || isinf(v) ||
                                fpclassify(v) == FP_SUBNORMAL) ? 2 : 0;
        }
        tw |= tag << (2 * p);
    }
    return tw;
}

/* FNSTENV/FLDENV in the 28-byte protected-mode layout. */
static void fstenv(X86TCGCPU *env, uint64_t la)
{
    x86_st(env, la + 27, 1, x86_ld(env, la + 27, 1));
    x86_st(env, la, 4, env->s.fcw);
    x86_st(env, la + 4, 4, env->s.fsw);
    x86_st(env, la + 8, 4, full_tag_word(env));
    x86_st(env, la + 12, 4, env->s.fip);
    x86_st(env, la + 16, 4, (uint32_t)env->s.fop << 16);
    x86_st(env, la + 20, 4, env->s.fdp);
    x86_st(env, la + 24, 4, 0);
    env->s.fcw |= 0x3f;                     /* FNSTENV masks exceptions */
}

static void fldenv(X86TCGCPU *env, uint64_t la)
{
    uint16_t tw = x86_ld(env, la + 8, 2);

    env->s.fcw = x86_ld(env, la, 2);
    env->s.fsw = x86_ld(env, la + 4, 2);
    env->s.ftw = 0;
    for (unsigned p = 0; p < 8; p++) {
        if (((tw >> (2 * p)) & 3) != 3) {
            env->s.ftw |= 1u << p;
        }
    }
    env->s.fip = x86_ld(env, la + 12, 4);
    env->s.fdp = x86_ld(env, la + 20, 4);
}

static void fninit(X86TCGCPU *env)
{
    env->s.fcw = 0x37f;
    env->s.fsw = 0;
    env->s.ftw = 0;
    env->s.fop = 0;
    env->s.fip = 0;
    env->s.fdp = 0;
}

static void fsave(X86TCGCPU *env, uint64_t la)
{
    x86_st(env, la + 107, 1, x86_ld(env, la + 107, 1));
    fstenv(env, la);
    for (unsigned i = 0; i < 8; i++) {
        st_fx80(env, la + 28 + i * 10, &env->s.st[fp_phys(env, i)]);
    }
    fninit(env);
}

static void frstor(X86TCGCPU *env, uint64_t la)
{
    fldenv(env, la);
    for (unsigned i = 0; i < 8; i++) {
        ld_fx80(env, la + 28 + i * 10, &env->s.st[fp_phys(env, i)]);
    }
}

/* ------------------------------------------------------------------ */
/* Decoding by opcode byte (D8 + ext), ModRM.reg and ModRM.rm */

static bool fcmov_cond(X86TCGCPU *env, unsigned ext, unsigned reg)
{
    static const uint8_t cc[4] = { 2, 4, 6, 10 };  /* B, E, BE, P */
    bool r = x86_cond(env, cc[reg & 3]);

    return ext == 2 ? r : !r;                       /* DA: cc, DB: not cc */
}

static const fp80 fconst[7] = {
    1.0L,
    3.321928094887362347870319429489390175864831393L,   /* log2(10) */
    1.442695040888963407359924681001892137426645954L,   /* log2(e) */
    3.141592653589793238462643383279502884197169399L,   /* pi */
    0.301029995663981195213738894724493026768189881L,   /* log10(2) */
    0.693147180559945309417232121458176568075500134L,   /* ln(2) */
    0.0L,
};

static bool d9_reg(X86TCGCPU *env, unsigned reg, unsigned rm)
{
    fp80 a = st(env, 0), b;

    switch (reg) {
    case 0: fp_push(env, st(env, rm)); return true;        /* FLD ST(i) */
    case 1:                                                 /* FXCH */
        b = st(env, rm);
        set_st(env, rm, a);
        set_st(env, 0, b);
        return true;
    case 2: return rm == 0;                                 /* FNOP */
    case 4:
        switch (rm) {
        case 0: set_st(env, 0, -a); return true;            /* FCHS */
        case 1: set_st(env, 0, fabsl(a)); return true;      /* FABS */
        case 4: set_cc_fsw(env, fcompare(a, 0, true)); return true;
        case 5: fxam(env); return true;
        default: return false;
        }
    case 5:
        if (rm == 7) {
            return false;
        }
        fp_push(env, fconst[rm]);                           /* FLD1 ... FLDZ */
        return true;
    case 6:
        switch (rm) {
        case 0: set_st(env, 0, exp2l(a) - 1); return true;  /* F2XM1 */
        case 1:                                             /* FYL2X */
            set_st(env, 1, st(env, 1) * log2l(a));
            fp_pop(env);
            return true;
        case 2:                                             /* FPTAN */
            set_st(env, 0, tanl(a));
            fp_push(env, 1.0L);
            set_cc_fsw(env, 0);
            return true;
        case 3:                                             /* FPATAN */
            set_st(env, 1, atan2l(st(env, 1), a));
            fp_pop(env);
            return true;
        case 4: {                                           /* FXTRACT */
            int e;
            fp80 m = frexpl(a, &e);

            set_st(env, 0, (fp80)(e - 1));
            fp_push(env, m * 2);
            return true;
        }
        case 5: fprem(env, true); return true;              /* FPREM1 */
        case 6: fp_set_top(env, fp_top(env) - 1); return true;
        default: fp_set_top(env, fp_top(env) + 1); return true;
        }
    case 7:
        switch (rm) {
        case 0: fprem(env, false); return true;             /* FPREM */
        case 1:                                             /* FYL2XP1 */
            set_st(env, 1, st(env, 1) * log2l(a + 1));
            fp_pop(env);
            return true;
        case 2:                                             /* FSQRT */
            if (st_denormal(env, 0) && !signbit(a)) {
                env->s.fsw |= FSW_DE;
            }
            set_st(env, 0, sqrtl(a));
            return true;
        case 3:                                             /* FSINCOS */
            set_st(env, 0, sinl(a));
            fp_push(env, cosl(a));
            set_cc_fsw(env, 0);
            return true;
        case 4:                                             /* FRNDINT */
            if (st_denormal(env, 0)) {
                env->s.fsw |= FSW_DE;
            }
            b = round_fcw(env, a);
            if (b != a && !isnan(a)) {
                env->s.fsw |= FSW_PE;
            }
            set_st(env, 0, b);
            return true;
        case 5:                                             /* FSCALE */
            set_st(env, 0, ldexpl(a, (int)truncl(st(env, 1))));
            return true;
        case 6: set_st(env, 0, sinl(a)); set_cc_fsw(env, 0); return true;
        default: set_st(env, 0, cosl(a)); set_cc_fsw(env, 0); return true;
        }
    default:
        return false;
    }
}

static bool fpu_reg_form(X86TCGCPU *env, unsigned ext, unsigned reg,
                         unsigned rm)
{
    switch (ext) {
    case 0:
        arith_st0(env, reg, st(env, rm),
                  st_denormal(env, rm) ? MEM_DENORMAL : 0,
                  st_nan_or_bad(env, rm));
        return true;
    case 1:
        return d9_reg(env, reg, rm);
    case 2:
        if (reg < 4) {
            if (fcmov_cond(env, ext, reg)) {
                set_st(env, 0, st(env, rm));
            }
            return true;
        }
        if (reg == 5 && rm == 1) {                          /* FUCOMPP */
            set_cc_fsw(env, fcompare(st(env, 0), st(env, 1), true));
            fp_pop(env);
            fp_pop(env);
            return true;
        }
        return false;
    case 3:
        if (reg < 4) {
            if (fcmov_cond(env, ext, reg)) {
                set_st(env, 0, st(env, rm));
            }
            return true;
        }
        if (reg == 4 && rm == 2) {
            env->s.fsw &= 0x7f00;                           /* FNCLEX */
            return true;
        }
        if (reg == 4 && rm == 3) {
            fninit(env);
            return true;
        }
        if (reg == 5 || reg == 6) {                         /* FUCOMI, FCOMI */
            fcomi(env, rm, false);
            return true;
        }
        return false;
    case 4:
        arith_sti(env, reg, rm, false);
        return true;
    case 5:
        switch (reg) {
        case 0: env->s.ftw &= ~(1u << fp_phys(env, rm)); return true;
        case 2: set_st(env, rm, st(env, 0)); return true;   /* FST ST(i) */
        case 3:                                             /* FSTP ST(i) */
            set_st(env, rm, st(env, 0));
            fp_pop(env);
            return true;
        case 4:                                             /* FUCOM */
        case 5:                                             /* FUCOMP */
            set_cc_fsw(env, fcompare(st(env, 0), st(env, rm), true));
            if (reg == 5) {
                fp_pop(env);
            }
            return true;
        default:
            return false;
        }
    case 6:
        if (reg == 3 && rm != 1) {
            return false;
        }
        if (reg == 3) {                                     /* FCOMPP */
            set_cc_fsw(env, fcompare(st(env, 0), st(env, 1), true));
            fp_pop(env);
            fp_pop(env);
            return true;
        }
        if (reg == 2) {
            return false;
        }
        arith_sti(env, reg, rm, true);
        return true;
    default:
        if (reg == 4 && rm == 0) {                          /* FNSTSW AX */
            set_reg(env, R_RAX, 2, env->s.fsw);
            return true;
        }
        if (reg == 5 || reg == 6) {                 /* FUCOMIP, FCOMIP */
            fcomi(env, rm, true);
            return true;
        }
        return false;
    }
}

/* Operand sizes of the arithmetic memory forms: D8 m32fp, DA m32int,
 * DC m64fp, DE m16int. */
static fp80 arith_mem_operand(X86TCGCPU *env, unsigned ext, uint64_t la,
                              unsigned *cls)
{
    *cls = 0;
    switch (ext) {
    case 0: return ld_float(env, la, 4, cls);
    case 2: return ld_int(env, la, 4);
    case 4: return ld_float(env, la, 8, cls);
    default: return ld_int(env, la, 2);
    }
}

/* FLD m32fp/m64fp: DE for a denormal. */
static fp80 fld_float(X86TCGCPU *env, uint64_t la, unsigned size)
{
    unsigned cls;
    fp80 v = ld_float(env, la, size, &cls);

    if (cls & MEM_DENORMAL) {
        env->s.fsw |= FSW_DE;
    }
    return v;
}

static bool fpu_mem_form(X86TCGCPU *env, unsigned ext, unsigned reg,
                         uint64_t la)
{
    X86FPReg r;

    if (!(ext & 1)) {
        unsigned cls;
        fp80 src = arith_mem_operand(env, ext, la, &cls);

        arith_st0(env, reg, src, cls, false);
        return true;
    }
    switch (ext << 3 | reg) {
    case 1 << 3 | 0: fp_push(env, fld_float(env, la, 4)); return true;
    case 1 << 3 | 2: st_float(env, la, 4, st(env, 0)); return true;
    case 1 << 3 | 3: st_float(env, la, 4, st(env, 0)); fp_pop(env); return true;
    case 1 << 3 | 4: fldenv(env, la); return true;
    case 1 << 3 | 5: env->s.fcw = x86_ld(env, la, 2); return true;
    case 1 << 3 | 6: fstenv(env, la); return true;
    case 1 << 3 | 7: x86_st(env, la, 2, env->s.fcw); return true;
    case 3 << 3 | 0: fp_push(env, ld_int(env, la, 4)); return true;
    case 3 << 3 | 2: st_int(env, la, 4, st(env, 0)); return true;
    case 3 << 3 | 3: st_int(env, la, 4, st(env, 0)); fp_pop(env); return true;
    case 3 << 3 | 5:                                        /* FLD m80 */
        ld_fx80(env, la, &r);
        fp_push(env, 0);
        env->s.st[fp_phys(env, 0)] = r;
        return true;
    case 3 << 3 | 7:                                        /* FSTP m80 */
        st_fx80(env, la, &env->s.st[fp_phys(env, 0)]);
        fp_pop(env);
        return true;
    case 5 << 3 | 0: fp_push(env, fld_float(env, la, 8)); return true;
    case 5 << 3 | 2: st_float(env, la, 8, st(env, 0)); return true;
    case 5 << 3 | 3: st_float(env, la, 8, st(env, 0)); fp_pop(env); return true;
    case 5 << 3 | 4: frstor(env, la); return true;
    case 5 << 3 | 6: fsave(env, la); return true;
    case 5 << 3 | 7: x86_st(env, la, 2, env->s.fsw); return true;
    case 7 << 3 | 0: fp_push(env, ld_int(env, la, 2)); return true;
    case 7 << 3 | 2: st_int(env, la, 2, st(env, 0)); return true;
    case 7 << 3 | 3: st_int(env, la, 2, st(env, 0)); fp_pop(env); return true;
    case 7 << 3 | 5: fp_push(env, ld_int(env, la, 8)); return true;
    case 7 << 3 | 7: st_int(env, la, 8, st(env, 0)); fp_pop(env); return true;
    default:
        return false;
    }
}

H(op_x87)
{
    unsigned reg = insn->reg & 7, watch;
    int stale, ex;
    bool ok;

    if (env->s.cr0 & (X86_CR0_EM | X86_CR0_TS)) {
        x86_raise_noerr(env, EXCP_NM);
    }
    /*
     * Clear the host flags this instruction must be seen raising: those
     * not yet set in FSW (a set one stays set, so it need not be seen).
     */
    watch = ~env->s.fsw;
    stale = fetestexcept((watch & 0x01 ? FE_INVALID : 0) |
                         (watch & 0x04 ? FE_DIVBYZERO : 0) |
                         (watch & 0x08 ? FE_OVERFLOW : 0) |
                         (watch & 0x10 ? FE_UNDERFLOW : 0) |
                         (watch & 0x20 ? FE_INEXACT : 0));
    if (unlikely(stale)) {
        feclearexcept(stale);
    }
    if (insn->mod == 3) {
        ok = fpu_reg_form(env, insn->ext, reg, insn->rm & 7);
    } else {
        ok = fpu_mem_form(env, insn->ext, reg, insn_ea(env, insn));
    }
    if (!ok) {
        x86_unimplemented(env, insn);
    }
    /* The host's IEEE exception flags, at the x87's bit positions. */
    ex = fetestexcept(FE_ALL_EXCEPT);
    env->s.fsw |= (ex & FE_INVALID ? 0x01 : 0) |
                  (ex & FE_DIVBYZERO ? 0x04 : 0) |
                  (ex & FE_OVERFLOW ? 0x08 : 0) |
                  (ex & FE_UNDERFLOW ? 0x10 : 0) |
                  (ex & FE_INEXACT ? 0x20 : 0);
    env->s.fop = ((insn->ext & 7) << 8) | (insn->mod << 6) | (reg << 3) |
                 (insn->rm & 7);
}
