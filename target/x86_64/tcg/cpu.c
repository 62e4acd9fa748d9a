/*
 * The x86 software vCPU: creation, state hand-over, mode flags, the TSC,
 * and the target half of the execution loop (events at block boundaries,
 * block decoding and execution).
 */
#include "core/error.h"
#include "core/main_loop.h"
#include "target/x86_64/tcg/tcg_cpu.h"
#include "target/x86_64/tcg/x86_tcg.h"

#define TCG_TSC_KHZ         2000000u    /* 2 GHz */
#define TCG_ARENA_SIZE      (64u << 20)
#define TCG_TABLE_BITS      15
#define TCG_STEP_FLAG       0x100u

void x86_update_hflags(X86TCGCPU *env)
{
    X86CPUState *s = &env->s;
    uint16_t cs = s->segs[SEG_CS].attrib;

    env->pe = s->cr0 & X86_CR0_PE;
    env->pg = env->pe && (s->cr0 & X86_CR0_PG);
    env->lma = s->efer & X86_EFER_LMA;
    if (env->lma && (cs & SEG_ATTR_L)) {
        env->code_size = 8;
    } else {
        env->code_size = (cs & SEG_ATTR_DB) ? 4 : 2;
    }
    env->cpl = env->pe ? s->segs[SEG_CS].selector & 3 : 0;
    if (env->code_size == 8) {
        env->stack_size = 8;
    } else {
        env->stack_size = (s->segs[SEG_SS].attrib & SEG_ATTR_DB) ? 4 : 2;
    }
    env->mmu_idx = env->cpl == 3 ? MMU_USER : MMU_KERNEL;
}

uint64_t x86_get_rflags(X86TCGCPU *env)
{
    return (env->s.rflags & ~(uint64_t)CC_MASK) | x86_cc_compute(env) |
           X86_FLAG_FIXED;
}

void x86_set_rflags(X86TCGCPU *env, uint64_t val, uint64_t mask)
{
    uint64_t f = (x86_get_rflags(env) & ~mask) | (val & mask);

    set_cc_eflags(env, f & CC_MASK);
    env->s.rflags = (f & ~(uint64_t)CC_MASK & 0x3f7fff) | X86_FLAG_FIXED;
}

uint64_t x86_read_tsc(X86TCGCPU *env)
{
    int64_t dt = clock_ns() - env->tsc_ns;

    return env->tsc_base + (uint64_t)((__int128)dt * env->tsc_khz / 1000000);
}

/*
 * vCPUs whose TSC is set to the same value within a second (the machine's
 * reset, a snapshot restore) share one time base, as KVM matches TSC
 * writes: otherwise the microseconds between the writes show up as TSC
 * warp between CPUs and Linux stops trusting the TSC.
 */
static GMutex tsc_sync_lock;
static uint64_t tsc_sync_val, tsc_sync_base;
static int64_t tsc_sync_ns = INT64_MIN / 2;

void x86_write_tsc(X86TCGCPU *env, uint64_t val)
{
    int64_t now = clock_ns();

    g_mutex_lock(&tsc_sync_lock);
    if (val != tsc_sync_val || now - tsc_sync_ns > 1000000000) {
        tsc_sync_val = val;
        tsc_sync_base = val;
        tsc_sync_ns = now;
    }
    env->tsc_base = tsc_sync_base;
    env->tsc_ns = tsc_sync_ns;
    g_mutex_unlock(&tsc_sync_lock);
}

void x86_unimplemented(X86TCGCPU *env, const X86Insn *insn)
{
    static uint32_t warned[0x400 / 32];
    unsigned op = insn->op & 0x3ff;
    uint32_t bit = 1u << (op % 32);

    if (!(__atomic_fetch_or(&warned[op / 32], bit, __ATOMIC_RELAXED) & bit)) {
        warn_report("tcg: unimplemented instruction %s%02x (prefixes 0x%x) "
                    "at rip 0x%" G_GINT64_MODIFIER "x, raising #UD",
                    op >= 0x300 ? "0f 3a " : op >= 0x200 ? "0f 38 "
                    : op >= 0x100 ? "0f " : "", op & 0xff, insn->pfx,
                    env->s.rip);
    }
    x86_raise_noerr(env, EXCP_UD);
}

