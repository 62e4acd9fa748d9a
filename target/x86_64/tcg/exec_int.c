/*
 * Data movement and control flow: moves and conversions, exchanges
 * (atomic where the architecture says so), conditional moves and sets,
 * near branches, the stack, segment registers and far transfers.
 */
#include "target/x86_64/tcg/rmw.h"

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

static void op_mov_rr64(X86TCGCPU *env, const X86Insn *insn)
{
    env->s.regs[insn->rm] = env->s.regs[insn->reg];
}

static void op_mov_rr32(X86TCGCPU *env, const X86Insn *insn)
{
    env->s.regs[insn->rm] = (uint32_t)env->s.regs[insn->reg];
}

static void op_mov_load64(X86TCGCPU *env, const X86Insn *insn)
{
    env->s.regs[insn->reg] = x86_ld(env, insn_ea(env, insn), 8);
}

static void op_mov_store64(X86TCGCPU *env, const X86Insn *insn)
{
    x86_st(env, insn_ea(env, insn), 8, env->s.regs[insn->reg]);
}

void x86_specialize_mov(X86Insn *insn)
{
    bool load = insn->fn == op_mov_r_rm;

    if ((!load && insn->fn != op_mov_rm_r) ||
        (insn->size != 8 && insn->size != 4)) {
        return;
    }
    if (insn->mod == 3) {
        if (load) {
            uint8_t t = insn->rm;   /* the destination goes in rm */

            insn->rm = insn->reg;
            insn->reg = t;
        }
        insn->fn = insn->size == 8 ? op_mov_rr64 : op_mov_rr32;
    } else if (insn->size == 8) {
        insn->fn = load ? op_mov_load64 : op_mov_store64;
    }
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

/* CMPXCHG16B where the host has no 16-byte compare-and-swap. */
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
#if defined(__aarch64__) || defined(__GCC_HAVE_SYNC_COMPARE_AND_SWAP_16)
        if (host) {
            typedef unsigned __int128 u128;
            u128 cur = ((u128)env->s.regs[R_RDX] << 64) | env->s.regs[R_RAX];
            u128 new = ((u128)env->s.regs[R_RCX] << 64) | env->s.regs[R_RBX];

            eq = __atomic_compare_exchange_n((u128 *)host, &cur, new, false,
                                             __ATOMIC_SEQ_CST,
                                             __ATOMIC_SEQ_CST);
            lo = (uint64_t)cur;
            hi = (uint64_t)(cur >> 64);
        } else
#endif
        if (host) {
            /* No guest access may fault (and longjmp) while this is held. */
            g_mutex_lock(&cmpxchg16b_lock);
            lo = __atomic_load_n(&host[0], __ATOMIC_SEQ_CST);
            hi = __atomic_load_n(&host[1], __ATOMIC_SEQ_CST);
            eq = lo == env->s.regs[R_RAX] && hi == env->s.regs[R_RDX];
            if (eq) {
                __atomic_store_n(&host[0], env->s.regs[R_RBX],
                                 __ATOMIC_SEQ_CST);
                __atomic_store_n(&host[1], env->s.regs[R_RCX],
                                 __ATOMIC_SEQ_CST);
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

/*
 * JZ/JNZ: every lazy kind takes ZF from its result, so the common loop
 * branch needs no flag computation.
 */
HOT bool cond_z(X86TCGCPU *env)
{
    if (likely(env->cc_op != CC_EFLAGS)) {
        return env->cc_dst == 0;
    }
    return env->cc_src & X86_FLAG_ZF;
}

static void op_jz(X86TCGCPU *env, const X86Insn *insn)
{
    if (cond_z(env)) {
        jump_to(env, env->next_rip + insn->imm, bsize(env, insn));
    }
}

static void op_jnz(X86TCGCPU *env, const X86Insn *insn)
{
    if (!cond_z(env)) {
        jump_to(env, env->next_rip + insn->imm, bsize(env, insn));
    }
}

void x86_specialize_jcc(X86Insn *insn)
{
    if (insn->fn == op_jcc && (insn->ext == 4 || insn->ext == 5)) {
        insn->fn = insn->ext == 4 ? op_jz : op_jnz;
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
        uint64_t la = seg_addr(env, SEG_SS, bp & stack_mask(env),
                               env->stack_size);

        x86_push(env, size, x86_ld(env, la, size));
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
