/*
 * Exceptions and interrupt delivery.
 *
 * Raising an exception records it and longjmps back to the execution loop
 * (RIP still points at the faulting instruction, since handlers update
 * registers only after their memory accesses).  The loop then delivers it
 * through the IDT; a fault during delivery comes back here with
 * `delivering` set, which is how double and triple faults are detected.
 */
#include "core/error.h"
#include "target/x86_64/tcg/tcg_cpu.h"

static bool excp_has_error_code(int vec)
{
    switch (vec) {
    case EXCP_DF: case EXCP_TS: case EXCP_NP: case EXCP_SS:
    case EXCP_GP: case EXCP_PF: case EXCP_AC:
        return true;
    default:
        return false;
    }
}

static bool excp_contributory(int vec)
{
    return vec == EXCP_DE || (vec >= EXCP_TS && vec <= EXCP_GP);
}

void x86_raise(X86TCGCPU *env, int vec, uint32_t err)
{
    env->excp_pending = true;
    env->excp_vec = vec;
    env->excp_err = err;
    env->excp_has_err = excp_has_error_code(vec);
    env->excp_soft = false;
    longjmp(env->jmp, 1);
}

void x86_raise_noerr(X86TCGCPU *env, int vec)
{
    x86_raise(env, vec, 0);
}

void x86_raise_soft(X86TCGCPU *env, int vec, uint64_t next_rip)
{
    env->excp_pending = true;
    env->excp_vec = vec;
    env->excp_err = 0;
    env->excp_has_err = false;
    env->excp_soft = true;
    env->excp_next_rip = next_rip;
    longjmp(env->jmp, 1);
}

/* Returns false on a triple fault (the machine is being reset). */
bool x86_deliver_pending_exception(X86TCGCPU *env)
{
    int vec = env->excp_vec;
    uint32_t err = env->excp_err;
    bool has_err = env->excp_has_err;
    bool soft = env->excp_soft;
    int prev = env->delivering;

    env->excp_pending = false;
    if (prev >= 0 && !soft) {
        if (prev == EXCP_DF) {
            warn_report("vCPU %u: triple fault at rip 0x%" G_GINT64_MODIFIER
                        "x (exception %d)", env->cpu->index, env->s.rip, vec);
            env->delivering = -1;
            env->shutdown = true;
            machine_request_reset(env->m);
            return false;
        }
        if ((excp_contributory(prev) && excp_contributory(vec)) ||
            (prev == EXCP_PF && (vec == EXCP_PF || excp_contributory(vec)))) {
            vec = EXCP_DF;
            err = 0;
            has_err = true;
        }
    }
    env->delivering = vec;
    x86_do_interrupt(env, vec, soft, has_err, err,
                     soft ? env->excp_next_rip : env->s.rip);
    env->delivering = -1;
    return true;
}

static uint64_t ld_k(X86TCGCPU *env, uint64_t la, unsigned size)
{
    return x86_ld_mmu(env, la, size, MMU_KERNEL);
}

/* Error code for a fault caused by IDT entry VEC. */
static uint32_t idt_err(int vec, bool soft)
{
    return vec * 8 + 2 + (soft ? 0 : 1);
}

static void do_interrupt_real(X86TCGCPU *env, int vec, uint64_t ret_rip)
{
    uint64_t ent = env->s.idt.base + vec * 4;
    uint16_t ip, cs;
    uint64_t flags = x86_get_rflags(env);

    if ((uint64_t)vec * 4 + 3 > env->s.idt.limit) {
        x86_raise(env, EXCP_GP, idt_err(vec, false));
    }
    ip = ld_k(env, ent, 2);
    cs = ld_k(env, ent + 2, 2);
    x86_push(env, 2, flags);
    x86_push(env, 2, env->s.segs[SEG_CS].selector);
    x86_push(env, 2, ret_rip);
    env->s.rflags &= ~(uint64_t)(X86_FLAG_IF | X86_FLAG_TF | X86_FLAG_AC |
                                 X86_FLAG_RF);
    x86_load_seg_real(env, SEG_CS, cs);
    env->s.rip = ip;
}