/* ------------------------------------------------------------------ */
/* Creation and state */

static void reset_private(X86TCGCPU *env)
{
    set_cc_eflags(env, env->s.rflags & CC_MASK);
    env->s.rflags = (env->s.rflags & ~(uint64_t)CC_MASK) | X86_FLAG_FIXED;
    env->excp_pending = false;
    env->delivering = -1;
    env->irq_hint = true;
    x86_write_tsc(env, env->s.tsc);
    x86_tlb_flush(env, false);
    x86_update_hflags(env);
}

X86TCGCPU *x86_tcg_cpu_new(VCPU *cpu, TCGPages *pages)
{
    X86TCGCPU *env = g_new0(X86TCGCPU, 1);

    env->cpu = cpu;
    env->m = cpu->machine;
    env->pages = pages;
    env->model = x86_cpu_model_default();
    env->tsc_khz = TCG_TSC_KHZ;
    env->code_epoch = __atomic_load_n(&pages->code_epoch, __ATOMIC_ACQUIRE);
    env->cur_page1 = env->cur_page2 = TCG_NO_PAGE;
    tcg_cache_init(&env->cache, TCG_ARENA_SIZE, TCG_TABLE_BITS);
    x86_cpu_state_reset(&env->s, cpu->index);
    env->s.mp_state = cpu->index ? X86_MP_WAIT_SIPI : X86_MP_RUNNABLE;
    reset_private(env);
    return env;
}

void x86_tcg_cpu_free(X86TCGCPU *env)
{
    if (env) {
        tcg_cache_destroy(&env->cache);
        g_free(env);
    }
}

void x86_tcg_get_state(X86TCGCPU *env, X86CPUState *s)
{
    *s = env->s;
    s->rflags = x86_get_rflags(env);
    s->tsc = x86_read_tsc(env);
}

void x86_tcg_set_state(X86TCGCPU *env, const X86CPUState *s)
{
    env->s = *s;
    reset_private(env);
    /*
     * Guest RAM may have been reloaded behind our back (reset, snapshot
     * restore): no write went through the soft TLB to invalidate blocks.
     */
    tcg_cache_flush(&env->cache);
}

jmp_buf *x86_tcg_jmp_buf(X86TCGCPU *env)
{
    return &env->jmp;
}

/* ------------------------------------------------------------------ */
/* Events */

static void do_init(X86TCGCPU *env)
{
    uint64_t apic_base = env->s.apic_base;
    uint64_t tsc_base = env->tsc_base;
    int64_t tsc_ns = env->tsc_ns;

    /* INIT keeps the APIC base and the running TSC. */
    x86_cpu_state_reset(&env->s, env->cpu->index);
    env->s.apic_base = apic_base;
    env->s.mp_state = X86_MP_WAIT_SIPI;
    env->nmi_pending = env->nmi_blocked = false;
    reset_private(env);
    env->tsc_base = tsc_base;
    env->tsc_ns = tsc_ns;
}

static void do_sipi(X86TCGCPU *env, uint8_t vector)
{
    X86Segment *cs = &env->s.segs[SEG_CS];

    if (env->s.mp_state != X86_MP_WAIT_SIPI) {
        return;
    }
    cs->selector = (uint16_t)vector << 8;
    cs->base = (uint64_t)vector << 12;
    env->s.rip = 0;
    env->s.sipi_vector = vector;
    env->s.mp_state = X86_MP_RUNNABLE;
    x86_update_hflags(env);
}

static void take_events(X86TCGCPU *env)
{
    const X86InterruptSource *ic = env->m->intc;
    uint8_t vector = 0;
    unsigned ev;

    if (!ic || !ic->take_events) {
        return;
    }
    ev = ic->take_events(env->cpu, &vector);
    if (ev & X86_INTC_EVENT_INIT) {
        do_init(env);
    }
    if (ev & X86_INTC_EVENT_SIPI) {
        do_sipi(env, vector);
    }
    if (ev & X86_INTC_EVENT_NMI) {
        env->nmi_pending = true;
    }
}

