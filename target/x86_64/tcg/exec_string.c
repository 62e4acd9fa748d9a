/*
 * String instructions with REP/REPE/REPNE.  A repeated instruction runs at
 * most STR_BATCH iterations per execution and then restarts itself (RIP
 * unchanged, RCX counted down), so interrupts and kicks are not starved.
 * Forward REP MOVS/STOS on RAM copy page-sized chunks at once.
 */
#include "target/x86_64/tcg/tcg_cpu.h"

#define STR_BATCH 65536

typedef void (*StrStep)(X86TCGCPU *env, const X86Insn *insn);

static inline uint64_t str_la(X86TCGCPU *env, const X86Insn *insn, int seg,
                              int reg)
{
    return seg_addr(env, seg, env->s.regs[reg] & size_mask(insn->asize),
                    insn->asize);
}

static inline int64_t str_delta(X86TCGCPU *env, const X86Insn *insn)
{
    return (env->s.rflags & X86_FLAG_DF) ? -(int64_t)insn->size : insn->size;
}

static inline void str_adv(X86TCGCPU *env, const X86Insn *insn, int reg,
                           int64_t d)
{
    set_reg(env, reg, insn->asize, env->s.regs[reg] + d);
}

static void str_run(X86TCGCPU *env, const X86Insn *insn, StrStep step,
                    bool cond)
{
    uint64_t am = size_mask(insn->asize);

    if (!(insn->pfx & (PFX_REPZ | PFX_REPNZ))) {
        step(env, insn);
        return;
    }
    for (unsigned n = 0;; n++) {
        uint64_t c = env->s.regs[R_RCX] & am;

        if (c == 0) {
            return;
        }
        if (n >= STR_BATCH) {
            env->next_rip = env->s.rip;
            end_block(env);
            return;
        }
        step(env, insn);
        set_reg(env, R_RCX, insn->asize, c - 1);
        if (cond) {
            bool zf = x86_cond(env, 4);

            if ((insn->pfx & PFX_REPZ) ? !zf : zf) {
                return;
            }
        }
    }
}

static void step_movs(X86TCGCPU *env, const X86Insn *insn)
{
    uint64_t v = x86_ld(env, str_la(env, insn, insn->seg, R_RSI), insn->size);

    x86_st(env, str_la(env, insn, SEG_ES, R_RDI), insn->size, v);
    str_adv(env, insn, R_RSI, str_delta(env, insn));
    str_adv(env, insn, R_RDI, str_delta(env, insn));
}

static void step_stos(X86TCGCPU *env, const X86Insn *insn)
{
    x86_st(env, str_la(env, insn, SEG_ES, R_RDI), insn->size,
           get_reg(env, R_RAX, insn->size));
    str_adv(env, insn, R_RDI, str_delta(env, insn));
}

static void step_lods(X86TCGCPU *env, const X86Insn *insn)
{
    set_reg(env, R_RAX, insn->size,
            x86_ld(env, str_la(env, insn, insn->seg, R_RSI), insn->size));
    str_adv(env, insn, R_RSI, str_delta(env, insn));
}

static void step_scas(X86TCGCPU *env, const X86Insn *insn)
{
    uint64_t a = get_reg(env, R_RAX, insn->size);
    uint64_t b = x86_ld(env, str_la(env, insn, SEG_ES, R_RDI), insn->size);

    set_cc(env, CC_SUB, insn->size, a - b, b);
    str_adv(env, insn, R_RDI, str_delta(env, insn));
}

static void step_cmps(X86TCGCPU *env, const X86Insn *insn)
{
    uint64_t a = x86_ld(env, str_la(env, insn, insn->seg, R_RSI), insn->size);
    uint64_t b = x86_ld(env, str_la(env, insn, SEG_ES, R_RDI), insn->size);

    set_cc(env, CC_SUB, insn->size, a - b, b);
    str_adv(env, insn, R_RSI, str_delta(env, insn));
    str_adv(env, insn, R_RDI, str_delta(env, insn));
}

