/*
 * Pure builders for the x86 parts of a KVM VM's setup: the CPUID table a
 * vCPU gets and the GSI routing of the in-kernel interrupt controllers.
 * Testable without /dev/kvm.
 */
#ifndef TARGET_X86_64_KVM_KVM_SETUP_H
#define TARGET_X86_64_KVM_KVM_SETUP_H

#include <linux/kvm.h>
#include <stdint.h>

#include "target/x86_64/cpuid.h"

/*
 * The CPUID table for one vCPU (g_free it): MODEL's entries answered for
 * CTX, feature bits ANDed with SUPPORTED (KVM_GET_SUPPORTED_CPUID), the
 * physical address width capped at the host's.
 */
struct kvm_cpuid2 *kvm_x86_build_cpuid(const X86CPUModel *model,
                                       const X86CPUIDContext *ctx,
                                       const struct kvm_cpuid2 *supported);

/*
 * PC routing, as on real hardware with an MP table: ISA IRQs 0-15 reach
 * the 8259 pair (IRQ 2 is the cascade, so GSI 2 reaches nothing) and the
 * IOAPIC pins of the same number, except IRQ 0 (the PIT) which reaches
 * IOAPIC pin 2; GSIs 16-23 reach IOAPIC pins 16-23.  Returns a table for
 * KVM_SET_GSI_ROUTING (g_free it).
 */
struct kvm_irq_routing *kvm_x86_gsi_routing(void);

#endif
