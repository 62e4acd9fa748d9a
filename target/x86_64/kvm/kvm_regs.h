/*
 * Pure conversions between KVM's x86 register structures and the common
 * X86CPUState.  No ioctl here: everything is testable without /dev/kvm.
 *
 * The *_from_x86 functions fill only the fields X86CPUState describes and
 * leave the rest of the KVM structure alone, so callers that must preserve
 * KVM-only state (pending interrupt bitmap in sregs, injected events)
 * start from what KVM_GET_* returned.
 */
#ifndef TARGET_X86_64_KVM_KVM_REGS_H
#define TARGET_X86_64_KVM_KVM_REGS_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include "target/x86_64/cpu.h"

void kvm_regs_from_x86(struct kvm_regs *k, const X86CPUState *s);
void kvm_regs_to_x86(X86CPUState *s, const struct kvm_regs *k);

/*
 * Segments: KVM's "unusable" is the attribute word's P bit inverted (a
 * null selector in 64-bit mode is an unusable, not-present segment).
 */
void kvm_segment_from_x86(struct kvm_segment *k, const X86Segment *seg);
void kvm_segment_to_x86(X86Segment *seg, const struct kvm_segment *k);

/* Segments, descriptor tables, CR0-CR4, CR8, EFER and the APIC base. */
void kvm_sregs_from_x86(struct kvm_sregs *k, const X86CPUState *s);
void kvm_sregs_to_x86(X86CPUState *s, const struct kvm_sregs *k);

/*
 * x87 and SSE.  kvm_fpu holds the x87 registers in FXSAVE's stack order
 * (ST0 first); X86CPUState in physical order (R0 first): ST(i) is
 * R((TOP + i) mod 8) with TOP from FSW bits 13:11.
 */
void kvm_fpu_from_x86(struct kvm_fpu *k, const X86CPUState *s);
void kvm_fpu_to_x86(X86CPUState *s, const struct kvm_fpu *k);

/*
 * The same state in KVM_GET/SET_XSAVE's buffer: FXSAVE's layout in the
 * legacy region (which, unlike kvm_fpu on KVM_SET_FPU, carries MXCSR),
 * with the x87 and SSE bits set in XSTATE_BV.  Other components and
 * MXCSR_MASK are left as they are.
 */
void kvm_xsave_from_x86(struct kvm_xsave *k, const X86CPUState *s);
void kvm_xsave_to_x86(X86CPUState *s, const struct kvm_xsave *k);

void kvm_debugregs_from_x86(struct kvm_debugregs *k, const X86CPUState *s);
void kvm_debugregs_to_x86(X86CPUState *s, const struct kvm_debugregs *k);

/*
 * The MSRs of X86CPUState that KVM_GET/SET_MSRS carry (EFER and the APIC
 * base travel in sregs, FS/GS base in the segments).  TSC_AUX only when
 * the host supports it.
 */
#define KVM_X86_MAX_MSRS 16
unsigned kvm_msr_indices(uint32_t *indices, bool with_tsc_aux);
/* Fills ENTRIES (KVM_X86_MAX_MSRS of them) and returns how many. */
unsigned kvm_msrs_from_x86(struct kvm_msr_entry *entries,
                           const X86CPUState *s, bool with_tsc_aux);
/* Copies the values of the entries it knows; false if one is unknown. */
bool kvm_msrs_to_x86(X86CPUState *s, const struct kvm_msr_entry *entries,
                     unsigned n);

/*
 * KVM's mp_state for X86_MP_WAIT_SIPI is INIT_RECEIVED if the vCPU had
 * already received its INIT (PREV, the value last read from KVM), else
 * UNINITIALIZED (an AP after reset, which KVM starts only after INIT and
 * SIPI).
 */
uint32_t kvm_mp_state_from_x86(X86MPState state, uint32_t prev);
X86MPState kvm_mp_state_to_x86(uint32_t kvm_state);

/* Interrupt shadow and SIPI vector; sets the matching KVM_VCPUEVENT_VALID_* flags. */
void kvm_events_from_x86(struct kvm_vcpu_events *k, const X86CPUState *s);
void kvm_events_to_x86(X86CPUState *s, const struct kvm_vcpu_events *k);

#endif
