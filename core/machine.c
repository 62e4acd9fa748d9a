/*
 * Machine and device lookup, and the requests that end a run.
 */
#include <string.h>

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
    if (m->set_irq) {
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

void machine_request_reset(Machine *m)
{
    if (m->cfg && m->cfg->no_reboot) {
        machine_request_shutdown(m, 0);
        return;
    }
    /*
     * Reboot is not implemented yet: a reset ends the run with status 0
     * as with -no-reboot.  Doing it properly means pausing the vCPUs,
     * calling m->mc->reset and resuming them.
     */
    machine_request_shutdown(m, 0);
}
