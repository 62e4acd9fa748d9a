/*
 * One accelerator running lockstep sequences on a bare machine.
 */
#include <string.h>

#include "core/error.h"
#include "accel/kvm/kvm.h"
#include "core/memory.h"
#include "tools/lockstep/runner.h"

/* A run that has not reached the END marker after this long never will. */
#define RUN_TIMEOUT_US  (5 * G_USEC_PER_SEC)

#define PTE_P   (1ull << 0)
#define PTE_RW  (1ull << 1)
#define PTE_US  (1ull << 2)
#define PTE_PS  (1ull << 7)

struct Runner {
    const AccelOps *ops;
    MachineConfig cfg;
    Machine m;
    VCPU *cpu;
    VCPU *cpus[1];
    bool vcpu_ready;

    /* The software CPU must not see two different codes at one address. */
    bool fresh_code_needed;
    bool is_kvm;                /* steps end in KVM debug exits */
    uint64_t code_addr;         /* where the current sequence runs */
    uint64_t code_used_end;     /* code written since the vCPU was created */

    /* END page: written by the vCPU thread inside vcpu_run */
    bool ended;
    uint64_t end_value;

    /* watchdog */
    GThread *watchdog;
    GMutex lock;
    GCond cond;
    bool armed, quit, timed_out;
    uint64_t generation;
};

static uint64_t end_read(void *opaque, uint64_t offset, unsigned size)
{
    (void)opaque;
    (void)offset;
    (void)size;
    return 0;
}

static void end_write(void *opaque, uint64_t offset, uint64_t value,
                      unsigned size)
{
    Runner *r = opaque;

    (void)offset;
    (void)size;
    r->ended = true;
    r->end_value = value;
    vcpu_kick(r->cpu);
}

static const MemoryRegionOps end_ops = {
    .read = end_read,
    .write = end_write,
};

static gpointer watchdog_thread(gpointer opaque)
{
    Runner *r = opaque;

    g_mutex_lock(&r->lock);
    while (!r->quit) {
        if (!r->armed) {
            g_cond_wait(&r->cond, &r->lock);
            continue;
        }
        uint64_t gen = r->generation;
        gint64 deadline = g_get_monotonic_time() + RUN_TIMEOUT_US;

        while (r->armed && !r->quit && r->generation == gen) {
            if (!g_cond_wait_until(&r->cond, &r->lock, deadline)) {
                if (r->armed && r->generation == gen) {
                    r->timed_out = true;
                    vcpu_kick(r->cpu);
                }
                break;
            }
        }
        /* wait for this run to be disarmed before watching the next */
        while (r->armed && !r->quit && r->generation == gen) {
            g_cond_wait(&r->cond, &r->lock);
        }
    }
    g_mutex_unlock(&r->lock);
    return NULL;
}

static void put64(uint8_t *page, unsigned index, uint64_t v)
{
    memcpy(page + index * 8, &v, 8);
}

/* Page tables, GDT with a TSS, and an empty IDT (any exception ends the run). */
static bool build_tables(Runner *r, GError **errp)
{
    AddressSpace *as = r->m.memory;
    uint8_t page[4096];
    const uint64_t user = PTE_P | PTE_RW | PTE_US;
    uint64_t tss_low, tss = LS_TSS;

    memset(page, 0, sizeof(page));
    put64(page, 0, LS_PDPT | user);
    if (!address_space_write(as, LS_PML4, page, sizeof(page))) {
        goto fail;
    }
    memset(page, 0, sizeof(page));
    put64(page, 0, LS_PD_LOW | user);
    put64(page, 3, LS_PD_HIGH | user);
    if (!address_space_write(as, LS_PDPT, page, sizeof(page))) {
        goto fail;
    }
    memset(page, 0, sizeof(page));
    for (unsigned i = 0; i < LS_RAM_SIZE >> 21; i++) {
        put64(page, i, ((uint64_t)i << 21) | user | PTE_PS);
    }
    if (!address_space_write(as, LS_PD_LOW, page, sizeof(page))) {
        goto fail;
    }
    memset(page, 0, sizeof(page));
    put64(page, (LS_END - 0xc0000000ull) >> 21, LS_END | user | PTE_PS);
    if (!address_space_write(as, LS_PD_HIGH, page, sizeof(page))) {
        goto fail;
    }

    memset(page, 0, sizeof(page));
    put64(page, 1, 0x00af9a000000ffffull);      /* 0x08 kernel code */
    put64(page, 2, 0x00cf92000000ffffull);      /* 0x10 kernel data */
    put64(page, 3, 0x00cff2000000ffffull);      /* 0x18 user data */
    put64(page, 4, 0x00affa000000ffffull);      /* 0x20 user code */
    tss_low = 0x67 | (tss & 0xffffff) << 16 | 0x8bull << 40 |
              ((tss >> 24) & 0xff) << 56;       /* 0x28 busy 64-bit TSS */
    put64(page, 5, tss_low);
    put64(page, 6, tss >> 32);
    if (!address_space_write(as, LS_GDT, page, sizeof(page))) {
        goto fail;
    }
    return true;

fail:
    g_set_error(errp, QEMU_ERROR, 0, "cannot write the system tables");
    return false;
}

