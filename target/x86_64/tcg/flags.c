/*
 * Lazy condition flags: the last flag-setting operation leaves its kind,
 * result (cc_dst) and second operand (cc_src, plus the carry-in or old CF
 * in cc_src2); the six arithmetic flags are computed only when read.
 *
 * Shifts keep in cc_src the operand shifted by count - 1, so that the last
 * bit shifted out is at the top (SHL) or bottom (SHR, SAR) of it.
 */
#include "target/x86_64/tcg/tcg_cpu.h"

uint32_t x86_parity(uint64_t v)
{
    return (__builtin_popcount((unsigned)(v & 0xff)) & 1) ? 0 : X86_FLAG_PF;
}

static inline uint32_t szp(uint64_t dst, unsigned bits)
{
    uint32_t f = x86_parity(dst);

    if (dst == 0) {
        f |= X86_FLAG_ZF;
    }
    if ((dst >> (bits - 1)) & 1) {
        f |= X86_FLAG_SF;
    }
    return f;
}

static inline uint32_t of_bit(uint64_t v, unsigned bits)
{
    return ((v >> (bits - 1)) & 1) ? X86_FLAG_OF : 0;
}

uint32_t x86_cc_compute(X86TCGCPU *env)
{
    unsigned op = env->cc_op;
    unsigned bits = 8u << (op & 3);
    uint64_t mask = size_mask(bits / 8);
    uint64_t dst = env->cc_dst, src = env->cc_src, a;
    uint64_t c = env->cc_src2;
    uint32_t f;

    switch (op & ~3u) {
    case CC_EFLAGS:
        return (uint32_t)env->cc_src;
    case CC_ADD:
    case CC_ADC:
        c = (op & ~3u) == CC_ADC ? c : 0;
        a = (dst - src - c) & mask;
        f = szp(dst, bits);
        if (c ? dst <= a : dst < a) {
            f |= X86_FLAG_CF;
        }
        f |= (a ^ src ^ dst) & X86_FLAG_AF;
        f |= of_bit(~(a ^ src) & (a ^ dst), bits);
        return f;
    case CC_SUB:
    case CC_SBB:
        c = (op & ~3u) == CC_SBB ? c : 0;
        a = (dst + src + c) & mask;
        f = szp(dst, bits);
        if (c ? a <= (src & mask) : a < (src & mask)) {
            f |= X86_FLAG_CF;
        }
        f |= (a ^ src ^ dst) & X86_FLAG_AF;
        f |= of_bit((a ^ src) & (a ^ dst), bits);
        return f;
    case CC_LOGIC:
        return szp(dst, bits);
    case CC_INC:
        f = szp(dst, bits) | (c ? X86_FLAG_CF : 0);
        if ((dst & 0xf) == 0) {
            f |= X86_FLAG_AF;
        }
        if (dst == (1ull << (bits - 1))) {
            f |= X86_FLAG_OF;
        }
        return f;
    case CC_DEC:
        f = szp(dst, bits) | (c ? X86_FLAG_CF : 0);
        if ((dst & 0xf) == 0xf) {
            f |= X86_FLAG_AF;
        }
        if (dst == (1ull << (bits - 1)) - 1) {
            f |= X86_FLAG_OF;
        }
        return f;
    case CC_SHL:
        f = szp(dst, bits);
        if ((src >> (bits - 1)) & 1) {
            f |= X86_FLAG_CF;
        }
        if ((((src >> (bits - 1)) ^ (dst >> (bits - 1))) & 1)) {
            f |= X86_FLAG_OF;
        }
        return f;
    case CC_SHR:
    case CC_SAR:
        f = szp(dst, bits);
        if (src & 1) {
            f |= X86_FLAG_CF;
        }
        f |= of_bit(src ^ dst, bits);
        return f;
    default:
        g_assert_not_reached();
    }
}

bool x86_cc_cf(X86TCGCPU *env)
{
    unsigned bits = 8u << (env->cc_op & 3);
    uint64_t mask = size_mask(bits / 8);

    switch (env->cc_op & ~3u) {
    case CC_ADD:
        return env->cc_dst < ((env->cc_dst - env->cc_src) & mask);
    case CC_SUB:
        return ((env->cc_dst + env->cc_src) & mask) < (env->cc_src & mask);
    case CC_LOGIC:
        return false;
    case CC_INC:
    case CC_DEC:
        return env->cc_src2 != 0;
    default:
        return x86_cc_compute(env) & X86_FLAG_CF;
    }
}

/* Condition codes 0-15 as in Jcc/SETcc/CMOVcc. */
bool x86_cond(X86TCGCPU *env, unsigned cc)
{
    uint32_t f;
    bool r;

    /* Every lazy kind takes ZF and SF from its result. */
    if (env->cc_op != CC_EFLAGS && ((cc >> 1) == 2 || (cc >> 1) == 4)) {
        unsigned bits = 8u << (env->cc_op & 3);

        r = (cc >> 1) == 2 ? env->cc_dst == 0
                           : (env->cc_dst >> (bits - 1)) & 1;
        return (cc & 1) ? !r : r;
    }
    /* Fast paths for the common compare-and-branch shapes. */
    if ((env->cc_op & ~3u) == CC_SUB || (env->cc_op & ~3u) == CC_LOGIC) {
        unsigned bits = 8u << (env->cc_op & 3);
        uint64_t mask = size_mask(bits / 8);
        uint64_t dst = env->cc_dst;

        switch (cc >> 1) {
        case 2:
            r = dst == 0;
            return (cc & 1) ? !r : r;
        case 4:
            r = (dst >> (bits - 1)) & 1;
            return (cc & 1) ? !r : r;
        case 1:
        case 3:
            if ((env->cc_op & ~3u) == CC_SUB) {
                uint64_t a = (env->cc_dst + env->cc_src) & mask;
                uint64_t b = env->cc_src & mask;

                r = (cc >> 1) == 1 ? a < b : a <= b;
                return (cc & 1) ? !r : r;
            }
            break;
        case 6:
        case 7:
            if ((env->cc_op & ~3u) == CC_SUB) {
                int64_t a = (int64_t)sext((env->cc_dst + env->cc_src) & mask,
                                          bits / 8);
                int64_t b = (int64_t)sext(env->cc_src & mask, bits / 8);

                r = (cc >> 1) == 6 ? a < b : a <= b;
                return (cc & 1) ? !r : r;
            }
            break;
        default:
            break;
        }
    }

    f = x86_cc_compute(env);
    switch (cc >> 1) {
    case 0: r = f & X86_FLAG_OF; break;
    case 1: r = f & X86_FLAG_CF; break;
    case 2: r = f & X86_FLAG_ZF; break;
    case 3: r = f & (X86_FLAG_CF | X86_FLAG_ZF); break;
    case 4: r = f & X86_FLAG_SF; break;
    case 5: r = f & X86_FLAG_PF; break;
    case 6: r = !(f & X86_FLAG_SF) != !(f & X86_FLAG_OF); break;
    default:
        r = (f & X86_FLAG_ZF) || (!(f & X86_FLAG_SF) != !(f & X86_FLAG_OF));
        break;
    }
    return (cc & 1) ? !r : r;
}
