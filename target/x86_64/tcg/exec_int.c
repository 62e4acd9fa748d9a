/*
 * General-purpose integer instructions: ALU, shifts and rotates,
 * multiply/divide, bit operations, moves, stack and near branches.
 *
 * Read-modify-write forms go through rmw_load/rmw_store: with LOCK on RAM
 * the store is a host compare-and-swap and the computation is retried when
 * another vCPU got there first.
 */
#include "target/x86_64/tcg/tcg_cpu.h"

typedef struct Rmw {
    uint64_t la;
    void *host;
    bool mem;
} Rmw;

static uint64_t atomic_ld(void *p, unsigned size)
{
    switch (size) {
    case 1: return __atomic_load_n((uint8_t *)p, __ATOMIC_SEQ_CST);
    case 2: return __atomic_load_n((uint16_t *)p, __ATOMIC_SEQ_CST);
    case 4: return __atomic_load_n((uint32_t *)p, __ATOMIC_SEQ_CST);
    default: return __atomic_load_n((uint64_t *)p, __ATOMIC_SEQ_CST);
    }
}

/* Compare-and-swap; on failure *OLD gets the current value. */
static bool atomic_cas(void *p, unsigned size, uint64_t *old, uint64_t new)
{
    bool ok;

    switch (size) {
    case 1: {
        uint8_t o = *old;
        ok = __atomic_compare_exchange_n((uint8_t *)p, &o, (uint8_t)new, false,
                                         __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
        *old = o;
        break;
    }
    case 2: {
        uint16_t o = *old;
        ok = __atomic_compare_exchange_n((uint16_t *)p, &o, (uint16_t)new,
                                         false, __ATOMIC_SEQ_CST,
                                         __ATOMIC_SEQ_CST);
        *old = o;
        break;
    }
    case 4: {
        uint32_t o = *old;
        ok = __atomic_compare_exchange_n((uint32_t *)p, &o, (uint32_t)new,
                                         false, __ATOMIC_SEQ_CST,
                                         __ATOMIC_SEQ_CST);
        *old = o;
        break;
    }
    default:
        ok = __atomic_compare_exchange_n((uint64_t *)p, old, new, false,
                                         __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
        break;
    }
    return ok;
}

static uint64_t rmw_load(X86TCGCPU *env, const X86Insn *insn, unsigned size,
                         Rmw *r, bool locked)
{
    if (insn->mod == 3) {
        r->mem = false;
        return get_reg(env, insn->rm, size);
    }
    r->mem = true;
    r->la = insn_ea(env, insn);
    r->host = NULL;
    if (locked) {
        r->host = x86_rmw_ptr(env, r->la, size);
        if (r->host) {
            return atomic_ld(r->host, size);
        }
    }
    return x86_ld(env, r->la, size);
}

static bool rmw_store(X86TCGCPU *env, const X86Insn *insn, unsigned size,
                      Rmw *r, uint64_t old, uint64_t val)
{
    if (!r->mem) {
        set_reg(env, insn->rm, size, val);
        return true;
    }
    if (r->host) {
        return atomic_cas(r->host, size, &old, val);
    }
    x86_st(env, r->la, size, val);
    return true;
}

static inline bool locked(const X86Insn *insn)
{
    return insn->pfx & PFX_LOCK;
}

/* ------------------------------------------------------------------ */
/* ALU */

static uint64_t alu(X86TCGCPU *env, unsigned op, unsigned size, uint64_t a,
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

static void alu_rm(X86TCGCPU *env, const X86Insn *insn, uint64_t b)
{
    unsigned size = insn->size, op = insn->ext;
    bool cf = (op == 2 || op == 3) && x86_cc_cf(env);
    uint64_t a, r;
    Rmw m;

    if (op == 7) {
        alu(env, 7, size, ld_rm(env, insn, size), b, false);
        return;
    }
    do {
        a = rmw_load(env, insn, size, &m, locked(insn));
        r = alu(env, op, size, a, b, cf);
    } while (!rmw_store(env, insn, size, &m, a, r));
}

H(op_alu_rm_r)
{
    alu_rm(env, insn, get_reg(env, insn->reg, insn->size));
}

H(op_alu_rm_i)
{
    alu_rm(env, insn, insn->imm);
}

H(op_alu_r_rm)
{
    unsigned size = insn->size, op = insn->ext;
    bool cf = (op == 2 || op == 3) && x86_cc_cf(env);
    uint64_t r = alu(env, op, size, get_reg(env, insn->reg, size),
                     ld_rm(env, insn, size), cf);

    if (op != 7) {
        set_reg(env, insn->reg, size, r);
    }
}

H(op_alu_a_i)
{
    unsigned size = insn->size, op = insn->ext;
    bool cf = (op == 2 || op == 3) && x86_cc_cf(env);
    uint64_t r = alu(env, op, size, get_reg(env, R_RAX, size), insn->imm, cf);

    if (op != 7) {
        set_reg(env, R_RAX, size, r);
    }
}

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
    bool cf = x86_cc_cf(env);
    uint64_t a, r;
    Rmw m;

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
    bool cf = x86_cc_cf(env);
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

static void do_shift(X86TCGCPU *env, const X86Insn *insn, unsigned count)
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
        rot_flags(env, cf, of);
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

H(op_shift_imm) { do_shift(env, insn, insn->imm); }
H(op_shift_one) { do_shift(env, insn, 1); }
H(op_shift_cl) { do_shift(env, insn, env->s.regs[R_RCX] & 0xff); }

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
        tmp.disp += (off >> (size == 8 ? 6 : size == 4 ? 5 : 4)) * (int64_t)size;
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
    set_cc_eflags(env, (x86_cc_compute(env) & ~X86_FLAG_CF) |
                  (cf ? X86_FLAG_CF : 0));
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
/* Moves */

H(op_mov_rm_r)
{
    st_rm(env, insn, insn->size, get_reg(env, insn->reg, insn->size));
}

H(op_mov_r_rm)
{
    set_reg(env, insn->reg, insn->size, ld_rm(env, insn, insn->size));
}

H(op_mov_rm_i)
{
    st_rm(env, insn, insn->size, insn->imm);
}

H(op_mov_r_i)
{
    set_reg(env, insn->reg, insn->size, insn->imm);
}

H(op_mov_a_moffs)
{
    uint64_t la = seg_addr(env, insn->seg, insn->imm, insn->asize);

    set_reg(env, R_RAX, insn->size, x86_ld(env, la, insn->size));
}

H(op_mov_moffs_a)
{
    uint64_t la = seg_addr(env, insn->seg, insn->imm, insn->asize);

    x86_st(env, la, insn->size, get_reg(env, R_RAX, insn->size));
}

H(op_movzx)
{
    set_reg(env, insn->reg, insn->size, ld_rm(env, insn, insn->ext));
}

H(op_movsx)
{
    set_reg(env, insn->reg, insn->size,
            sext(ld_rm(env, insn, insn->ext), insn->ext));
}

H(op_movsxd)
{
    if (!x86_64bit(env)) {
        x86_raise_noerr(env, EXCP_UD);
    }
    set_reg(env, insn->reg, insn->size, sext(ld_rm(env, insn, 4), 4));
}

H(op_movnti)
{
    if (insn->mod == 3) {
        x86_raise_noerr(env, EXCP_UD);
    }
    st_rm(env, insn, insn->size == 8 ? 8 : 4,
          get_reg(env, insn->reg, insn->size == 8 ? 8 : 4));
}

H(op_lea)
{
    if (insn->mod == 3) {
        x86_raise_noerr(env, EXCP_UD);
    }
    set_reg(env, insn->reg, insn->size, insn_ea_off(env, insn));
}

H(op_xchg_rm_r)
{
    unsigned size = insn->size;
    uint64_t b = get_reg(env, insn->reg, size), a;
    Rmw m;

    do {
        a = rmw_load(env, insn, size, &m, true);
    } while (!rmw_store(env, insn, size, &m, a, b));
    set_reg(env, insn->reg, size, a);
}

H(op_xchg_a_r)
{
    uint64_t a = get_reg(env, R_RAX, insn->size);

    set_reg(env, R_RAX, insn->size, get_reg(env, insn->reg, insn->size));
    set_reg(env, insn->reg, insn->size, a);
}

H(op_cmpxchg)
{
    unsigned size = insn->size;
    uint64_t acc = get_reg(env, R_RAX, size);
    uint64_t src = get_reg(env, insn->reg, size), a;
    Rmw m;

    if (insn->mod != 3 && locked(insn)) {
        void *host = x86_rmw_ptr(env, insn_ea(env, insn), size);

        if (host) {
            a = acc;
            if (atomic_cas(host, size, &a, src)) {
                a = acc;
            } else {
                set_reg(env, R_RAX, size, a);
            }
            set_cc(env, CC_SUB, size, acc - a, a);
            return;
        }
    }
    a = rmw_load(env, insn, size, &m, false);
    set_cc(env, CC_SUB, size, acc - a, a);
    if (a == acc) {
        rmw_store(env, insn, size, &m, a, src);
    } else {
        if (m.mem) {
            rmw_store(env, insn, size, &m, a, a);
        }
        set_reg(env, R_RAX, size, a);
    }
}

static GMutex cmpxchg16b_lock;

H(op_cmpxchg8b)
{
    uint64_t la = insn_ea(env, insn);
    bool eq;

    if (insn->size == 16) {
        uint64_t lo, hi, *host;

        if (la & 15) {
            x86_raise(env, EXCP_GP, 0);
        }
        host = x86_rmw_ptr(env, la, 16);
        if (host) {
            /* No guest access may fault (and longjmp) while this is held. */
            g_mutex_lock(&cmpxchg16b_lock);
            lo = __atomic_load_n(&host[0], __ATOMIC_SEQ_CST);
            hi = __atomic_load_n(&host[1], __ATOMIC_SEQ_CST);
            eq = lo == env->s.regs[R_RAX] && hi == env->s.regs[R_RDX];
            if (eq) {
                __atomic_store_n(&host[0], env->s.regs[R_RBX], __ATOMIC_SEQ_CST);
                __atomic_store_n(&host[1], env->s.regs[R_RCX], __ATOMIC_SEQ_CST);
            }
            g_mutex_unlock(&cmpxchg16b_lock);
        } else {
            lo = x86_ld(env, la, 8);
            hi = x86_ld(env, la + 8, 8);
            eq = lo == env->s.regs[R_RAX] && hi == env->s.regs[R_RDX];
            if (eq) {
                x86_st(env, la, 8, env->s.regs[R_RBX]);
                x86_st(env, la + 8, 8, env->s.regs[R_RCX]);
            }
        }
        if (!eq) {
            env->s.regs[R_RAX] = lo;
            env->s.regs[R_RDX] = hi;
        }
    } else {
        uint64_t expect = (uint32_t)env->s.regs[R_RAX] |
                          (env->s.regs[R_RDX] << 32);
        uint64_t new = (uint32_t)env->s.regs[R_RBX] |
                       (env->s.regs[R_RCX] << 32);
        void *host = x86_rmw_ptr(env, la, 8);
        uint64_t cur = expect;

        if (host) {
            eq = atomic_cas(host, 8, &cur, new);
        } else {
            cur = x86_ld(env, la, 8);
            eq = cur == expect;
            x86_st(env, la, 8, eq ? new : cur);
        }
        if (!eq) {
            set_reg(env, R_RAX, 4, cur);
            set_reg(env, R_RDX, 4, cur >> 32);
        }
    }
    set_cc_eflags(env, (x86_cc_compute(env) & ~X86_FLAG_ZF) |
                  (eq ? X86_FLAG_ZF : 0));
}

H(op_xadd)
{
    unsigned size = insn->size;
    uint64_t b = get_reg(env, insn->reg, size), a, r;
    Rmw m;

    do {
        a = rmw_load(env, insn, size, &m, locked(insn));
        r = (a + b) & size_mask(size);
    } while (!rmw_store(env, insn, size, &m, a, r));
    set_reg(env, insn->reg, size, a);
    if (insn->mod == 3) {
        set_reg(env, insn->rm, size, r);
    }
    set_cc(env, CC_ADD, size, r, b);
}

H(op_cbw)
{
    unsigned half = insn->size / 2;

    set_reg(env, R_RAX, insn->size, sext(get_reg(env, R_RAX, half), half));
}

H(op_cwd)
{
    uint64_t a = get_reg(env, R_RAX, insn->size);
    bool neg = (a >> (insn->size * 8 - 1)) & 1;

    set_reg(env, R_RDX, insn->size, neg ? ~0ull : 0);
}

H(op_cmov)
{
    uint64_t v = ld_rm(env, insn, insn->size);

    if (x86_cond(env, insn->ext)) {
        set_reg(env, insn->reg, insn->size, v);
    } else if (insn->size == 4) {
        set_reg(env, insn->reg, 4, get_reg(env, insn->reg, 4));
    }
}

H(op_setcc)
{
    st_rm(env, insn, 1, x86_cond(env, insn->ext));
}

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

H(op_xlat)
{
    uint64_t off = (env->s.regs[R_RBX] + (env->s.regs[R_RAX] & 0xff)) &
                   size_mask(insn->asize);

    set_reg(env, R_RAX, 1, x86_ld(env, seg_addr(env, insn->seg, off,
                                                insn->asize), 1));
}

H(op_nop)
{
    (void)env;
    (void)insn;
}

H(op_pause)
{
    (void)insn;
    end_block(env);
}

H(op_ud)
{
    (void)insn;
    x86_raise_noerr(env, EXCP_UD);
}

H(op_gp0)
{
    (void)insn;
    x86_raise(env, EXCP_GP, 0);
}

/* ------------------------------------------------------------------ */
/* Branches */

static inline void jump_to(X86TCGCPU *env, uint64_t target, unsigned size)
{
    env->next_rip = branch_target(env, target, size);
    end_block(env);
}

/* In 16/32-bit code the branch operand size is the instruction's. */
static inline unsigned bsize(X86TCGCPU *env, const X86Insn *insn)
{
    return x86_64bit(env) ? 8 : insn->size;
}

H(op_jcc)
{
    if (x86_cond(env, insn->ext)) {
        jump_to(env, env->next_rip + insn->imm, bsize(env, insn));
    }
}

H(op_jmp_rel)
{
    jump_to(env, env->next_rip + insn->imm, bsize(env, insn));
}

H(op_call_rel)
{
    unsigned size = bsize(env, insn);

    x86_push(env, size, env->next_rip);
    jump_to(env, env->next_rip + insn->imm, size);
}

H(op_jmp_rm)
{
    jump_to(env, ld_rm(env, insn, insn->size), insn->size);
}

H(op_call_rm)
{
    uint64_t t = ld_rm(env, insn, insn->size);

    x86_push(env, insn->size, env->next_rip);
    jump_to(env, t, insn->size);
}

H(op_ret)
{
    unsigned size = bsize(env, insn);

    jump_to(env, x86_pop(env, size), size);
}

H(op_ret_imm)
{
    unsigned size = bsize(env, insn);
    uint64_t t = x86_pop(env, size);

    set_rsp(env, env->s.regs[R_RSP] + insn->imm);
    jump_to(env, t, size);
}

H(op_loop)
{
    uint64_t m = size_mask(insn->asize);
    uint64_t c = env->s.regs[R_RCX] & m;
    bool take;

    if (insn->ext == 3) {
        take = c == 0;
    } else {
        c = (c - 1) & m;
        set_reg(env, R_RCX, insn->asize, c);
        take = c != 0;
        if (insn->ext == 0) {
            take = take && !x86_cond(env, 4);
        } else if (insn->ext == 1) {
            take = take && x86_cond(env, 4);
        }
    }
    if (take) {
        jump_to(env, env->next_rip + insn->imm, bsize(env, insn));
    }
}

/* ------------------------------------------------------------------ */
/* Stack */

H(op_push_r)
{
    x86_push(env, insn->size, get_reg(env, insn->reg, insn->size));
}

H(op_pop_r)
{
    set_reg(env, insn->reg, insn->size, x86_pop(env, insn->size));
}

H(op_push_i)
{
    x86_push(env, insn->size, insn->imm);
}

H(op_push_rm)
{
    x86_push(env, insn->size, ld_rm(env, insn, insn->size));
}

H(op_pop_rm)
{
    uint64_t old = env->s.regs[R_RSP];
    uint64_t v = x86_ld(env, seg_addr(env, SEG_SS, old & stack_mask(env),
                                      env->stack_size), insn->size);

    /* The destination address is computed with the incremented RSP. */
    set_rsp(env, old + insn->size);
    if (insn->mod == 3) {
        set_reg(env, insn->rm, insn->size, v);
        return;
    } else {
        uint64_t la = insn_ea(env, insn);

        env->s.regs[R_RSP] = old;
        x86_st(env, la, insn->size, v);
        set_rsp(env, old + insn->size);
    }
}

H(op_pusha)
{
    uint64_t sp = env->s.regs[R_RSP];
    static const int order[8] = { R_RAX, R_RCX, R_RDX, R_RBX, R_RSP, R_RBP,
                                  R_RSI, R_RDI };

    for (int i = 0; i < 8; i++) {
        uint64_t v = order[i] == R_RSP ? sp : env->s.regs[order[i]];

        x86_push(env, insn->size, v);
    }
}

H(op_popa)
{
    static const int order[8] = { R_RDI, R_RSI, R_RBP, R_RSP, R_RBX, R_RDX,
                                  R_RCX, R_RAX };

    for (int i = 0; i < 8; i++) {
        uint64_t v = x86_pop(env, insn->size);

        if (order[i] != R_RSP) {
            set_reg(env, order[i], insn->size, v);
        }
    }
}

H(op_enter)
{
    unsigned size = insn->size, level = insn->imm2 & 31;
    uint64_t bp = env->s.regs[R_RBP], frame;

    x86_push(env, size, bp);
    frame = env->s.regs[R_RSP];
    for (unsigned i = 1; i < level; i++) {
        bp -= size;
        x86_push(env, size, x86_ld(env, seg_addr(env, SEG_SS, bp & stack_mask(env),
                                                  env->stack_size), size));
    }
    if (level) {
        x86_push(env, size, frame);
    }
    set_reg(env, R_RBP, size, frame);
    set_rsp(env, env->s.regs[R_RSP] - insn->imm);
}

H(op_leave)
{
    uint64_t bp = env->s.regs[R_RBP] & stack_mask(env);
    uint64_t v = x86_ld(env, seg_addr(env, SEG_SS, bp, env->stack_size),
                        insn->size);

    set_rsp(env, bp + insn->size);
    set_reg(env, R_RBP, insn->size, v);
}

/* ------------------------------------------------------------------ */
/* Segment registers and far transfers */

H(op_push_seg)
{
    x86_push(env, insn->size, env->s.segs[insn->ext].selector);
}

H(op_pop_seg)
{
    uint64_t sp = env->s.regs[R_RSP] & stack_mask(env);
    uint16_t sel = x86_ld(env, seg_addr(env, SEG_SS, sp, env->stack_size), 2);

    x86_load_seg(env, insn->ext, sel);
    set_rsp(env, sp + insn->size);
    if (insn->ext == SEG_SS) {
        env->s.interrupt_shadow = true;
    }
    end_block(env);
}

H(op_mov_rm_seg)
{
    unsigned seg = insn->reg & 7;

    if (seg >= SEG_LDTR) {
        x86_raise_noerr(env, EXCP_UD);
    }
    if (insn->mod == 3) {
        set_reg(env, insn->rm, insn->size, env->s.segs[seg].selector);
    } else {
        st_rm(env, insn, 2, env->s.segs[seg].selector);
    }
}

H(op_mov_seg_rm)
{
    unsigned seg = insn->reg & 7;

    if (seg == SEG_CS || seg >= SEG_LDTR) {
        x86_raise_noerr(env, EXCP_UD);
    }
    x86_load_seg(env, seg, ld_rm(env, insn, 2));
    if (seg == SEG_SS) {
        env->s.interrupt_shadow = true;
    }
    end_block(env);
}

H(op_lseg)
{
    uint64_t la;
    uint64_t off;
    uint16_t sel;

    if (insn->mod == 3) {
        x86_raise_noerr(env, EXCP_UD);
    }
    la = insn_ea(env, insn);
    off = x86_ld(env, la, insn->size);
    sel = x86_ld(env, la + insn->size, 2);
    x86_load_seg(env, insn->ext, sel);
    set_reg(env, insn->reg, insn->size, off);
    end_block(env);
}

H(op_jmpf_ptr)
{
    x86_far_jump(env, insn->imm2, insn->imm, insn->size);
}

H(op_callf_ptr)
{
    x86_far_call(env, insn->imm2, insn->imm, insn->size, env->next_rip);
}

static unsigned far_size(const X86Insn *insn)
{
    return (insn->pfx & PFX_REXW) ? 8 : (insn->pfx & PFX_66) ? 2
           : insn->size == 2 ? 2 : 4;
}

H(op_jmpf_m)
{
    unsigned size = far_size(insn);
    uint64_t la = insn_ea(env, insn);
    uint64_t off = x86_ld(env, la, size);

    x86_far_jump(env, x86_ld(env, la + size, 2), off, size);
}

H(op_callf_m)
{
    unsigned size = far_size(insn);
    uint64_t la = insn_ea(env, insn);
    uint64_t off = x86_ld(env, la, size);

    x86_far_call(env, x86_ld(env, la + size, 2), off, size, env->next_rip);
}

H(op_retf)
{
    x86_far_ret(env, insn->size, 0);
}

H(op_retf_imm)
{
    x86_far_ret(env, insn->size, insn->imm);
}
