/*
 * The software CPU accelerator: registers "tcg", owns the machine-wide
 * code-page table and runs the execution loop, whose setjmp point is
 * where guest exceptions unwind to.  Kicks need no signal: the loop polls
 * exit_request at every block boundary and long REP instructions restart
 * themselves in bounded batches.
 */
#include "accel/accel.h"
#include "accel/tcg/tb.h"
#include "target/x86_64/tcg/x86_tcg.h"

static bool tcg_probe(GError **errp)
{
    (void)errp;
    return true;
}

/* RAM written by a loader or a device: drop the code decoded from it. */
static void tcg_ram_written(void *opaque, uint64_t addr, uint64_t len)
{
    uint64_t first = addr & TCG_PAGE_MASK;

    for (uint64_t page = first; page < addr + len; page += TCG_PAGE_SIZE) {
        tcg_page_invalidate(opaque, page);
    }
}

static bool tcg_init(Machine *m, GError **errp)
{
    MemoryListener l = { .ram_written = tcg_ram_written };

    (void)errp;
    m->accel_state = l.opaque = tcg_pages_new();
    address_space_set_listener(m->memory, &l);
    return true;
}

static void tcg_cleanup(Machine *m)
{
    address_space_set_listener(m->memory, NULL);
    tcg_pages_free(m->accel_state);
    m->accel_state = NULL;
}

static bool tcg_vcpu_init(VCPU *cpu, GError **errp)
{
    (void)errp;
    cpu->accel = x86_tcg_cpu_new(cpu, cpu->machine->accel_state);
    return true;
}

static VCPURunResult tcg_vcpu_run(VCPU *cpu)
{
    X86TCGCPU *env = cpu->accel;

    x86_tcg_run_start(env);
    /* Exceptions raised by guest code come back here and go on below. */
    setjmp(*x86_tcg_jmp_buf(env));
    for (;;) {
        int r;

        if (g_atomic_int_get(&cpu->exit_request)) {
            return VCPU_RUN_KICKED;
        }
        r = x86_tcg_handle_events(env);
        if (r >= 0) {
            return (VCPURunResult)r;
        }
        x86_tcg_exec_block(env);
    }
}

static void tcg_kick(VCPU *cpu)
{
    (void)cpu;
}

static void tcg_vcpu_cleanup(VCPU *cpu)
{
    x86_tcg_cpu_free(cpu->accel);
    cpu->accel = NULL;
}

static bool tcg_get_state(VCPU *cpu, X86CPUState *s, GError **errp)
{
    (void)errp;
    x86_tcg_get_state(cpu->accel, s);
    return true;
}

static bool tcg_set_state(VCPU *cpu, const X86CPUState *s, GError **errp)
{
    (void)errp;
    x86_tcg_set_state(cpu->accel, s);
    return true;
}

static bool tcg_set_single_step(VCPU *cpu, bool enable, GError **errp)
{
    (void)errp;
    x86_tcg_set_single_step(cpu->accel, enable);
    return true;
}

static const AccelOps tcg_accel_ops = {
    .name = "tcg",
    .description = "software x86-64 CPU",
    .flags = 0,
    .probe = tcg_probe,
    .init = tcg_init,
    .cleanup = tcg_cleanup,
    .vcpu_init = tcg_vcpu_init,
    .vcpu_run = tcg_vcpu_run,
    .kick = tcg_kick,
    .vcpu_cleanup = tcg_vcpu_cleanup,
    .get_state = tcg_get_state,
    .set_state = tcg_set_state,
    .set_single_step = tcg_set_single_step,
};

ACCEL_REGISTER(tcg_accel_ops);
