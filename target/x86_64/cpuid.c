/*
 * CPUID models.
 *
 * The default model, "emu64", is a GenuineIntel family 6 model 0x3d
 * (Broadwell signature) CPU with only the features the software CPU
 * implements: the baseline of x86-64 (up to SSE2), CMPXCHG16B, POPCNT,
 * LAHF/SAHF in long mode, LZCNT, RDTSCP, NX and SYSCALL.  No SSE3 and up,
 * no AVX/XSAVE, no x2APIC, no TSC deadline timer, no PMU.
 *
 * Topology: every vCPU is a package of its own (one core, one thread), as
 * QEMU's "-smp N" with N sockets: CPUID.1:EDX.HTT is clear, leaf 4 has no
 * cache descriptions (so one core per package) and leaf 0xb is empty.
 *
 * The TSC frequency is enumerated through leaf 0x15 (crystal clock = the
 * 1 GHz LAPIC timer clock, which Linux also uses as the LAPIC timer rate;
 * TSC = crystal * EBX / EAX) and leaf 0x16 (base and maximum frequency in
 * MHz), so Linux needs no PIT or LAPIC calibration.
 *
 * Leaves the model does not list answer as KVM answers for an Intel guest,
 * so that both accelerators agree: a leaf within its range's maximum (leaf
 * 0, 0x40000000 + n * 0x100, 0x80000000, 0xc0000000) but not listed gives
 * zeros; a leaf beyond the maximum of its range, or in a range the model
 * does not have, gives the highest basic leaf's data (for the subleaf
 * asked), as Intel CPUs do.
 */
#include <glib.h>
#include <string.h>

#include "target/x86_64/cpu.h"
#include "target/x86_64/cpuid.h"

#define STR4(a, b, c, d) \
    ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)

/* CPUID.1:EDX */
#define CPUID_1_EDX_FPU     (1u << 0)
#define CPUID_1_EDX_VME     (1u << 1)
#define CPUID_1_EDX_DE      (1u << 2)
#define CPUID_1_EDX_PSE     (1u << 3)
#define CPUID_1_EDX_TSC     (1u << 4)
#define CPUID_1_EDX_MSR     (1u << 5)
#define CPUID_1_EDX_PAE     (1u << 6)
#define CPUID_1_EDX_MCE     (1u << 7)
#define CPUID_1_EDX_CX8     (1u << 8)
#define CPUID_1_EDX_APIC    (1u << 9)
#define CPUID_1_EDX_SEP     (1u << 11)
#define CPUID_1_EDX_MTRR    (1u << 12)
#define CPUID_1_EDX_PGE     (1u << 13)
#define CPUID_1_EDX_MCA     (1u << 14)
#define CPUID_1_EDX_CMOV    (1u << 15)
#define CPUID_1_EDX_PAT     (1u << 16)
#define CPUID_1_EDX_PSE36   (1u << 17)
#define CPUID_1_EDX_CLFLUSH (1u << 19)
#define CPUID_1_EDX_MMX     (1u << 23)
#define CPUID_1_EDX_FXSR    (1u << 24)
#define CPUID_1_EDX_SSE     (1u << 25)
#define CPUID_1_EDX_SSE2    (1u << 26)

/* CPUID.1:ECX */
#define CPUID_1_ECX_CX16        (1u << 13)
#define CPUID_1_ECX_POPCNT      (1u << 23)
#define CPUID_1_ECX_XSAVE       (1u << 26)
#define CPUID_1_ECX_OSXSAVE     (1u << 27)
#define CPUID_1_ECX_HYPERVISOR  (1u << 31)

/* CPUID.80000001H */
#define CPUID_EXT1_EDX_SYSCALL  (1u << 11)
#define CPUID_EXT1_EDX_NX       (1u << 20)
#define CPUID_EXT1_EDX_RDTSCP   (1u << 27)
#define CPUID_EXT1_EDX_LM       (1u << 29)
#define CPUID_EXT1_ECX_LAHF_LM  (1u << 0)
#define CPUID_EXT1_ECX_ABM      (1u << 5)

/* CPUID.80000007H:EDX */
#define CPUID_EXT7_EDX_INVTSC   (1u << 8)

/* Family 6, extended model 3, model 0xd, stepping 4. */
#define EMU64_SIGNATURE 0x000306d4