/* Reads and checks the code segment named by a gate; returns its DPL. */
static unsigned gate_code_seg(X86TCGCPU *env, uint16_t sel, X86Segment *cs)
{
    uint64_t desc;
    unsigned dpl;

    if ((sel & ~3) == 0) {
        x86_raise(env, EXCP_GP, 0);
    }
    desc = x86_read_desc(env, sel, NULL);
    x86_seg_from_desc(cs, sel, desc);
    dpl = SEG_ATTR_DPL(cs->attrib);
    if (!(cs->attrib & SEG_ATTR_S) || !(cs->attrib & 8) || dpl > env->cpl) {
        x86_raise(env, EXCP_GP, sel & ~3);
    }
    if (!(cs->attrib & SEG_ATTR_P)) {
        x86_raise(env, EXCP_NP, sel & ~3);
    }
    if (cs->attrib & 4) {       /* conforming: stays at the current level */
        dpl = env->cpl;
    }
    return dpl;
}

static void set_null_ss(X86TCGCPU *env, unsigned dpl)
{
    X86Segment *ss = &env->s.segs[SEG_SS];

    ss->selector = dpl;
    ss->base = 0;
    ss->limit = 0xffffffff;
    ss->attrib = x86_seg_attrib(3, true, dpl, false, true, true);
}

static void do_interrupt64(X86TCGCPU *env, int vec, bool soft, bool has_err,
                           uint32_t err, uint64_t ret_rip)
{
    uint64_t ent = env->s.idt.base + vec * 16;
    uint64_t lo, hi, off, rsp, flags = x86_get_rflags(env);
    unsigned type, dpl, ist, new_cpl;
    X86Segment cs;
    int mmu;

    if ((uint64_t)vec * 16 + 15 > env->s.idt.limit) {
        x86_raise(env, EXCP_GP, idt_err(vec, soft));
    }
    lo = ld_k(env, ent, 8);
    hi = ld_k(env, ent + 8, 8);
    type = (lo >> 40) & 0x1f;
    dpl = (lo >> 45) & 3;
    if (type != 0xe && type != 0xf) {
        x86_raise(env, EXCP_GP, idt_err(vec, soft));
    }
    if (soft && dpl < env->cpl) {
        x86_raise(env, EXCP_GP, idt_err(vec, true));
    }
    if (!(lo & (1ull << 47))) {
        x86_raise(env, EXCP_NP, idt_err(vec, soft));
    }
    off = (lo & 0xffff) | ((lo >> 32) & 0xffff0000ull) | (hi << 32);
    ist = (lo >> 32) & 7;
    new_cpl = gate_code_seg(env, (lo >> 16) & 0xffff, &cs);
    if (!(cs.attrib & SEG_ATTR_L) || (cs.attrib & SEG_ATTR_DB)) {
        x86_raise(env, EXCP_GP, cs.selector & ~3);
    }

    if (ist) {
        rsp = ld_k(env, env->s.segs[SEG_TR].base + 0x24 + (ist - 1) * 8, 8);
    } else if (new_cpl < env->cpl) {
        rsp = ld_k(env, env->s.segs[SEG_TR].base + 4 + new_cpl * 8, 8);
    } else {
        rsp = env->s.regs[R_RSP];
    }
    rsp &= ~0xfull;
    mmu = new_cpl == 3 ? MMU_USER : MMU_KERNEL;

    /* Build the frame first: a fault here leaves the old state intact. */
    x86_st_mmu(env, rsp - 8, 8, env->s.segs[SEG_SS].selector, mmu);
    x86_st_mmu(env, rsp - 16, 8, env->s.regs[R_RSP], mmu);
    x86_st_mmu(env, rsp - 24, 8, flags, mmu);
    x86_st_mmu(env, rsp - 32, 8, env->s.segs[SEG_CS].selector, mmu);
    x86_st_mmu(env, rsp - 40, 8, ret_rip, mmu);
    rsp -= 40;
    if (has_err) {
        rsp -= 8;
        x86_st_mmu(env, rsp, 8, err, mmu);
    }

    if (new_cpl != env->cpl) {
        set_null_ss(env, new_cpl);
    }
    cs.selector = (cs.selector & ~3) | new_cpl;
    env->s.segs[SEG_CS] = cs;
    env->s.regs[R_RSP] = rsp;
    env->s.rflags &= ~(uint64_t)(X86_FLAG_TF | X86_FLAG_NT | X86_FLAG_RF |
                                 X86_FLAG_VM);
    if (type == 0xe) {
        env->s.rflags &= ~(uint64_t)X86_FLAG_IF;
    }
    env->s.rip = off;
    x86_update_hflags(env);
}

