/*
 * The vCPU manager.  It owns one thread per vCPU and everything that is the
 * same for every accelerator: start, pause/resume of all vCPUs, kick,
 * waiting in halt until an interrupt arrives, and orderly shutdown.  The
 * accelerator only supplies the loop body (AccelOps.vcpu_run), which runs
 * guest code until it has to return to the manager.
 */
#ifndef CORE_VCPU_H
#define CORE_VCPU_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct Machine Machine;

typedef struct VCPU {
    Machine *machine;
    unsigned index;             /* 0 is the bootstrap processor; also the APIC ID */
    GThread *thread;
    void *accel;                /* the accelerator's per-vCPU state */
    void *intc;                 /* userspace LAPIC model, when there is one */

    /*
     * Set by the manager (with the accelerator's kick) when the vCPU must
     * come back from vcpu_run: pause, stop.  The accelerator's loop polls it
     * (TCG at block boundaries; KVM through immediate_exit and a signal).
     */
    volatile int exit_request;
    /* Set when an interrupt may be deliverable (wakes a halted vCPU). */
    volatile int interrupt_request;

    /* Manager-private below. */
    GMutex lock;
    GCond cond;
    bool paused;                /* parked in the manager */
    bool halted;
    bool stopped;

    /* Added by core/vcpu.c (manager-private): vcpus_pause_all() asked it to park. */
    bool pause_requested;
} VCPU;

/*
 * Allocates m->ncpus VCPUs and calls the accelerator's vcpu_init for each
 * (no thread yet).  Done before the machine's init so that per-vCPU device
 * models (LAPICs) can find their vCPU.
 */
bool vcpus_create(Machine *m, GError **errp);
/* Starts one thread per vCPU; with START_PAUSED they park first (-S). */
bool vcpus_start(Machine *m, bool start_paused, GError **errp);
/* Asks every vCPU to park, without waiting; safe from any thread. */
void vcpus_request_pause(Machine *m);
/* Returns once every vCPU is parked outside vcpu_run. */
void vcpus_pause_all(Machine *m);
void vcpus_resume_all(Machine *m);
/* Asks every vCPU to leave and joins the threads. */
void vcpus_stop_all(Machine *m);

/* Makes CPU return to the manager promptly; safe from any thread. */
void vcpu_kick(VCPU *cpu);
/* An interrupt was raised for CPU: wake it from halt, kick it if running. */
void vcpu_interrupt(VCPU *cpu);

/* The vCPU the calling thread runs, or NULL on other threads. */
VCPU *vcpu_current(void);

/* Added by core/vcpu.c: frees the VCPUs once vcpus_stop_all() has run. */
void vcpus_free(Machine *m);

#endif
