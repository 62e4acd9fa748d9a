/*
 * The vCPU manager: one thread per vCPU running the accelerator's
 * vcpu_run in a loop, with pause/resume, halt and stop handled here for
 * every accelerator alike.
 *
 * Protocol with the accelerator:
 * - exit_request is cleared by the manager just before it decides to
 *   (re-)enter vcpu_run; vcpu_run must return VCPU_RUN_KICKED promptly once
 *   it sees it set, and must test it before each entry into the guest.
 *   Every request (pause, stop, shutdown) is recorded before exit_request
 *   is set, and the manager tests the requests after clearing it, so no
 *   request is lost between the two.
 * - interrupt_request is set by vcpu_interrupt() and cleared by the
 *   accelerator when it examines its interrupt sources; a vCPU halted in
 *   the manager waits until either flag is set.  An accelerator that keeps
 *   it set while returning VCPU_RUN_HALT would spin.
 * - The accelerator remembers that the guest is halted (mp_state): after a
 *   pause, vcpu_run is called again and must return VCPU_RUN_HALT at once
 *   if nothing is pending.
 *
 * Lock order: BQL, then a vCPU's lock.  Waiting for vCPUs (pause, stop)
 * drops the BQL, since a vCPU may need it to finish an I/O callback.
 */
#include "accel/accel.h"
#include "core/error.h"
#include "core/main_loop.h"
#include "core/vcpu.h"

static __thread VCPU *current_vcpu;

VCPU *vcpu_current(void)
{
    return current_vcpu;
}

static void vcpu_destroy(VCPU *cpu)
{
    g_mutex_clear(&cpu->lock);
    g_cond_clear(&cpu->cond);
    g_free(cpu);
}

bool vcpus_create(Machine *m, GError **errp)
{
    const AccelOps *ops = m->accel;

    if (!ops || !ops->vcpu_run || m->ncpus == 0) {
        g_set_error(errp, QEMU_ERROR, 0,
                    "cannot create vCPUs without an accelerator");
        return false;
    }
    m->vcpus = g_new0(VCPU *, m->ncpus);
    for (unsigned i = 0; i < m->ncpus; i++) {
        VCPU *cpu = g_new0(VCPU, 1);

        cpu->machine = m;
        cpu->index = i;
        g_mutex_init(&cpu->lock);
        g_cond_init(&cpu->cond);
        if (ops->vcpu_init && !ops->vcpu_init(cpu, errp)) {
            vcpu_destroy(cpu);
            for (unsigned j = 0; j < i; j++) {
                if (ops->vcpu_cleanup) {
                    ops->vcpu_cleanup(m->vcpus[j]);
                }
                vcpu_destroy(m->vcpus[j]);
            }
            g_clear_pointer(&m->vcpus, g_free);
            return false;
        }
        m->vcpus[i] = cpu;
    }
    return true;
}

/*
 * Parks while a pause is requested.  Returns false when the vCPU must
 * leave (stopped, or the machine is shutting down).
 */
static bool vcpu_wait_runnable(VCPU *cpu)
{
    bool run;

    g_mutex_lock(&cpu->lock);
    for (;;) {
        g_atomic_int_set(&cpu->exit_request, 0);
        if (cpu->stopped || main_loop_quitting()) {
            run = false;
            break;
        }
        if (!cpu->pause_requested) {
            run = true;
            break;
        }
        if (!cpu->paused) {
            cpu->paused = true;
            g_cond_broadcast(&cpu->cond);
        }
        g_cond_wait(&cpu->cond, &cpu->lock);
    }
    cpu->paused = false;
    g_mutex_unlock(&cpu->lock);
    return run;
}

static void vcpu_wait_halt(VCPU *cpu)
{
    g_mutex_lock(&cpu->lock);
    cpu->halted = true;
    while (!g_atomic_int_get(&cpu->interrupt_request) &&
           !g_atomic_int_get(&cpu->exit_request)) {
        g_cond_wait(&cpu->cond, &cpu->lock);
    }
    cpu->halted = false;
    g_mutex_unlock(&cpu->lock);
}

static gpointer vcpu_thread(gpointer opaque)
{
    VCPU *cpu = opaque;
    Machine *m = cpu->machine;
    bool running = true;

    current_vcpu = cpu;
    while (running && vcpu_wait_runnable(cpu)) {
        switch (m->accel->vcpu_run(cpu)) {
        case VCPU_RUN_KICKED:
            break;
        case VCPU_RUN_HALT:
            vcpu_wait_halt(cpu);
            break;
        case VCPU_RUN_ERROR:
            if (!main_loop_quitting()) {
                machine_request_shutdown(m, 1);
            }
            running = false;
            break;
        case VCPU_RUN_SHUTDOWN:
        default:
            /*
             * A shutdown ends the thread.  Otherwise it is a reset (normally
             * requested already; the request is idempotent): the request
             * parks every vCPU until the main thread has reset the machine.
             */
            if (main_loop_quitting()) {
                running = false;
            } else {
                machine_request_reset(m);
            }
            break;
        }
    }
    g_mutex_lock(&cpu->lock);
    cpu->stopped = true;
    g_cond_broadcast(&cpu->cond);
    g_mutex_unlock(&cpu->lock);
    current_vcpu = NULL;
    return NULL;
}

