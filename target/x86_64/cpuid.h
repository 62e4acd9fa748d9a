/*
 * CPUID models.  A model is a named, fixed description of the CPU the
 * guest sees; both accelerators answer CPUID from it (KVM after filtering
 * it with KVM_GET_SUPPORTED_CPUID, TCG as it is, so it must only advertise
 * what TCG implements).
 */
#ifndef TARGET_X86_64_CPUID_H
#define TARGET_X86_64_CPUID_H

#include <stdbool.h>
#include <stdint.h>

typedef struct X86CPUIDEntry {
    uint32_t leaf, subleaf;
    bool indexed;               /* subleaf matters */
    uint32_t eax, ebx, ecx, edx;
} X86CPUIDEntry;

typedef struct X86CPUModel {
    const char *name;
    const char *description;
    const X86CPUIDEntry *entries;
    unsigned nentries;
} X86CPUModel;

const X86CPUModel *x86_cpu_model_find(const char *name);
const X86CPUModel *x86_cpu_model_default(void);

/* Per-vCPU inputs that fill the model's variable fields. */
typedef struct X86CPUIDContext {
    unsigned apic_id;
    unsigned ncpus;
    uint32_t tsc_khz;           /* leaves 0x15/0x16 */
    uint64_t cr4;               /* OSXSAVE reflection in leaf 1 */
    uint64_t apic_base;         /* APIC enable reflection in leaf 1 */
} X86CPUIDContext;

/* Answers CPUID(LEAF, SUBLEAF) for MODEL; out = {eax, ebx, ecx, edx}. */
void x86_cpuid(const X86CPUModel *model, const X86CPUIDContext *ctx,
               uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

#endif
