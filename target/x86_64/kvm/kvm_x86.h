/*
 * The x86 side of KVM: VM setup (TSS, in-kernel interrupt controllers and
 * PIT, GSI routing), a vCPU's CPUID and MP state, the transfer of
 * registers, MSRs and events to and from X86CPUState, and the diagnostic
 * dump of a vCPU that failed.  Used by accel/kvm only.
 */
#ifndef TARGET_X86_64_KVM_KVM_X86_H
#define TARGET_X86_64_KVM_KVM_X86_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/memory.h"
#include "target/x86_64/cpu.h"

/* Where KVM puts its private pages: just below the top of the 4 GiB hole. */
#define KVM_X86_TSS_ADDR            0xfffbd000u
#define KVM_X86_IDENTITY_MAP_ADDR   0xfffbc000u

typedef struct KVMX86CPU {
    int fd;                     /* the vCPU's fd (owned by accel/kvm) */
    unsigned index;             /* vCPU id == APIC ID */
    bool has_tsc_aux;           /* the host has MSR_TSC_AUX */
    bool has_xsave;             /* x87/SSE through KVM_GET/SET_XSAVE */
    uint32_t mp_state;          /* KVM's mp_state, last read or written */
} KVMX86CPU;

/*
 * TSS and identity-map pages, in-kernel PIC/IOAPIC/LAPIC, PIT and PC GSI
 * routing (see kvm_x86_gsi_routing).
 */
bool kvm_x86_vm_init(int vm_fd, GError **errp);

/*
 * Sets up vCPU INDEX of NCPUS (fd VCPU_FD) in C: its CPUID from the default
 * model filtered by what KVM_FD supports, and, for an AP, the wait for
 * INIT and SIPI.
 */
bool kvm_x86_vcpu_init(KVMX86CPU *c, int kvm_fd, int vcpu_fd, unsigned index,
                       unsigned ncpus, GError **errp);

bool kvm_x86_get_state(KVMX86CPU *c, X86CPUState *s, GError **errp);
bool kvm_x86_set_state(KVMX86CPU *c, const X86CPUState *s, GError **errp);

bool kvm_x86_set_single_step(KVMX86CPU *c, bool enable, GError **errp);

/*
 * Prints the vCPU's registers, control registers, main segments and the
 * code bytes at RIP (when they are in RAM) with error_report().
 */
void kvm_x86_dump_state(KVMX86CPU *c, AddressSpace *mem);

#endif