#define EMU64_1_EDX                                                         \
    (CPUID_1_EDX_FPU | CPUID_1_EDX_VME | CPUID_1_EDX_DE | CPUID_1_EDX_PSE | \
     CPUID_1_EDX_TSC | CPUID_1_EDX_MSR | CPUID_1_EDX_PAE | CPUID_1_EDX_MCE | \
     CPUID_1_EDX_CX8 | CPUID_1_EDX_APIC | CPUID_1_EDX_SEP |                 \
     CPUID_1_EDX_MTRR | CPUID_1_EDX_PGE | CPUID_1_EDX_MCA |                 \
     CPUID_1_EDX_CMOV | CPUID_1_EDX_PAT | CPUID_1_EDX_PSE36 |               \
     CPUID_1_EDX_CLFLUSH | CPUID_1_EDX_MMX | CPUID_1_EDX_FXSR |             \
     CPUID_1_EDX_SSE | CPUID_1_EDX_SSE2)

#define EMU64_1_ECX \
    (CPUID_1_ECX_CX16 | CPUID_1_ECX_POPCNT | CPUID_1_ECX_HYPERVISOR)

static const X86CPUIDEntry emu64_entries[] = {
    { .leaf = 0, .eax = 0x16,
      .ebx = STR4('G', 'e', 'n', 'u'),
      .edx = STR4('i', 'n', 'e', 'I'),
      .ecx = STR4('n', 't', 'e', 'l') },
    /* EBX (APIC ID, CLFLUSH size) is filled in per vCPU. */
    { .leaf = 1, .eax = EMU64_SIGNATURE, .ecx = EMU64_1_ECX,
      .edx = EMU64_1_EDX },
    /* One iteration, no descriptors. */
    { .leaf = 2, .eax = 1 },
    /* No cache descriptions: one core per package. */
    { .leaf = 4, .subleaf = 0, .indexed = true },
    /* Structured extended features: none, no further subleaves. */
    { .leaf = 7, .subleaf = 0, .indexed = true },
    /* No x2APIC topology. */
    { .leaf = 0xb, .subleaf = 0, .indexed = true },
    /* 0x15 and 0x16 are filled in from the TSC frequency. */
    { .leaf = 0x15 },
    { .leaf = 0x16 },

    { .leaf = 0x80000000, .eax = 0x80000008 },
    { .leaf = 0x80000001,
      .ecx = CPUID_EXT1_ECX_LAHF_LM | CPUID_EXT1_ECX_ABM,
      .edx = CPUID_EXT1_EDX_SYSCALL | CPUID_EXT1_EDX_NX |
             CPUID_EXT1_EDX_RDTSCP | CPUID_EXT1_EDX_LM },
    /* Brand string "emu64 virtual CPU", NUL padded to 48 bytes. */
    { .leaf = 0x80000002,
      .eax = STR4('e', 'm', 'u', '6'), .ebx = STR4('4', ' ', 'v', 'i'),
      .ecx = STR4('r', 't', 'u', 'a'), .edx = STR4('l', ' ', 'C', 'P') },
    { .leaf = 0x80000003, .eax = STR4('U', 0, 0, 0) },
    { .leaf = 0x80000004 },
    /* The TSC runs at a constant rate in every power state. */
    { .leaf = 0x80000007, .edx = CPUID_EXT7_EDX_INVTSC },
    /* 40 physical, 48 linear address bits. */
    { .leaf = 0x80000008, .eax = 0x3028 },
};

static const X86CPUModel x86_models[] = {
    {
        .name = "emu64",
        .description = "x86-64 CPU with the features both accelerators implement",
        .entries = emu64_entries,
        .nentries = G_N_ELEMENTS(emu64_entries),
    },
};

const X86CPUModel *x86_cpu_model_find(const char *name)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(x86_models); i++) {
        if (strcmp(x86_models[i].name, name) == 0) {
            return &x86_models[i];
        }
    }
    return NULL;
}

const X86CPUModel *x86_cpu_model_default(void)
{
    return &x86_models[0];
}

static const X86CPUIDEntry *find_entry(const X86CPUModel *model,
                                       uint32_t leaf, uint32_t subleaf)
{
    for (unsigned i = 0; i < model->nentries; i++) {
        const X86CPUIDEntry *e = &model->entries[i];

        if (e->leaf == leaf && (!e->indexed || e->subleaf == subleaf)) {
            return e;
        }
    }
    return NULL;
}

/* Any entry of LEAF, whatever its subleaf (the range maxima are in EAX of all). */
static const X86CPUIDEntry *find_leaf(const X86CPUModel *model, uint32_t leaf)
{
    for (unsigned i = 0; i < model->nentries; i++) {
        if (model->entries[i].leaf == leaf) {
            return &model->entries[i];
        }
    }
    return NULL;
}

