/*
 * The KVM accelerator.  It registers its AccelOps ("kvm") itself; this
 * header only adds what the AccelOps cannot say.
 *
 * Kicks: a vCPU thread runs KVM_RUN with SIGUSR1 unblocked and a no-op
 * handler installed without SA_RESTART.  kick() sets kvm_run's
 * immediate_exit, then sends SIGUSR1 to the vCPU thread.  vcpu_run clears
 * immediate_exit and only then reads exit_request before each KVM_RUN;
 * the kick writes exit_request before immediate_exit (both sequentially
 * consistent), so either the vCPU sees exit_request, or immediate_exit is
 * still set when KVM_RUN starts (KVM returns EINTR at once), or KVM_RUN
 * had already started and the signal makes it return EINTR.
 *
 * Single-stepping: with set_single_step enabled each guest instruction
 * ends in a debug exit, on which vcpu_run returns VCPU_RUN_KICKED and
 * records it for kvm_vcpu_take_debug_exit().
 */
#ifndef ACCEL_KVM_KVM_H
#define ACCEL_KVM_KVM_H

#include <stdbool.h>

#include "core/vcpu.h"

/* Whether CPU's last VCPU_RUN_KICKED came from a debug exit; clears it. */
bool kvm_vcpu_take_debug_exit(VCPU *cpu);

#endif