void runner_base_state(X86CPUState *s)
{
    const uint16_t code = x86_seg_attrib(0xb, true, 3, true, false, true);
    const uint16_t data = x86_seg_attrib(0x3, true, 3, false, true, true);

    x86_cpu_state_reset(s, 0);
    for (unsigned i = 0; i < SEG_COUNT; i++) {
        s->segs[i] = (X86Segment){ .selector = LS_USER_DS, .attrib = data,
                                   .limit = 0xffffffff };
    }
    s->segs[SEG_CS] = (X86Segment){ .selector = LS_USER_CS, .attrib = code,
                                    .limit = 0xffffffff };
    s->segs[SEG_TR] = (X86Segment){
        .selector = LS_TSS_SEL, .base = LS_TSS, .limit = 0x67,
        .attrib = x86_seg_attrib(0xb, false, 0, false, false, false),
    };
    s->segs[SEG_LDTR] = (X86Segment){ .attrib = 0 };   /* unusable */
    s->gdt = (X86DescTable){ .base = LS_GDT, .limit = 7 * 8 - 1 };
    s->idt = (X86DescTable){ .base = LS_IDT, .limit = 0xfff };

    s->cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE |
             X86_CR0_WP | X86_CR0_PG;
    s->cr3 = LS_PML4;
    s->cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
    s->efer = X86_EFER_SCE | X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE;

    /* IF clear: nothing may interrupt the sequence */
    s->rflags = X86_FLAG_FIXED;
    s->regs[R_RSP] = LS_STACK_TOP;
    s->regs[GEN_REG_DATA] = LS_DATA;
    s->regs[GEN_REG_END] = LS_END;
    s->rip = LS_CODE;
}

static bool vcpu_create(Runner *r, GError **errp)
{
    VCPU *cpu = r->cpu;

    cpu->accel = NULL;
    g_atomic_int_set(&cpu->exit_request, 0);
    g_atomic_int_set(&cpu->interrupt_request, 0);
    if (r->ops->vcpu_init && !r->ops->vcpu_init(cpu, errp)) {
        return false;
    }
    r->vcpu_ready = true;
    r->code_used_end = 0;
    return true;
}

static void vcpu_destroy(Runner *r)
{
    if (r->vcpu_ready && r->ops->vcpu_cleanup) {
        r->ops->vcpu_cleanup(r->cpu);
    }
    r->vcpu_ready = false;
}

Runner *runner_new(const AccelOps *ops, GError **errp)
{
    Runner *r = g_new0(Runner, 1);

    r->ops = ops;
    r->is_kvm = strcmp(ops->name, "kvm") == 0;
    r->fresh_code_needed = !r->is_kvm;
    r->cfg.ram_size = LS_RAM_SIZE;
    r->cfg.smp = 1;
    r->cfg.no_reboot = true;
    r->m.cfg = &r->cfg;
    r->m.accel = ops;
    r->m.ncpus = 1;
    r->m.memory = address_space_new("memory", ADDRESS_SPACE_MEMORY);
    r->m.io = address_space_new("io", ADDRESS_SPACE_IO);
    r->cpu = g_new0(VCPU, 1);
    r->cpu->machine = &r->m;
    g_mutex_init(&r->cpu->lock);
    g_cond_init(&r->cpu->cond);
    r->cpus[0] = r->cpu;
    r->m.vcpus = r->cpus;
    g_mutex_init(&r->lock);
    g_cond_init(&r->cond);

    if (ops->probe && !ops->probe(errp)) {
        goto fail;
    }
    if (!address_space_add_ram(r->m.memory, "ram", 0, LS_RAM_SIZE, errp) ||
        !address_space_add_io(r->m.memory, "end", LS_END, 0x1000, &end_ops,
                              r, errp) ||
        !build_tables(r, errp)) {
        goto fail;
    }
    if (ops->init && !ops->init(&r->m, errp)) {
        goto fail;
    }
    if (!vcpu_create(r, errp)) {
        goto fail;
    }
    r->watchdog = g_thread_new("lockstep watchdog", watchdog_thread, r);
    return r;

fail:
    g_prefix_error(errp, "%s: ", ops->name);
    runner_free(r);
    return NULL;
}

void runner_free(Runner *r)
{
    if (!r) {
        return;
    }
    if (r->watchdog) {
        g_mutex_lock(&r->lock);
        r->quit = true;
        g_cond_broadcast(&r->cond);
        g_mutex_unlock(&r->lock);
        g_thread_join(r->watchdog);
    }
    vcpu_destroy(r);
    if (r->m.accel_state && r->ops->cleanup) {
        r->ops->cleanup(&r->m);
    }
    address_space_free(r->m.memory);
    address_space_free(r->m.io);
    g_mutex_clear(&r->cpu->lock);
    g_cond_clear(&r->cpu->cond);
    g_free(r->cpu);
    g_mutex_clear(&r->lock);
    g_cond_clear(&r->cond);
    g_free(r);
}

