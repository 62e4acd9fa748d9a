/*
 * Arithmetic and logic: the eight ALU operations, INC/DEC/NEG/NOT,
 * multiply and divide, shifts and rotates, bit tests and scans, and the
 * instructions that set or move flags directly.
 */
#include "target/x86_64/tcg/rmw.h"

/* ------------------------------------------------------------------ */
/* ALU */

HOT uint64_t alu(X86TCGCPU *env, unsigned op, unsigned size, uint64_t a,
                 uint64_t b, bool cf)
{
    uint64_t m = size_mask(size), r;

    a &= m;
    b &= m;
    switch (op) {
    case 0: r = a + b; set_cc(env, CC_ADD, size, r, b); break;
    case 1: r = a | b; set_cc(env, CC_LOGIC, size, r, 0); break;
    case 2:
        r = a + b + cf;
        set_cc(env, CC_ADC, size, r, b);
        env->cc_src2 = cf;
        break;
    case 3:
        r = a - b - cf;
        set_cc(env, CC_SBB, size, r, b);
        env->cc_src2 = cf;
        break;
    case 4: r = a & b; set_cc(env, CC_LOGIC, size, r, 0); break;
    case 6: r = a ^ b; set_cc(env, CC_LOGIC, size, r, 0); break;
    default: r = a - b; set_cc(env, CC_SUB, size, r, b); break;
    }
    return r & m;
}

HOT void alu_rm(X86TCGCPU *env, const X86Insn *insn, unsigned op,
                uint64_t b)
{
    unsigned size = insn->size;
    bool cf = (op == 2 || op == 3) && x86_cc_cf(env);
    uint64_t a, r;
    Rmw m;

    if (insn->mod == 3) {
        r = alu(env, op, size, get_reg(env, insn->rm, size), b, cf);
        if (op != 7) {
            set_reg(env, insn->rm, size, r);
        }
        return;
    }
    if (op == 7) {
        alu(env, 7, size, ld_rm(env, insn, size), b, false);
        return;
    }
    do {
        a = rmw_load(env, insn, size, &m, locked(insn));
        r = alu(env, op, size, a, b, cf);
    } while (!rmw_store(env, insn, size, &m, a, r));
}

HOT void alu_reg(X86TCGCPU *env, unsigned op, unsigned size,
                 unsigned reg, uint64_t b)
{
    bool cf = (op == 2 || op == 3) && x86_cc_cf(env);
    uint64_t r = alu(env, op, size, get_reg(env, reg, size), b, cf);

    if (op != 7) {
        set_reg(env, reg, size, r);
    }
}

