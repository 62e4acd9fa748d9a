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

/*
 * The LAPIC timer's input clock: 1 GHz for KVM's in-kernel LAPIC and for
 * hw/intc's.  Leaf 0x15 reports it as the crystal, because Linux takes the
 * crystal frequency as the LAPIC timer frequency.
 */
#define X86_APIC_BUS_KHZ 1000000u

/*
 * NUM/DEN closest to TSC_KHZ/CRYSTAL_KHZ with CRYSTAL_KHZ * NUM fitting
 * 32 bits (Linux computes crystal_khz * EBX / EAX in 32 bits) and DEN at
 * most 10^6; 0/0 if TSC_KHZ is 0.  With a 1 GHz crystal NUM is at most
 * 4294, so the TSC frequency Linux derives can be off by up to a few tens
 * of ppm (0.8 ppm for 2499998 kHz).
 */
void x86_tsc_ratio(uint32_t tsc_khz, uint32_t crystal_khz,
                   uint32_t *num, uint32_t *den);

/* Answers CPUID(LEAF, SUBLEAF) for MODEL; out = {eax, ebx, ecx, edx}. */
void x86_cpuid(const X86CPUModel *model, const X86CPUIDContext *ctx,
               uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

#endif
