/*
 * The accelerator interface.  Each accelerator is a static library that
 * registers one AccelOps in the `qemu_accel` section; the core never names
 * an accelerator.  The vCPU manager (core/vcpu.c) owns the threads and
 * calls vcpu_run in a loop: the hot loop lives inside the accelerator, so
 * nothing hot crosses this boundary.
 */
#ifndef ACCEL_ACCEL_H
#define ACCEL_ACCEL_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/machine.h"
#include "core/registry.h"
#include "core/vcpu.h"
#include "target/x86_64/cpu.h"

typedef enum VCPURunResult {
    VCPU_RUN_KICKED,    /* exit_request was seen: the manager decides what next */
    VCPU_RUN_HALT,      /* HLT with nothing pending: wait for vcpu_interrupt() */
    VCPU_RUN_SHUTDOWN,  /* the machine was asked to shut down or reset */
    VCPU_RUN_ERROR,     /* fatal: a diagnostic was printed, exit non-zero */
} VCPURunResult;

enum {
    /* PIC, IOAPIC, LAPIC and PIT are the accelerator's (KVM's in-kernel ones). */
    ACCEL_IRQCHIP_IN_KERNEL = 1u << 0,
};

typedef struct AccelOps {
    const char *name;
    const char *description;
    unsigned flags;

    /* Is it usable on this host?  False with the precise reason if not. */
    bool (*probe)(GError **errp);

    /* Called after the machine's memory exists, before its devices are wired. */
    bool (*init)(Machine *m, GError **errp);
    void (*cleanup)(Machine *m);

    /* On the manager's thread, before the vCPU thread starts. */
    bool (*vcpu_init)(VCPU *cpu, GError **errp);
    /* On the vCPU thread: runs guest code until it must return. */
    VCPURunResult (*vcpu_run)(VCPU *cpu);
    /*
     * Any thread: make vcpu_run look at the vCPU's flags promptly: after
     * vcpu_kick() exit_request is set and it must return; after
     * vcpu_interrupt() only interrupt_request is, and it may go on.
     */
    void (*kick)(VCPU *cpu);
    void (*vcpu_cleanup)(VCPU *cpu);

    /* Only while CPU is outside vcpu_run (paused, or on its own thread). */
    bool (*get_state)(VCPU *cpu, X86CPUState *s, GError **errp);
    bool (*set_state)(VCPU *cpu, const X86CPUState *s, GError **errp);

    /* With ACCEL_IRQCHIP_IN_KERNEL: drive a GSI of the in-kernel controllers. */
    void (*set_irq)(Machine *m, unsigned gsi, bool level);

    /* Guest-debug hooks; NULL where unsupported. */
    bool (*set_single_step)(VCPU *cpu, bool enable, GError **errp);
} AccelOps;

QEMU_REGISTRY_DECLARE(qemu_accel, AccelOps);
#define ACCEL_REGISTER(ops) QEMU_REGISTER(qemu_accel, AccelOps, ops)

/* Linked accelerators sorted by name, NULL-terminated; caller g_free()s. */
const AccelOps **accel_list(void);
const AccelOps *accel_find(const char *name);

#endif