static void step_ins(X86TCGCPU *env, const X86Insn *insn)
{
    uint64_t la = str_la(env, insn, SEG_ES, R_RDI);
    uint64_t v;

    /* Probe the destination before the port read has side effects. */
    x86_st(env, la, insn->size, x86_ld(env, la, insn->size));
    v = x86_port_in(env, env->s.regs[R_RDX] & 0xffff, insn->size);
    x86_st(env, la, insn->size, v);
    str_adv(env, insn, R_RDI, str_delta(env, insn));
}

static void step_outs(X86TCGCPU *env, const X86Insn *insn)
{
    uint64_t v = x86_ld(env, str_la(env, insn, insn->seg, R_RSI), insn->size);

    x86_port_out(env, env->s.regs[R_RDX] & 0xffff, insn->size, v);
    str_adv(env, insn, R_RSI, str_delta(env, insn));
}

static inline uint64_t page_room(uint64_t la)
{
    return 4096 - (la & 0xfff);
}

/*
 * Forward REP MOVS/STOS over RAM, a page at a time; stops (leaving the
 * rest to the element loop) at MMIO, page faults being the element loop's
 * job too, so that they are raised with exact register state.
 */
static void str_fast(X86TCGCPU *env, const X86Insn *insn, bool movs)
{
    uint64_t am = size_mask(insn->asize);
    unsigned size = insn->size;
    uint64_t total = 0;

    if (!(insn->pfx & (PFX_REPZ | PFX_REPNZ)) ||
        (env->s.rflags & X86_FLAG_DF)) {
        return;
    }
    while (total < (uint64_t)STR_BATCH * 8) {
        uint64_t c = env->s.regs[R_RCX] & am;
        uint64_t dla = str_la(env, insn, SEG_ES, R_RDI), sla = 0, n, len;
        uint8_t *d, *s = NULL;

        if (c == 0) {
            return;
        }
        n = page_room(dla) / size;
        if (movs) {
            sla = str_la(env, insn, insn->seg, R_RSI);
            n = MIN(n, page_room(sla) / size);
        }
        n = MIN(n, c);
        if (n == 0) {
            return;
        }
        len = n * size;
        if (movs) {
            s = x86_host_ptr(env, sla, len, ACC_READ);
            if (!s) {
                return;
            }
        }
        d = x86_host_ptr(env, dla, len, ACC_WRITE);
        if (!d) {
            return;
        }
        if (!movs) {
            uint64_t v = get_reg(env, R_RAX, size);

            if (size == 1) {
                memset(d, (int)v, len);
            } else {
                for (uint64_t i = 0; i < n; i++) {
                    memcpy(d + i * size, &v, size);
                }
            }
        } else if (d > s && d < s + len) {
            /*
             * Overlap the way the element-wise copy sees it: each element
             * is read whole before it is written.
             */
            for (uint64_t i = 0; i < len; i += size) {
                uint64_t v;

                memcpy(&v, s + i, size);
                memcpy(d + i, &v, size);
            }
        } else {
            memmove(d, s, len);
        }
        if (movs) {
            str_adv(env, insn, R_RSI, len);
        }
        str_adv(env, insn, R_RDI, len);
        set_reg(env, R_RCX, insn->asize, c - n);
        total += len;
    }
}

H(op_movs)
{
    str_fast(env, insn, true);
    str_run(env, insn, step_movs, false);
}

H(op_stos)
{
    str_fast(env, insn, false);
    str_run(env, insn, step_stos, false);
}

H(op_lods) { str_run(env, insn, step_lods, false); }
H(op_scas) { str_run(env, insn, step_scas, true); }
H(op_cmps) { str_run(env, insn, step_cmps, true); }
H(op_ins) { str_run(env, insn, step_ins, false); }
H(op_outs) { str_run(env, insn, step_outs, false); }