/*
 * The entry answering a leaf the model does not list, following KVM's
 * rules for Intel guests (see the top of the file); NULL means zeros.
 * *LEAF becomes the leaf whose variable fields apply.
 */
static const X86CPUIDEntry *out_of_range_entry(const X86CPUModel *model,
                                               uint32_t *leaf,
                                               uint32_t subleaf)
{
    const X86CPUIDEntry *basic = find_leaf(model, 0);
    const X86CPUIDEntry *range;
    uint32_t fn = *leaf;

    if (!basic) {
        return NULL;
    }
    if (fn >= 0x40000000 && fn <= 0x4fffffff) {
        range = find_leaf(model, fn & 0xffffff00);
    } else if (fn >= 0xc0000000) {
        range = find_leaf(model, 0xc0000000);
    } else {
        range = find_leaf(model, fn & 0x80000000);
    }
    if (range && fn <= range->eax) {
        return NULL;
    }
    *leaf = basic->eax;
    return find_entry(model, basic->eax, subleaf);
}

/* Brute force over the denominators: a few thousand steps, once per vCPU. */
void x86_tsc_ratio(uint32_t tsc_khz, uint32_t crystal_khz,
                       uint32_t *num, uint32_t *den)
{
    uint64_t max_num = crystal_khz ? UINT32_MAX / crystal_khz : 0;
    uint64_t best_err = 0, best_den = 0;

    *num = 0;
    *den = 0;
    for (uint64_t q = 1; tsc_khz && q <= 1000000; q++) {
        uint64_t p = (tsc_khz * q + crystal_khz / 2) / crystal_khz;
        /* |p / q - tsc / crystal| = err / (q * crystal) */
        uint64_t err = p * crystal_khz > tsc_khz * q ? p * crystal_khz - tsc_khz * q
                                                     : tsc_khz * q - p * crystal_khz;

        if (p > max_num) {
            break;
        }
        if (p && (!best_den || err * best_den < best_err * q)) {
            *num = (uint32_t)p;
            *den = (uint32_t)q;
            best_err = err;
            best_den = q;
            if (!err) {
                break;
            }
        }
    }
}

/* Leaf 0x15: TSC = crystal * EBX / EAX, the crystal being the LAPIC clock. */
static void fill_tsc_leaf(uint32_t tsc_khz, uint32_t out[4])
{
    uint32_t num, den;

    x86_tsc_ratio(tsc_khz, X86_APIC_BUS_KHZ, &num, &den);
    if (!num || !den) {
        memset(out, 0, 4 * sizeof(out[0]));
        return;
    }
    out[0] = den;
    out[1] = num;
    out[2] = X86_APIC_BUS_KHZ * 1000;
    out[3] = 0;
}

static void fill_variable_fields(const X86CPUIDContext *ctx, uint32_t leaf,
                                 uint32_t out[4])
{
    switch (leaf) {
    case 1:
        /* APIC ID, one logical processor per package, CLFLUSH 8 * 8 bytes. */
        out[1] = (ctx->apic_id & 0xff) << 24 | 1u << 16 | 8u << 8;
        if ((out[2] & CPUID_1_ECX_XSAVE) && (ctx->cr4 & X86_CR4_OSXSAVE)) {
            out[2] |= CPUID_1_ECX_OSXSAVE;
        }
        if (!(ctx->apic_base & MSR_APICBASE_ENABLE)) {
            out[3] &= ~CPUID_1_EDX_APIC;
        }
        break;
    case 0x15:
        fill_tsc_leaf(ctx->tsc_khz, out);
        break;
    case 0x16:
        out[0] = out[1] = ctx->tsc_khz / 1000;
        out[2] = out[3] = 0;
        break;
    default:
        break;
    }
}

void x86_cpuid(const X86CPUModel *model, const X86CPUIDContext *ctx,
               uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
    const X86CPUIDEntry *e = find_entry(model, leaf, subleaf);

    if (!e) {
        e = out_of_range_entry(model, &leaf, subleaf);
    }
    if (!e) {
        memset(out, 0, 4 * sizeof(out[0]));
        return;
    }
    out[0] = e->eax;
    out[1] = e->ebx;
    out[2] = e->ecx;
    out[3] = e->edx;
    fill_variable_fields(ctx, leaf, out);
}