bool vcpus_start(Machine *m, bool start_paused, GError **errp)
{
    for (unsigned i = 0; i < m->ncpus; i++) {
        VCPU *cpu = m->vcpus[i];
        g_autofree char *name = g_strdup_printf("vcpu %u", i);

        cpu->pause_requested = start_paused;
        cpu->thread = g_thread_try_new(name, vcpu_thread, cpu, errp);
        if (!cpu->thread) {
            g_prefix_error(errp, "cannot start vCPU %u: ", i);
            return false;
        }
    }
    return true;
}

/* Drops the BQL around waiting for vCPUs; returns whether it was held. */
static bool bql_release(void)
{
    bool held = bql_locked();

    if (held) {
        bql_unlock();
    }
    return held;
}

void vcpus_request_pause(Machine *m)
{
    for (unsigned i = 0; i < m->ncpus; i++) {
        VCPU *cpu = m->vcpus[i];

        g_mutex_lock(&cpu->lock);
        cpu->pause_requested = true;
        g_mutex_unlock(&cpu->lock);
        vcpu_kick(cpu);
    }
}

void vcpus_pause_all(Machine *m)
{
    bool held;

    g_assert(!vcpu_current());
    vcpus_request_pause(m);
    held = bql_release();
    for (unsigned i = 0; i < m->ncpus; i++) {
        VCPU *cpu = m->vcpus[i];

        g_mutex_lock(&cpu->lock);
        while (cpu->thread && !cpu->paused && !cpu->stopped) {
            g_cond_wait(&cpu->cond, &cpu->lock);
        }
        g_mutex_unlock(&cpu->lock);
    }
    if (held) {
        bql_lock();
    }
}

void vcpus_resume_all(Machine *m)
{
    for (unsigned i = 0; i < m->ncpus; i++) {
        VCPU *cpu = m->vcpus[i];

        g_mutex_lock(&cpu->lock);
        cpu->pause_requested = false;
        g_cond_broadcast(&cpu->cond);
        g_mutex_unlock(&cpu->lock);
    }
}

/*
 * From a thread that is not a vCPU's.  vcpu_cleanup runs for each vCPU
 * with accelerator state (cpu->accel set), once: calling this again is
 * harmless.
 */
void vcpus_stop_all(Machine *m)
{
    const AccelOps *ops = m->accel;
    bool held;

    g_assert(!vcpu_current());
    for (unsigned i = 0; m->vcpus && i < m->ncpus; i++) {
        VCPU *cpu = m->vcpus[i];

        g_mutex_lock(&cpu->lock);
        cpu->stopped = true;
        g_mutex_unlock(&cpu->lock);
        vcpu_kick(cpu);
    }
    held = bql_release();
    for (unsigned i = 0; m->vcpus && i < m->ncpus; i++) {
        VCPU *cpu = m->vcpus[i];

        if (cpu->thread) {
            g_thread_join(cpu->thread);
            cpu->thread = NULL;
        }
        if (cpu->accel && ops->vcpu_cleanup) {
            ops->vcpu_cleanup(cpu);
        }
        cpu->accel = NULL;
    }
    if (held) {
        bql_lock();
    }
}

void vcpus_free(Machine *m)
{
    for (unsigned i = 0; m->vcpus && i < m->ncpus; i++) {
        g_assert(!m->vcpus[i]->thread);
        vcpu_destroy(m->vcpus[i]);
    }
    g_clear_pointer(&m->vcpus, g_free);
}

void vcpu_kick(VCPU *cpu)
{
    const AccelOps *ops = cpu->machine->accel;

    g_atomic_int_set(&cpu->exit_request, 1);
    if (ops && ops->kick) {
        ops->kick(cpu);
    }
    g_mutex_lock(&cpu->lock);
    g_cond_broadcast(&cpu->cond);
    g_mutex_unlock(&cpu->lock);
}

/*
 * The accelerator's kick makes a running vCPU look at interrupt_request
 * (KVM leaves KVM_RUN to inject it); TCG tests interrupt_request at block
 * boundaries anyway, so its kick may do nothing here.  exit_request stays
 * clear: the vCPU need not come back to the manager.
 */
void vcpu_interrupt(VCPU *cpu)
{
    const AccelOps *ops = cpu->machine->accel;

    g_atomic_int_set(&cpu->interrupt_request, 1);
    g_mutex_lock(&cpu->lock);
    g_cond_broadcast(&cpu->cond);
    g_mutex_unlock(&cpu->lock);
    if (ops && ops->kick) {
        ops->kick(cpu);
    }
}