static void deliver_external(X86TCGCPU *env, int vec)
{
    env->s.mp_state = X86_MP_RUNNABLE;
    env->delivering = vec;
    x86_do_interrupt(env, vec, false, false, 0, env->s.rip);
    env->delivering = -1;
}

static G_GNUC_NO_INLINE int handle_events_slow(X86TCGCPU *env,
                                                uint32_t epoch)
{
    VCPU *cpu = env->cpu;
    const X86InterruptSource *ic = env->m->intc;
    if (unlikely(env->shutdown)) {
        return VCPU_RUN_SHUTDOWN;
    }
    if (unlikely(env->excp_pending)) {
        env->s.mp_state = X86_MP_RUNNABLE;
        if (!x86_deliver_pending_exception(env)) {
            return VCPU_RUN_SHUTDOWN;
        }
    }
    if (unlikely(epoch != env->code_epoch)) {
        env->code_epoch = epoch;
        x86_tlb_flush(env, false);
    }
    if (g_atomic_int_get(&cpu->interrupt_request)) {
        g_atomic_int_set(&cpu->interrupt_request, 0);
        take_events(env);
        env->irq_hint = true;
    }
    if (env->s.mp_state == X86_MP_WAIT_SIPI) {
        return VCPU_RUN_HALT;
    }
    if (env->s.interrupt_shadow) {
        return -1;
    }
    if (env->nmi_pending && !env->nmi_blocked) {
        env->nmi_pending = false;
        deliver_external(env, EXCP_NMI);
    }
    if (env->irq_hint && ic && (env->s.rflags & X86_FLAG_IF)) {
        if (ic->pending(cpu) >= 0) {
            int vec = ic->ack(cpu);

            if (vec >= 0) {
                deliver_external(env, vec);
            }
        } else {
            env->irq_hint = false;
        }
    }
    if (env->s.mp_state == X86_MP_HALTED) {
        return VCPU_RUN_HALT;
    }
    return -1;
}

/* Nothing to do at this block boundary: the common case. */
HOT bool events_quiet(X86TCGCPU *env, uint32_t epoch)
{
    return !env->excp_pending && !env->shutdown &&
           epoch == env->code_epoch &&
           !g_atomic_int_get(&env->cpu->interrupt_request) &&
           env->s.mp_state == X86_MP_RUNNABLE && !env->nmi_pending &&
           !(env->irq_hint && (env->s.rflags & X86_FLAG_IF) &&
             !env->s.interrupt_shadow && env->m->intc);
}

int x86_tcg_handle_events(X86TCGCPU *env)
{
    uint32_t epoch = __atomic_load_n(&env->pages->code_epoch,
                                     __ATOMIC_ACQUIRE);
    int r = -1;

    /* The common case, kept free of the slow path's register spills. */
    if (unlikely(!events_quiet(env, epoch))) {
        r = handle_events_slow(env, epoch);
    }
    /* A step's exception has been delivered above: the step is over. */
    if (unlikely(r < 0 && env->step_done)) {
        return VCPU_RUN_KICKED;
    }
    return r;
}

void x86_tcg_set_single_step(X86TCGCPU *env, bool enable)
{
    env->step = enable;
    env->step_flag = enable ? TCG_STEP_FLAG : 0;
}

void x86_tcg_run_start(X86TCGCPU *env)
{
    env->step_done = false;
}

/* ------------------------------------------------------------------ */
/* Blocks */

/* Instructions after which decoding stops: control transfers and anything
 * that may change the mode, the address space or the interrupt state. */
