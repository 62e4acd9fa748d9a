/*
 * Machine and device lookup, and the requests that end a run.
 */
#include <string.h>

#include "accel/accel.h"
#include "core/error.h"
#include "core/machine.h"
#include "core/main_loop.h"

const MachineClass **machine_list(void)
{
    return (const MachineClass **)registry_sorted(
        (const void *const *)__start_qemu_machine,
        (const void *const *)__stop_qemu_machine, NULL);
}

const DeviceClass **device_list(void)
{
    return (const DeviceClass **)registry_sorted(
        (const void *const *)__start_qemu_device,
        (const void *const *)__stop_qemu_device, NULL);
}

const MachineClass *machine_find(const char *name)
{
    g_autofree const MachineClass **list = machine_list();

    for (const MachineClass **p = list; *p; p++) {
        if (strcmp((*p)->name, name) == 0) {
            return *p;
        }
    }
    return NULL;
}

const DeviceClass *device_find(const char *name)
{
    g_autofree const DeviceClass **list = device_list();

    for (const DeviceClass **p = list; *p; p++) {
        if (strcmp((*p)->name, name) == 0) {
            return *p;
        }
    }
    return NULL;
}

void machine_set_irq(Machine *m, unsigned gsi, bool level)
{
    if (m->accel && (m->accel->flags & ACCEL_IRQCHIP_IN_KERNEL)) {
        m->accel->set_irq(m, gsi, level);
    } else if (m->set_irq) {
        m->set_irq(m, gsi, level);
    }
}

/*
 * The status is recorded by main_loop_quit() (first request wins), which
 * also makes main_loop_quitting() true: vCPU threads test that when they
 * come back from the kick and leave instead of re-entering the guest.
 */
void machine_request_shutdown(Machine *m, int status)
{
    main_loop_quit(status);
    for (unsigned i = 0; m->vcpus && i < m->ncpus; i++) {
        if (m->vcpus[i]) {
            vcpu_kick(m->vcpus[i]);
        }
    }
}

/* On the main thread: the reboot machine_request_reset() scheduled. */
static gboolean machine_reboot(gpointer opaque)
{
    Machine *m = opaque;
    g_autoptr(GError) err = NULL;

    if (main_loop_quitting()) {
        return G_SOURCE_REMOVE;
    }
    vcpus_pause_all(m);
    bql_lock();
    if (m->mc && m->mc->reset && !m->mc->reset(m, &err)) {
        error_report("reboot failed: %s", err->message);
        machine_request_shutdown(m, 1);
    }
    bql_unlock();
    g_atomic_int_set(&m->reset_pending, 0);
    vcpus_resume_all(m);
    return G_SOURCE_REMOVE;
}

void machine_request_reset(Machine *m)
{
    if (m->cfg && m->cfg->no_reboot) {
        machine_request_shutdown(m, 0);
        return;
    }
    if (!g_atomic_int_compare_and_exchange(&m->reset_pending, 0, 1)) {
        return;
    }
    /* Park now, so that no vCPU runs on from a triple fault. */
    vcpus_request_pause(m);
    g_main_context_invoke(main_loop_context(), machine_reboot, m);
}