/* Legacy protected mode: 32- and 16-bit gates, stack switch through the TSS. */
static void do_interrupt32(X86TCGCPU *env, int vec, bool soft, bool has_err,
                           uint32_t err, uint64_t ret_rip)
{
    uint64_t ent = env->s.idt.base + vec * 8;
    uint64_t lo, flags = x86_get_rflags(env);
    unsigned type, dpl, new_cpl, gsize;
    X86Segment cs;
    uint32_t off;

    if ((uint64_t)vec * 8 + 7 > env->s.idt.limit) {
        x86_raise(env, EXCP_GP, idt_err(vec, soft));
    }
    lo = ld_k(env, ent, 8);
    type = (lo >> 40) & 0x1f;
    dpl = (lo >> 45) & 3;
    if (type != 0xe && type != 0xf && type != 0x6 && type != 0x7) {
        x86_raise(env, EXCP_GP, idt_err(vec, soft));
    }
    if (soft && dpl < env->cpl) {
        x86_raise(env, EXCP_GP, idt_err(vec, true));
    }
    if (!(lo & (1ull << 47))) {
        x86_raise(env, EXCP_NP, idt_err(vec, soft));
    }
    gsize = (type & 8) ? 4 : 2;
    off = (lo & 0xffff) | ((lo >> 32) & 0xffff0000u);
    new_cpl = gate_code_seg(env, (lo >> 16) & 0xffff, &cs);

    if (new_cpl < env->cpl) {
        uint64_t tss = env->s.segs[SEG_TR].base;
        uint32_t esp = ld_k(env, tss + 4 + new_cpl * 8, 4);
        uint16_t ss = ld_k(env, tss + 8 + new_cpl * 8, 2);
        uint16_t old_ss = env->s.segs[SEG_SS].selector;
        uint64_t old_esp = env->s.regs[R_RSP];

        env->s.segs[SEG_CS].selector = (cs.selector & ~3) | new_cpl;
        env->cpl = new_cpl;
        x86_load_seg(env, SEG_SS, ss);
        env->s.regs[R_RSP] = esp;
        x86_update_hflags(env);
        x86_push(env, gsize, old_ss);
        x86_push(env, gsize, old_esp);
    }
    x86_push(env, gsize, flags);
    x86_push(env, gsize, env->s.segs[SEG_CS].selector);
    x86_push(env, gsize, ret_rip);
    if (has_err) {
        x86_push(env, gsize, err);
    }
    cs.selector = (cs.selector & ~3) | new_cpl;
    env->s.segs[SEG_CS] = cs;
    env->s.rflags &= ~(uint64_t)(X86_FLAG_TF | X86_FLAG_NT | X86_FLAG_RF |
                                 X86_FLAG_VM);
    if (!(type & 1)) {
        env->s.rflags &= ~(uint64_t)X86_FLAG_IF;
    }
    env->s.rip = off;
    x86_update_hflags(env);
}

void x86_do_interrupt(X86TCGCPU *env, int vec, bool soft, bool has_err,
                      uint32_t err, uint64_t ret_rip)
{
    if (!env->pe) {
        do_interrupt_real(env, vec, ret_rip);
    } else if (env->lma) {
        do_interrupt64(env, vec, soft, has_err, err, ret_rip);
    } else {
        do_interrupt32(env, vec, soft, has_err, err, ret_rip);
    }
    if (vec == EXCP_NMI && !soft) {
        env->nmi_blocked = true;
    }
    env->s.interrupt_shadow = false;
}