static bool insn_ends_block(const X86Insn *insn)
{
    static const X86InsnFn enders[] = {
        op_jmp_rel, op_jmp_rm, op_call_rel, op_call_rm, op_ret, op_ret_imm,
        op_jmpf_ptr, op_callf_ptr, op_jmpf_m, op_callf_m, op_retf,
        op_retf_imm, op_iret, op_int, op_int3, op_into, op_int1, op_hlt,
        op_ud, op_gp0, x86_unimplemented, op_syscall, op_sysret,
        op_sysenter, op_sysexit, op_mov_cr_r, op_wrmsr, op_lgdt, op_lidt,
        op_lldt, op_ltr, op_lmsw, op_clts, op_invlpg, op_mov_seg_rm,
        op_pop_seg, op_lseg, op_popf, op_sti, op_pause, op_swapgs,
        op_fxrstor,
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(enders); i++) {
        if (insn->fn == enders[i]) {
            return true;
        }
    }
    return false;
}

/* Writes all six arithmetic flags without reading any, and cannot fault. */
static bool insn_sets_all_flags(const X86Insn *insn)
{
    static const X86InsnFn no_mem[] = {
        op_add_a_i, op_or_a_i, op_and_a_i, op_sub_a_i, op_xor_a_i,
        op_cmp_a_i, op_test_a_i,
    };
    static const X86InsnFn reg_forms[] = {
        op_add_rm_r, op_add_r_rm, op_add_rm_i, op_or_rm_r, op_or_r_rm,
        op_or_rm_i, op_and_rm_r, op_and_r_rm, op_and_rm_i, op_sub_rm_r,
        op_sub_r_rm, op_sub_rm_i, op_xor_rm_r, op_xor_r_rm, op_xor_rm_i,
        op_cmp_rm_r, op_cmp_r_rm, op_cmp_rm_i, op_test_rm_r, op_test_rm_i,
        op_imul_r_rm, op_imul_r_rm_i,
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(no_mem); i++) {
        if (insn->fn == no_mem[i]) {
            return true;
        }
    }
    if (insn->mod != 3) {
        return false;
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(reg_forms); i++) {
        if (insn->fn == reg_forms[i]) {
            return true;
        }
    }
    return false;
}

static TCGBlock *translate(X86TCGCPU *env, uint64_t pc, uint64_t paddr,
                           const uint8_t *host)
{
    unsigned max = env->step ? 1 : X86_MAX_BLOCK_INSNS;
    TCGBlock *tb = tcg_cache_alloc(&env->cache,
                                   X86_MAX_BLOCK_INSNS * sizeof(X86Insn));
    X86Insn *insns = (X86Insn *)tb->data;
    unsigned off = pc & 0xfff, n = 0;
    const uint8_t *page = host - off;

    tb->pc = paddr;
    tb->flags = env->code_size | env->step_flag;
    tb->page2 = TCG_NO_PAGE;
    tb->gen2 = 0;
    tb->gen1 = tcg_page_mark_code(env->pages, paddr);

    while (n < max && off < 4096) {
        if (!x86_decode(env, page + off, 4096 - off, &insns[n])) {
            uint8_t buf[16];
            unsigned have = 4096 - off;
            uint64_t p2;
            const uint8_t *h2;

            if (n > 0) {
                break;
            }
            /* The first instruction straddles the page end. */
            h2 = x86_fetch_ptr(env, (pc & PAGE_MASK_4K) + 4096, &p2, true);
            if (!h2) {
                x86_raise_noerr(env, EXCP_UD);
            }
            memcpy(buf, page + off, have);
            memcpy(buf + have, h2, sizeof(buf) - have);
            tb->page2 = p2 & PAGE_MASK_4K;
            tb->gen2 = tcg_page_mark_code(env->pages, p2);
            if (!x86_decode(env, buf, sizeof(buf), &insns[0])) {
                x86_raise(env, EXCP_GP, 0);
            }
            n = 1;
            break;
        }
        off += insns[n].len;
        if (insn_ends_block(&insns[n++])) {
            break;
        }
    }
    for (unsigned i = 0; i + 1 < n; i++) {
        if (insn_sets_all_flags(&insns[i + 1])) {
            insns[i].pfx |= PFX_NOFLAGS;
        }
    }
    for (unsigned i = 0; i < n; i++) {
        x86_specialize_alu(&insns[i]);
        x86_specialize_mov(&insns[i]);
        x86_specialize_hot(&insns[i]);
    }
    tb->ninsns = n;
    tcg_cache_commit(&env->cache, tb, n * sizeof(X86Insn));
    return tb;
}