#define X86_ALU_DEF(n, name)                                            \
    H(op_##name##_rm_r)                                                 \
    {                                                                   \
        alu_rm(env, insn, n, get_reg(env, insn->reg, insn->size));      \
    }                                                                   \
    H(op_##name##_rm_i)                                                 \
    {                                                                   \
        alu_rm(env, insn, n, insn->imm);                                \
    }                                                                   \
    H(op_##name##_r_rm)                                                 \
    {                                                                   \
        alu_reg(env, n, insn->size, insn->reg,                          \
                ld_rm(env, insn, insn->size));                          \
    }                                                                   \
    H(op_##name##_a_i)                                                  \
    {                                                                   \
        alu_reg(env, n, insn->size, R_RAX, insn->imm);                  \
    }

X86_ALU_OPS(X86_ALU_DEF)

/* Register-register and register-immediate forms, 32 and 64 bits. */
#define X86_ALU_REG_DEF(n, name)                                        \
    static void op_##name##_rr64(X86TCGCPU *env, const X86Insn *insn)   \
    {                                                                   \
        uint64_t r = alu(env, n, 8, env->s.regs[insn->rm],              \
                         env->s.regs[insn->reg], false);                \
        if (n != 7) {                                                   \
            env->s.regs[insn->rm] = r;                                  \
        }                                                               \
    }                                                                   \
    static void op_##name##_rr32(X86TCGCPU *env, const X86Insn *insn)   \
    {                                                                   \
        uint64_t r = alu(env, n, 4, env->s.regs[insn->rm],              \
                         env->s.regs[insn->reg], false);                \
        if (n != 7) {                                                   \
            env->s.regs[insn->rm] = (uint32_t)r;                        \
        }                                                               \
    }                                                                   \
    static void op_##name##_ri64(X86TCGCPU *env, const X86Insn *insn)   \
    {                                                                   \
        uint64_t r = alu(env, n, 8, env->s.regs[insn->rm], insn->imm,   \
                         false);                                        \
        if (n != 7) {                                                   \
            env->s.regs[insn->rm] = r;                                  \
        }                                                               \
    }                                                                   \
    static void op_##name##_ri32(X86TCGCPU *env, const X86Insn *insn)   \
    {                                                                   \
        uint64_t r = alu(env, n, 4, env->s.regs[insn->rm], insn->imm,   \
                         false);                                        \
        if (n != 7) {                                                   \
            env->s.regs[insn->rm] = (uint32_t)r;                        \
        }                                                               \
    }

/* ADC and SBB read CF: they keep the generic handlers. */
#define X86_ALU_NO_CARRY(X) \
    X(0, add) X(1, or) X(4, and) X(5, sub) X(6, xor) X(7, cmp)

X86_ALU_NO_CARRY(X86_ALU_REG_DEF)

#define X86_ALU_SPEC(n, name)                                           \
    { op_##name##_rm_r, op_##name##_r_rm, op_##name##_rm_i,            \
      op_##name##_rr64, op_##name##_rr32, op_##name##_ri64,            \
      op_##name##_ri32 },

void x86_specialize_alu(X86Insn *insn)
{
    static const struct {
        X86InsnFn rm_r, r_rm, rm_i, rr64, rr32, ri64, ri32;
    } spec[] = { X86_ALU_NO_CARRY(X86_ALU_SPEC) };
    bool wide = insn->size == 8;

    if (insn->mod != 3 || (insn->size != 8 && insn->size != 4)) {
        return;
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(spec); i++) {
        if (insn->fn == spec[i].rm_r) {
            insn->fn = wide ? spec[i].rr64 : spec[i].rr32;
        } else if (insn->fn == spec[i].r_rm) {
            /* dst is ModRM.reg here: swap so that rm is the destination */
            uint8_t t = insn->rm;

            insn->rm = insn->reg;
            insn->reg = t;
            insn->fn = wide ? spec[i].rr64 : spec[i].rr32;
        } else if (insn->fn == spec[i].rm_i) {
            insn->fn = wide ? spec[i].ri64 : spec[i].ri32;
        } else {
            continue;
        }
        return;
    }
}

/* Group 1 (80-83 /op), chosen at decode time. */
const X86InsnFn x86_alu_rm_i_fns[8] = {
    op_add_rm_i, op_or_rm_i, op_adc_rm_i, op_sbb_rm_i,
    op_and_rm_i, op_sub_rm_i, op_xor_rm_i, op_cmp_rm_i,
};

H(op_test_rm_r)
{
    uint64_t r = ld_rm(env, insn, insn->size) &
                 get_reg(env, insn->reg, insn->size);

    set_cc(env, CC_LOGIC, insn->size, r, 0);
}

H(op_test_rm_i)
{
    set_cc(env, CC_LOGIC, insn->size, ld_rm(env, insn, insn->size) & insn->imm,
           0);
}

H(op_test_a_i)
{
    set_cc(env, CC_LOGIC, insn->size,
           get_reg(env, R_RAX, insn->size) & insn->imm, 0);
}

static void inc_dec_rm(X86TCGCPU *env, const X86Insn *insn, int d)
{
    bool cf = !flags_dead(insn) && x86_cc_cf(env);
    uint64_t a, r;
    Rmw m;

    if (insn->mod == 3) {
        r = (get_reg(env, insn->rm, insn->size) + d) & size_mask(insn->size);
        set_reg(env, insn->rm, insn->size, r);
        set_cc(env, d > 0 ? CC_INC : CC_DEC, insn->size, r, 0);
        env->cc_src2 = cf;
        return;
    }

    do {
        a = rmw_load(env, insn, insn->size, &m, locked(insn));
        r = (a + d) & size_mask(insn->size);
    } while (!rmw_store(env, insn, insn->size, &m, a, r));
    set_cc(env, d > 0 ? CC_INC : CC_DEC, insn->size, r, 0);
    env->cc_src2 = cf;
}

H(op_inc_rm) { inc_dec_rm(env, insn, 1); }
H(op_dec_rm) { inc_dec_rm(env, insn, -1); }

static void inc_dec_r(X86TCGCPU *env, const X86Insn *insn, int d)
{
    bool cf = !flags_dead(insn) && x86_cc_cf(env);
    uint64_t r = (get_reg(env, insn->reg, insn->size) + d) &
                 size_mask(insn->size);

    set_reg(env, insn->reg, insn->size, r);
    set_cc(env, d > 0 ? CC_INC : CC_DEC, insn->size, r, 0);
    env->cc_src2 = cf;
}

H(op_inc_r) { inc_dec_r(env, insn, 1); }
H(op_dec_r) { inc_dec_r(env, insn, -1); }

H(op_not)
{
    uint64_t a;
    Rmw m;

    do {
        a = rmw_load(env, insn, insn->size, &m, locked(insn));
    } while (!rmw_store(env, insn, insn->size, &m, a, ~a));
}

H(op_neg)
{
    uint64_t a, r;
    Rmw m;

    do {
        a = rmw_load(env, insn, insn->size, &m, locked(insn));
        r = (0 - a) & size_mask(insn->size);
    } while (!rmw_store(env, insn, insn->size, &m, a, r));
    set_cc(env, CC_SUB, insn->size, r, a);
}

/* ------------------------------------------------------------------ */
/* Multiply and divide */

static void mul_flags(X86TCGCPU *env, uint64_t lo, unsigned size, bool ovf)
{
    uint32_t f = x86_parity(lo);

    lo &= size_mask(size);
    if (lo == 0) {
        f |= X86_FLAG_ZF;
    }
    if ((lo >> (size * 8 - 1)) & 1) {
        f |= X86_FLAG_SF;
    }
    if (ovf) {
        f |= X86_FLAG_CF | X86_FLAG_OF;
    }
    set_cc_eflags(env, f);
}

H(op_mul)
{
    unsigned size = insn->size;
    uint64_t b = ld_rm(env, insn, size);
    uint64_t a = get_reg(env, R_RAX, size);

    if (size == 8) {
        unsigned __int128 p = (unsigned __int128)a * b;

        env->s.regs[R_RAX] = (uint64_t)p;
        env->s.regs[R_RDX] = (uint64_t)(p >> 64);
        mul_flags(env, (uint64_t)p, 8, (p >> 64) != 0);
    } else if (size == 1) {
        uint64_t p = a * b;

        set_reg(env, R_RAX, 2, p);
        mul_flags(env, p, 1, (p >> 8) != 0);
    } else {
        uint64_t p = a * b;

        set_reg(env, R_RAX, size, p);
        set_reg(env, R_RDX, size, p >> (size * 8));
        mul_flags(env, p, size, (p >> (size * 8)) != 0);
    }
}

H(op_imul1)
{
    unsigned size = insn->size;
    int64_t b = (int64_t)sext(ld_rm(env, insn, size), size);
    int64_t a = (int64_t)sext(get_reg(env, R_RAX, size), size);

    if (size == 8) {
        __int128 p = (__int128)a * b;

        env->s.regs[R_RAX] = (uint64_t)p;
        env->s.regs[R_RDX] = (uint64_t)((unsigned __int128)p >> 64);
        mul_flags(env, (uint64_t)p, 8, p != (int64_t)p);
    } else {
        int64_t p = a * b;
        bool ovf = p != (int64_t)sext((uint64_t)p, size);

        if (size == 1) {
            set_reg(env, R_RAX, 2, (uint64_t)p);
        } else {
            set_reg(env, R_RAX, size, (uint64_t)p);
            set_reg(env, R_RDX, size, (uint64_t)p >> (size * 8));
        }
        mul_flags(env, (uint64_t)p, size, ovf);
    }
}

static void imul2(X86TCGCPU *env, const X86Insn *insn, uint64_t ua, uint64_t ub)
{
    unsigned size = insn->size;
    int64_t a = (int64_t)sext(ua, size), b = (int64_t)sext(ub, size);
    __int128 p = (__int128)a * b;
    uint64_t lo = (uint64_t)p & size_mask(size);

    set_reg(env, insn->reg, size, lo);
    mul_flags(env, lo, size, p != (__int128)(int64_t)sext(lo, size));
}

H(op_imul_r_rm)
{
    imul2(env, insn, get_reg(env, insn->reg, insn->size),
          ld_rm(env, insn, insn->size));
}

H(op_imul_r_rm_i)
{
    imul2(env, insn, ld_rm(env, insn, insn->size), insn->imm);
}

H(op_div)
{
    unsigned size = insn->size;
    uint64_t d = ld_rm(env, insn, size);

    if (d == 0) {
        x86_raise_noerr(env, EXCP_DE);
    }
    if (size == 8) {
        unsigned __int128 n = ((unsigned __int128)env->s.regs[R_RDX] << 64) |
                              env->s.regs[R_RAX];
        unsigned __int128 q = n / d;

        if (q >> 64) {
            x86_raise_noerr(env, EXCP_DE);
        }
        env->s.regs[R_RAX] = (uint64_t)q;
        env->s.regs[R_RDX] = (uint64_t)(n % d);
    } else {
        unsigned bits = size * 8;
        uint64_t n = size == 1 ? get_reg(env, R_RAX, 2)
                     : (get_reg(env, R_RDX, size) << bits) |
                       get_reg(env, R_RAX, size);
        uint64_t q = n / d, r = n % d;

        if (q >> bits) {
            x86_raise_noerr(env, EXCP_DE);
        }
        if (size == 1) {
            set_reg(env, R_RAX, 2, (r << 8) | q);
        } else {
            set_reg(env, R_RAX, size, q);
            set_reg(env, R_RDX, size, r);
        }
    }
}

H(op_idiv)
{
    unsigned size = insn->size;
    int64_t d = (int64_t)sext(ld_rm(env, insn, size), size);

    if (d == 0) {
        x86_raise_noerr(env, EXCP_DE);
    }
    if (size == 8) {
        __int128 n = (__int128)(((unsigned __int128)env->s.regs[R_RDX] << 64) |
                                env->s.regs[R_RAX]);
        __int128 q, r;

        if (d == -1 && n == -((__int128)1 << 127)) {
            x86_raise_noerr(env, EXCP_DE);
        }
        q = n / d;
        r = n % d;
        if (q != (int64_t)q) {
            x86_raise_noerr(env, EXCP_DE);
        }
        env->s.regs[R_RAX] = (uint64_t)q;
        env->s.regs[R_RDX] = (uint64_t)r;
    } else {
        unsigned bits = size * 8;
        int64_t n = size == 1
            ? (int64_t)sext(get_reg(env, R_RAX, 2), 2)
            : (int64_t)sext((get_reg(env, R_RDX, size) << bits) |
                            get_reg(env, R_RAX, size), size * 2);
        int64_t q = n / d, r = n % d;

        if (q != (int64_t)sext((uint64_t)q, size)) {
            x86_raise_noerr(env, EXCP_DE);
        }
        if (size == 1) {
            set_reg(env, R_RAX, 2, (((uint64_t)r & 0xff) << 8) |
                    ((uint64_t)q & 0xff));
        } else {
            set_reg(env, R_RAX, size, (uint64_t)q);
            set_reg(env, R_RDX, size, (uint64_t)r);
        }
    }
}

/* ------------------------------------------------------------------ */
/* Shifts and rotates */

static void rot_flags(X86TCGCPU *env, bool cf, bool of)
{
    uint32_t f = x86_cc_compute(env) & ~(X86_FLAG_CF | X86_FLAG_OF);

    set_cc_eflags(env, f | (cf ? X86_FLAG_CF : 0) | (of ? X86_FLAG_OF : 0));
}

/* ROL/ROR/SHL/SHR/SAR of a register by a non-zero COUNT. */
static void shift_reg_fast(X86TCGCPU *env, const X86Insn *insn,
                           unsigned count)
{
    unsigned size = insn->size, op = insn->ext, bits = size * 8;
    uint64_t m = size_mask(size), a = get_reg(env, insn->rm, size), r, src;
    unsigned c = count & (bits - 1);

    switch (op) {
    case 0:
        r = c ? ((a << c) | (a >> (bits - c))) & m : a;
        if (!flags_dead(insn)) {
            rot_flags(env, r & 1, (r ^ (r >> (bits - 1))) & 1);
        }
        break;
    case 1:
        r = c ? ((a >> c) | (a << (bits - c))) & m : a;
        if (!flags_dead(insn)) {
            rot_flags(env, (r >> (bits - 1)) & 1,
                      ((r >> (bits - 1)) ^ (r >> (bits - 2))) & 1);
        }
        break;
    case 4:
    case 6:
        src = (a << (count - 1)) & m;
        r = (a << count) & m;
        set_cc(env, CC_SHL, size, r, src);
        break;
    case 5:
        src = a >> (count - 1);
        r = a >> count;
        set_cc(env, CC_SHR, size, r, src);
        break;
    default:
        src = (uint64_t)((int64_t)sext(a, size) >> (count - 1)) & m;
        r = (uint64_t)((int64_t)sext(a, size) >> count) & m;
        set_cc(env, CC_SAR, size, r, src);
        break;
    }
    set_reg(env, insn->rm, size, r);
}

static G_GNUC_NO_INLINE void do_shift(X86TCGCPU *env, const X86Insn *insn,
                                      unsigned count)
{
    unsigned size = insn->size, bits = size * 8, op = insn->ext;
    uint64_t m = size_mask(size), a, r = 0, src = 0;
    bool cf = false, of = false, in_cf;
    Rmw rm;

    count &= size == 8 ? 63 : 31;
    if (count == 0) {
        if (insn->mod == 3 && size == 4) {
            set_reg(env, insn->rm, 4, get_reg(env, insn->rm, 4));
        }
        return;
    }
    in_cf = (op == 2 || op == 3) && x86_cc_cf(env);
    do {
        a = rmw_load(env, insn, size, &rm, locked(insn)) & m;
        switch (op) {
        case 0: {               /* ROL */
            unsigned c = count & (bits - 1);
            r = c ? ((a << c) | (a >> (bits - c))) & m : a;
            cf = r & 1;
            of = cf ^ ((r >> (bits - 1)) & 1);
            break;
        }
        case 1: {               /* ROR */
            unsigned c = count & (bits - 1);
            r = c ? ((a >> c) | (a << (bits - c))) & m : a;
            cf = (r >> (bits - 1)) & 1;
            of = cf ^ ((r >> (bits - 2)) & 1);
            break;
        }
        case 2: {               /* RCL */
            unsigned c = count % (bits + 1);
            bool c_bit = in_cf;

            r = a;
            for (unsigned i = 0; i < c; i++) {
                bool out = (r >> (bits - 1)) & 1;
                r = ((r << 1) | c_bit) & m;
                c_bit = out;
            }
            cf = c_bit;
            of = cf ^ ((r >> (bits - 1)) & 1);
            break;
        }
        case 3: {               /* RCR */
            unsigned c = count % (bits + 1);
            bool c_bit = in_cf;

            r = a;
            of = ((r >> (bits - 1)) & 1) ^ c_bit;
            for (unsigned i = 0; i < c; i++) {
                bool out = r & 1;
                r = (r >> 1) | ((uint64_t)c_bit << (bits - 1));
                c_bit = out;
            }
            cf = c_bit;
            break;
        }
        case 4:
        case 6:                 /* SHL */
            src = (a << (count - 1)) & m;
            r = (a << count) & m;
            break;
        case 5:                 /* SHR */
            src = a >> (count - 1);
            r = a >> count;
            break;
        default:                /* SAR */
            src = (uint64_t)((int64_t)sext(a, size) >> (count - 1)) & m;
            r = (uint64_t)((int64_t)sext(a, size) >> count) & m;
            break;
        }
    } while (!rmw_store(env, insn, size, &rm, a, r));

    switch (op) {
    case 0: case 1: case 2: case 3:
        if (!flags_dead(insn)) {
            rot_flags(env, cf, of);
        }
        break;
    case 4: case 6:
        set_cc(env, CC_SHL, size, r, src);
        break;
    case 5:
        set_cc(env, CC_SHR, size, r, src);
        break;
    default:
        set_cc(env, CC_SAR, size, r, src);
        break;
    }
}

/* Register operands other than RCL/RCR skip do_shift's general path. */
HOT void shift(X86TCGCPU *env, const X86Insn *insn, unsigned count)
{
    unsigned c = count & (insn->size == 8 ? 63 : 31);

    if (insn->mod == 3 && c && insn->ext != 2 && insn->ext != 3) {
        shift_reg_fast(env, insn, c);
    } else {
        do_shift(env, insn, count);
    }
}

H(op_shift_imm) { shift(env, insn, insn->imm); }
H(op_shift_one) { shift(env, insn, 1); }
H(op_shift_cl) { shift(env, insn, env->s.regs[R_RCX] & 0xff); }

static void shift_double(X86TCGCPU *env, const X86Insn *insn, bool left)
{
    unsigned size = insn->size, bits = size * 8;
    unsigned count = insn->ext ? env->s.regs[R_RCX] & 0xff : insn->imm;
    uint64_t m = size_mask(size), a, b, r;
    unsigned __int128 wide;
    bool cf;
    uint32_t f;
    Rmw rm;

    count &= size == 8 ? 63 : 31;
    if (count == 0) {
        if (insn->mod == 3 && size == 4) {
            set_reg(env, insn->rm, 4, get_reg(env, insn->rm, 4));
        }
        return;
    }
    b = get_reg(env, insn->reg, size);
    do {
        a = rmw_load(env, insn, size, &rm, locked(insn)) & m;
        if (size == 2) {
            /* a:b:a, so that counts above 16 behave like the hardware's */
            wide = ((unsigned __int128)a << 32) | (b << 16) | a;
            if (left) {
                r = (uint64_t)((wide << count) >> 32) & m;
                cf = (uint64_t)(wide >> (48 - count)) & 1;
            } else {
                r = (uint64_t)(wide >> count) & m;
                cf = (uint64_t)(wide >> (count - 1)) & 1;
            }
        } else if (left) {
            r = ((a << count) | (b >> (bits - count))) & m;
            cf = (a >> (bits - count)) & 1;
        } else {
            r = ((a >> count) | (b << (bits - count))) & m;
            cf = (a >> (count - 1)) & 1;
        }
    } while (!rmw_store(env, insn, size, &rm, a, r));
    if (flags_dead(insn)) {
        return;
    }
    f = x86_parity(r);
    if (r == 0) {
        f |= X86_FLAG_ZF;
    }
    if ((r >> (bits - 1)) & 1) {
        f |= X86_FLAG_SF;
    }
    if (cf) {
        f |= X86_FLAG_CF;
    }
    if (((r ^ a) >> (bits - 1)) & 1) {
        f |= X86_FLAG_OF;
    }
    set_cc_eflags(env, f);
}

H(op_shld) { shift_double(env, insn, true); }
H(op_shrd) { shift_double(env, insn, false); }

/* ------------------------------------------------------------------ */
/* Bit operations */

static void bit_op(X86TCGCPU *env, const X86Insn *insn, int64_t off,
                   bool from_reg)
{
    unsigned size = insn->size, bits = size * 8, op = insn->ext;
    uint64_t a, r, bit;
    bool cf;
    Rmw rm;
    X86Insn tmp;
    const X86Insn *target = insn;

    if (insn->mod != 3 && from_reg) {
        /* The register offset is signed and may reach outside the operand. */
        tmp = *insn;
        tmp.disp += (off >> size_log2(size * 8)) * (int64_t)size;
        target = &tmp;
    }
    bit = 1ull << (off & (bits - 1));
    if (op == 0) {
        cf = ld_rm(env, target, size) & bit;
    } else {
        do {
            a = rmw_load(env, target, size, &rm, locked(insn));
            r = op == 1 ? a | bit : op == 2 ? a & ~bit : a ^ bit;
        } while (!rmw_store(env, target, size, &rm, a, r));
        cf = a & bit;
    }
    if (!flags_dead(insn)) {
        set_cc_eflags(env, (x86_cc_compute(env) & ~X86_FLAG_CF) |
                      (cf ? X86_FLAG_CF : 0));
    }
}

H(op_bt_rm_r)
{
    uint64_t v = get_reg(env, insn->reg, insn->size);

    bit_op(env, insn, (int64_t)sext(v, insn->size), true);
}

H(op_bt_rm_i)
{
    bit_op(env, insn, insn->imm & 0xff, false);
}

static void bitscan_flags(X86TCGCPU *env, bool zf)
{
    uint32_t f = x86_cc_compute(env) & ~X86_FLAG_ZF;

    set_cc_eflags(env, f | (zf ? X86_FLAG_ZF : 0));
}

H(op_bsf)
{
    uint64_t v = ld_rm(env, insn, insn->size);

    if (v) {
        set_reg(env, insn->reg, insn->size, __builtin_ctzll(v));
    }
    /* A zero source leaves the destination alone, upper half included. */
    bitscan_flags(env, v == 0);
}

H(op_bsr)
{
    uint64_t v = ld_rm(env, insn, insn->size);

    if (v) {
        set_reg(env, insn->reg, insn->size, 63 - __builtin_clzll(v));
    }
    /* A zero source leaves the destination alone, upper half included. */
    bitscan_flags(env, v == 0);
}

static void cnt_flags(X86TCGCPU *env, bool cf, bool zf)
{
    uint32_t f = x86_cc_compute(env) & ~(X86_FLAG_CF | X86_FLAG_ZF);

    set_cc_eflags(env, f | (cf ? X86_FLAG_CF : 0) | (zf ? X86_FLAG_ZF : 0));
}

H(op_tzcnt)
{
    uint64_t v = ld_rm(env, insn, insn->size);
    unsigned r = v ? __builtin_ctzll(v) : insn->size * 8;

    set_reg(env, insn->reg, insn->size, r);
    cnt_flags(env, v == 0, r == 0);
}

H(op_lzcnt)
{
    uint64_t v = ld_rm(env, insn, insn->size);
    unsigned r = v ? __builtin_clzll(v) - (64 - insn->size * 8)
                   : insn->size * 8;

    set_reg(env, insn->reg, insn->size, r);
    cnt_flags(env, v == 0, r == 0);
}

H(op_popcnt)
{
    uint64_t v = ld_rm(env, insn, insn->size);

    set_reg(env, insn->reg, insn->size, __builtin_popcountll(v));
    set_cc_eflags(env, v == 0 ? X86_FLAG_ZF : 0);
}

H(op_bswap)
{
    uint64_t v = get_reg(env, insn->reg, insn->size);

    if (insn->size == 8) {
        v = __builtin_bswap64(v);
    } else if (insn->size == 4) {
        v = __builtin_bswap32((uint32_t)v);
    } else {
        v = 0;
    }
    set_reg(env, insn->reg, insn->size, v);
}

/* ------------------------------------------------------------------ */
/* Flags */

H(op_lahf)
{
    uint32_t f = x86_cc_compute(env);

    set_reg(env, X86_REG_AH, 1, (f & 0xd5) | X86_FLAG_FIXED);
}

H(op_sahf)
{
    uint32_t f = x86_cc_compute(env) & X86_FLAG_OF;
    uint64_t ah = get_reg(env, X86_REG_AH, 1);

    set_cc_eflags(env, f | (ah & (X86_FLAG_SF | X86_FLAG_ZF | X86_FLAG_AF |
                                  X86_FLAG_PF | X86_FLAG_CF)));
}

H(op_flagop)
{
    uint32_t f;

    switch (insn->ext) {
    case 0:                     /* CMC */
    case 1:                     /* CLC */
    case 2:                     /* STC */
        f = x86_cc_compute(env);
        f = insn->ext == 0 ? f ^ X86_FLAG_CF : insn->ext == 1
            ? f & ~X86_FLAG_CF : f | X86_FLAG_CF;
        set_cc_eflags(env, f);
        break;
    case 3:
        env->s.rflags &= ~(uint64_t)X86_FLAG_DF;
        break;
    default:
        env->s.rflags |= X86_FLAG_DF;
        break;
    }
}

/* ------------------------------------------------------------------ */
/* Hot forms chosen at decode time (x86_specialize_hot) */

/*
 * Host pointer to the memory operand for a plain (unlocked) access of
 * SIZE bytes when the soft TLB allows it straight away, else NULL: the
 * caller then falls back to its generic handler.  A write tag that
 * matches implies a readable page (one fill sets both).
 */
HOT void *mem_fast_ptr(X86TCGCPU *env, const X86Insn *insn, unsigned size,
                       bool write)
{
    uint64_t la = insn_ea(env, insn);
    X86TLBEntry *e = tlb_entry(env, env->mmu_idx, la);
    uint64_t tag = write ? e->tag_w : e->tag_r;

    if (likely(tag == (la & PAGE_MASK_4K) && (la & 0xfff) <= 4096 - size)) {
        return (void *)(uintptr_t)(la + e->addend);
    }
    return NULL;
}

/* ALU on memory: [m] op= reg, [m] op= imm, reg op= [m], 32 and 64 bits. */
#define X86_ALU_MEM_DEF1(n, name, sz)                                   \
    static void op_##name##_mr##sz(X86TCGCPU *env, const X86Insn *insn) \
    {                                                                   \
        void *p = mem_fast_ptr(env, insn, sz / 8, n != 7);              \
        uint64_t r;                                                     \
                                                                        \
        if (unlikely(!p)) {                                             \
            op_##name##_rm_r(env, insn);                                \
            return;                                                     \
        }                                                               \
        r = alu(env, n, sz / 8, host_ld(p, sz / 8),                     \
                env->s.regs[insn->reg], false);                         \
        if (n != 7) {                                                   \
            host_st(p, sz / 8, r);                                      \
        }                                                               \
    }                                                                   \
    static void op_##name##_mi##sz(X86TCGCPU *env, const X86Insn *insn) \
    {                                                                   \
        void *p = mem_fast_ptr(env, insn, sz / 8, n != 7);              \
        uint64_t r;                                                     \
                                                                        \
        if (unlikely(!p)) {                                             \
            op_##name##_rm_i(env, insn);                                \
            return;                                                     \
        }                                                               \
        r = alu(env, n, sz / 8, host_ld(p, sz / 8), insn->imm, false);  \
        if (n != 7) {                                                   \
            host_st(p, sz / 8, r);                                      \
        }                                                               \
    }                                                                   \
    static void op_##name##_rmem##sz(X86TCGCPU *env,                    \
                                     const X86Insn *insn)               \
    {                                                                   \
        uint64_t b = x86_ld(env, insn_ea(env, insn), sz / 8);           \
        uint64_t r = alu(env, n, sz / 8, env->s.regs[insn->reg], b,     \
                         false);                                        \
                                                                        \
        if (n != 7) {                                                   \
            env->s.regs[insn->reg] = sz == 64 ? r : (uint32_t)r;        \
        }                                                               \
    }

#define X86_ALU_MEM_DEF(n, name) \
    X86_ALU_MEM_DEF1(n, name, 64) X86_ALU_MEM_DEF1(n, name, 32)

X86_ALU_NO_CARRY(X86_ALU_MEM_DEF)

#define X86_ALU_MEM_SPEC(n, name)                                       \
    { op_##name##_rm_r, op_##name##_r_rm, op_##name##_rm_i,            \
      { op_##name##_mr32, op_##name##_mr64 },                           \
      { op_##name##_rmem32, op_##name##_rmem64 },                       \
      { op_##name##_mi32, op_##name##_mi64 } },

static bool specialize_alu_mem(X86Insn *insn)
{
    static const struct {
        X86InsnFn rm_r, r_rm, rm_i, mr[2], rmem[2], mi[2];
    } spec[] = { X86_ALU_NO_CARRY(X86_ALU_MEM_SPEC) };
    unsigned w = insn->size == 8;

    if (insn->mod == 3 || (insn->size != 8 && insn->size != 4) ||
        (insn->pfx & PFX_LOCK)) {
        return false;
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(spec); i++) {
        if (insn->fn == spec[i].rm_r) {
            insn->fn = spec[i].mr[w];
        } else if (insn->fn == spec[i].r_rm) {
            insn->fn = spec[i].rmem[w];
        } else if (insn->fn == spec[i].rm_i) {
            insn->fn = spec[i].mi[w];
        } else {
            continue;
        }
        return true;
    }
    return false;
}

/* Shifts of a register by a constant non-zero count (in imm). */
static void op_shl_ri64(X86TCGCPU *env, const X86Insn *insn)
{
    uint64_t a = env->s.regs[insn->rm];
    unsigned c = insn->imm;

    env->s.regs[insn->rm] = a << c;
    if (!flags_dead(insn)) {
        set_cc(env, CC_SHL, 8, a << c, a << (c - 1));
    }
}

static void op_shr_ri64(X86TCGCPU *env, const X86Insn *insn)
{
    uint64_t a = env->s.regs[insn->rm];
    unsigned c = insn->imm;

    env->s.regs[insn->rm] = a >> c;
    if (!flags_dead(insn)) {
        set_cc(env, CC_SHR, 8, a >> c, a >> (c - 1));
    }
}

static void op_sar_ri64(X86TCGCPU *env, const X86Insn *insn)
{
    int64_t a = (int64_t)env->s.regs[insn->rm];
    unsigned c = insn->imm;

    env->s.regs[insn->rm] = (uint64_t)(a >> c);
    if (!flags_dead(insn)) {
        set_cc(env, CC_SAR, 8, (uint64_t)(a >> c), (uint64_t)(a >> (c - 1)));
    }
}

static void op_shl_ri32(X86TCGCPU *env, const X86Insn *insn)
{
    uint32_t a = (uint32_t)env->s.regs[insn->rm];
    unsigned c = insn->imm;

    env->s.regs[insn->rm] = (uint32_t)(a << c);
    if (!flags_dead(insn)) {
        set_cc(env, CC_SHL, 4, (uint32_t)(a << c), (uint32_t)(a << (c - 1)));
    }
}

static void op_shr_ri32(X86TCGCPU *env, const X86Insn *insn)
{
    uint32_t a = (uint32_t)env->s.regs[insn->rm];
    unsigned c = insn->imm;

    env->s.regs[insn->rm] = a >> c;
    if (!flags_dead(insn)) {
        set_cc(env, CC_SHR, 4, a >> c, a >> (c - 1));
    }
}

static void op_sar_ri32(X86TCGCPU *env, const X86Insn *insn)
{
    int32_t a = (int32_t)env->s.regs[insn->rm];
    unsigned c = insn->imm;

    env->s.regs[insn->rm] = (uint32_t)(a >> c);
    if (!flags_dead(insn)) {
        set_cc(env, CC_SAR, 4, (uint32_t)(a >> c), (uint32_t)(a >> (c - 1)));
    }
}

static bool specialize_shift(X86Insn *insn)
{
    static const X86InsnFn fns[2][4] = {
        { op_shl_ri32, op_shr_ri32, op_shl_ri32, op_sar_ri32 },
        { op_shl_ri64, op_shr_ri64, op_shl_ri64, op_sar_ri64 },
    };
    unsigned count;

    if (insn->mod != 3 || (insn->size != 8 && insn->size != 4) ||
        insn->ext < 4) {
        return false;
    }
    if (insn->fn == op_shift_imm) {
        count = insn->imm & (insn->size == 8 ? 63 : 31);
    } else if (insn->fn == op_shift_one) {
        count = 1;
    } else {
        return false;
    }
    if (count == 0) {
        return false;
    }
    insn->imm = count;
    insn->fn = fns[insn->size == 8][insn->ext - 4];
    return true;
}

/* CF for INC/DEC, which keep it: the common lazy kinds without a call. */
HOT bool cc_cf_fast(X86TCGCPU *env)
{
    switch (env->cc_op & ~3u) {
    case CC_LOGIC:
        return false;
    case CC_INC:
    case CC_DEC:
        return env->cc_src2 != 0;
    case CC_EFLAGS:
        return env->cc_src & X86_FLAG_CF;
    default:
        return x86_cc_cf(env);
    }
}

#define X86_INC_DEC_DEF(name, d, kind)                                  \
    static void op_##name##_r64(X86TCGCPU *env, const X86Insn *insn)    \
    {                                                                   \
        bool cf = !flags_dead(insn) && cc_cf_fast(env);                 \
        uint64_t r = env->s.regs[insn->rm] + (d);                       \
                                                                        \
        env->s.regs[insn->rm] = r;                                      \
        env->cc_op = (kind) + 3;                                        \
        env->cc_dst = r;                                                \
        env->cc_src = 0;                                                \
        env->cc_src2 = cf;                                              \
    }                                                                   \
    static void op_##name##_r32(X86TCGCPU *env, const X86Insn *insn)    \
    {                                                                   \
        bool cf = !flags_dead(insn) && cc_cf_fast(env);                 \
        uint32_t r = (uint32_t)env->s.regs[insn->rm] + (d);             \
                                                                        \
        env->s.regs[insn->rm] = r;                                      \
        env->cc_op = (kind) + 2;                                        \
        env->cc_dst = r;                                                \
        env->cc_src = 0;                                                \
        env->cc_src2 = cf;                                              \
    }

X86_INC_DEC_DEF(inc, 1, CC_INC)
X86_INC_DEC_DEF(dec, -1, CC_DEC)

static bool specialize_inc_dec(X86Insn *insn)
{
    bool w = insn->size == 8;

    if (insn->size != 8 && insn->size != 4) {
        return false;
    }
    if (insn->mod == 3 && insn->fn == op_inc_rm) {
        insn->fn = w ? op_inc_r64 : op_inc_r32;
    } else if (insn->mod == 3 && insn->fn == op_dec_rm) {
        insn->fn = w ? op_dec_r64 : op_dec_r32;
    } else if (insn->fn == op_inc_r || insn->fn == op_dec_r) {
        /* 40-4F: the register is in reg; the fast forms use rm. */
        insn->rm = insn->reg;
        insn->fn = insn->fn == op_inc_r ? (w ? op_inc_r64 : op_inc_r32)
                                        : (w ? op_dec_r64 : op_dec_r32);
    } else {
        return false;
    }
    return true;
}

/* IMUL reg, reg (0F AF) and IMUL reg, reg, imm (69, 6B). */
static void op_imul_rr64(X86TCGCPU *env, const X86Insn *insn)
{
    int64_t r;
    bool ovf = __builtin_mul_overflow((int64_t)env->s.regs[insn->reg],
                                      (int64_t)env->s.regs[insn->rm], &r);

    env->s.regs[insn->reg] = (uint64_t)r;
    if (!flags_dead(insn)) {
        mul_flags(env, (uint64_t)r, 8, ovf);
    }
}

static void op_imul_rri64(X86TCGCPU *env, const X86Insn *insn)
{
    int64_t r;
    bool ovf = __builtin_mul_overflow((int64_t)env->s.regs[insn->rm],
                                      (int64_t)insn->imm, &r);

    env->s.regs[insn->reg] = (uint64_t)r;
    if (!flags_dead(insn)) {
        mul_flags(env, (uint64_t)r, 8, ovf);
    }
}

static void op_imul_rr32(X86TCGCPU *env, const X86Insn *insn)
{
    int64_t p = (int64_t)(int32_t)env->s.regs[insn->reg] *
                (int32_t)env->s.regs[insn->rm];

    env->s.regs[insn->reg] = (uint32_t)p;
    if (!flags_dead(insn)) {
        mul_flags(env, (uint32_t)p, 4, p != (int32_t)p);
    }
}

static void op_imul_rri32(X86TCGCPU *env, const X86Insn *insn)
{
    int64_t p = (int64_t)(int32_t)env->s.regs[insn->rm] * (int32_t)insn->imm;

    env->s.regs[insn->reg] = (uint32_t)p;
    if (!flags_dead(insn)) {
        mul_flags(env, (uint32_t)p, 4, p != (int32_t)p);
    }
}

static bool specialize_imul(X86Insn *insn)
{
    bool w = insn->size == 8;

    if (insn->mod != 3 || (insn->size != 8 && insn->size != 4)) {
        return false;
    }
    if (insn->fn == op_imul_r_rm) {
        insn->fn = w ? op_imul_rr64 : op_imul_rr32;
    } else if (insn->fn == op_imul_r_rm_i) {
        insn->fn = w ? op_imul_rri64 : op_imul_rri32;
    } else {
        return false;
    }
    return true;
}

void x86_specialize_hot(X86Insn *insn)
{
    if (specialize_alu_mem(insn) || specialize_shift(insn) ||
        specialize_inc_dec(insn) || specialize_imul(insn)) {
        return;
    }
    x86_specialize_jcc(insn);
}