const char *runner_name(const Runner *r)
{
    return r->ops->name;
}

static void watchdog_arm(Runner *r, bool arm)
{
    g_mutex_lock(&r->lock);
    r->armed = arm;
    if (arm) {
        r->timed_out = false;
        r->generation++;
    }
    g_cond_broadcast(&r->cond);
    g_mutex_unlock(&r->lock);
}

/* Loads SEQ, DATA and STACK and sets the vCPU's state, ready to run. */
static bool prepare(Runner *r, const GenSeq *seq, const X86CPUState *init,
                    const uint8_t *data, const uint8_t *stack, GError **errp)
{
    AddressSpace *as = r->m.memory;
    uint64_t code = init->rip;

    g_assert(code >= LS_CODE && code + seq->code_len <= LS_RAM_SIZE);
    if (r->fresh_code_needed && code < r->code_used_end) {
        vcpu_destroy(r);
        if (!vcpu_create(r, errp)) {
            return false;
        }
    }
    r->code_used_end = MAX(r->code_used_end, code + seq->code_len);
    if (!address_space_write(as, code, seq->code, seq->code_len) ||
        !address_space_write(as, LS_DATA, data, GEN_DATA_SIZE) ||
        !address_space_write(as, LS_STACK, stack, 4096)) {
        g_set_error(errp, QEMU_ERROR, 0, "cannot write guest RAM");
        return false;
    }
    if (!r->ops->set_state(r->cpu, init, errp)) {
        g_prefix_error(errp, "%s: set_state: ", r->ops->name);
        return false;
    }
    r->ended = false;
    r->end_value = 0;
    r->code_addr = code;
    g_atomic_int_set(&r->cpu->exit_request, 0);
    return true;
}

/* What one vcpu_run that returned VR left behind. */
static bool collect(Runner *r, VCPURunResult vr, RunResult *out,
                    GError **errp)
{
    AddressSpace *as = r->m.memory;

    memset(out, 0, sizeof(*out));
    out->vcpu_result = vr;
    out->code_addr = r->code_addr;
    out->end_value = r->end_value;
    if (vr != VCPU_RUN_KICKED) {
        out->status = RUN_FAULT;
    } else if (!r->ended) {
        out->status = RUN_TIMEOUT;
    } else {
        out->status = RUN_OK;
    }
    if (!r->ops->get_state(r->cpu, &out->state, errp)) {
        g_prefix_error(errp, "%s: get_state: ", r->ops->name);
        return false;
    }
    address_space_read(as, LS_DATA, out->data, GEN_DATA_SIZE);
    address_space_read(as, LS_STACK, out->stack, sizeof(out->stack));
    return true;
}

bool runner_run(Runner *r, const GenSeq *seq, const X86CPUState *init,
                const uint8_t *data, const uint8_t *stack, RunResult *out,
                GError **errp)
{
    VCPURunResult vr;

    if (!prepare(r, seq, init, data, stack, errp)) {
        return false;
    }
    watchdog_arm(r, true);
    vr = r->ops->vcpu_run(r->cpu);
    watchdog_arm(r, false);
    g_atomic_int_set(&r->cpu->exit_request, 0);
    return collect(r, vr, out, errp);
}

bool runner_step_begin(Runner *r, const GenSeq *seq, const X86CPUState *init,
                       const uint8_t *data, const uint8_t *stack,
                       GError **errp)
{
    if (!r->ops->set_single_step) {
        g_set_error(errp, QEMU_ERROR, 0, "%s cannot single-step",
                    r->ops->name);
        return false;
    }
    if (!prepare(r, seq, init, data, stack, errp)) {
        return false;
    }
    if (!r->ops->set_single_step(r->cpu, true, errp)) {
        g_prefix_error(errp, "%s: set_single_step: ", r->ops->name);
        return false;
    }
    return true;
}

bool runner_step(Runner *r, RunResult *out, bool *stepped, GError **errp)
{
    bool ended_before = r->ended;
    VCPURunResult vr = r->ops->vcpu_run(r->cpu);

    g_atomic_int_set(&r->cpu->exit_request, 0);
    if (r->is_kvm) {
        *stepped = kvm_vcpu_take_debug_exit(r->cpu);
    } else {
        *stepped = vr == VCPU_RUN_KICKED;
    }
    /* The END store's kick, not a debug exit, may end the last step. */
    if (!ended_before && r->ended) {
        *stepped = true;
    }
    return collect(r, vr, out, errp);
}

bool runner_step_end(Runner *r, GError **errp)
{
    if (!r->ops->set_single_step(r->cpu, false, errp)) {
        g_prefix_error(errp, "%s: set_single_step: ", r->ops->name);
        return false;
    }
    return true;
}