/* The block at linear address PC: decoded, looked up, or cached. */
static TCGBlock *find_block(X86TCGCPU *env, uint64_t pc, uint32_t flags)
{
    uint64_t flushes = env->cache.flushes;
    const uint8_t *host;
    uint64_t paddr;
    TCGBlock *tb;

    host = x86_fetch_ptr(env, pc, &paddr, true);
    if (unlikely(!host)) {
        x86_raise_noerr(env, EXCP_UD);
    }
    tb = tcg_cache_lookup(&env->cache, env->pages, paddr,
                          env->code_size | env->step_flag);
    if (!tb) {
        tb = translate(env, pc, paddr, host);
        if (env->cache.flushes != flushes) {
            memset(env->jc, 0, sizeof(env->jc));
        }
    }
    env->jc[jc_index(pc)].pc = pc;
    env->jc[jc_index(pc)].flags = flags;
    env->jc[jc_index(pc)].tb = tb;
    return tb;
}

/*
 * RFLAGS.TF: one instruction, then a #DB trap (DR6.BS) that returns after
 * it.  TF is sampled before the instruction, so the trap follows the
 * instruction after a POPF or IRET that sets it, as on hardware.
 */
static void single_step(X86TCGCPU *env, const X86Insn *insn)
{
    env->s.interrupt_shadow = false;
    env->next_rip = env->s.rip + insn->len;
    insn->fn(env, insn);
    env->s.rip = env->next_rip;
    env->cur_page1 = env->cur_page2 = TCG_NO_PAGE;
    env->s.dr[6] |= 1u << 14;
    x86_raise_noerr(env, EXCP_DB);
}

/* Runs one block; false when it must not be followed by the next at once. */
static bool exec_one_block(X86TCGCPU *env)
{
    uint64_t pc = env->s.segs[SEG_CS].base + env->s.rip;
    uint32_t flags = env->code_size | env->mmu_idx << 4 | env->step_flag;
    uint32_t epoch = __atomic_load_n(&env->pages->inval_epoch,
                                     __ATOMIC_ACQUIRE);
    const X86Insn *insn;
    TCGBlock *tb;
    unsigned n;

    if (!x86_64bit(env)) {
        pc = (uint32_t)pc;
    }
    tb = env->jc[jc_index(pc)].tb;
    if (unlikely(!tb || env->jc[jc_index(pc)].pc != pc ||
                 env->jc[jc_index(pc)].flags != flags ||
                 tb->checked_epoch != epoch)) {
        tb = find_block(env, pc, flags);
    }
    env->cur_page1 = tb->pc & PAGE_MASK_4K;
    env->cur_page2 = tb->page2;
    env->block_exit = false;
    insn = (const X86Insn *)tb->data;
    n = tb->ninsns;
    if (unlikely(env->s.rflags & X86_FLAG_TF)) {
        single_step(env, insn);
        return false;
    }
    if (env->s.interrupt_shadow) {
        env->s.interrupt_shadow = false;
        n = 1;
    }
    for (const X86Insn *end = insn + n; insn < end; insn++) {
        env->next_rip = env->s.rip + insn->len;
        insn->fn(env, insn);
        env->s.rip = env->next_rip;
        if (unlikely(env->block_exit)) {
            break;
        }
    }
    env->cur_page1 = env->cur_page2 = TCG_NO_PAGE;
    return true;
}

/*
 * Runs blocks back to back for as long as the boundary checks of
 * tcg_vcpu_run (a kick, an event) would find nothing to do, which saves
 * the round trip through the accelerator's loop for every block.
 */
void x86_tcg_exec_block(X86TCGCPU *env)
{
    if (unlikely(env->step)) {
        /* Set first: an exception unwinds out of exec_one_block. */
        env->step_done = true;
        exec_one_block(env);
        return;
    }
    while (exec_one_block(env) &&
           likely(!g_atomic_int_get(&env->cpu->exit_request)) &&
           likely(events_quiet(env, __atomic_load_n(&env->pages->code_epoch,
                                                    __ATOMIC_ACQUIRE)))) {
    }
}
