/*
 * The boot contract (ARCHITECTURE.md): load a Linux bzImage or an ELF64
 * executable, the initrd and the command line into guest RAM and build the
 * state the 64-bit boot protocol enters with: long mode, the low 4 GiB
 * identity-mapped, flat code segment 0x10 and data segments 0x18,
 * interrupts off, RSI = zero page (struct boot_params with e820 map,
 * command line and initrd).
 */
#ifndef HW_X86_BOOT_H
#define HW_X86_BOOT_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/memory.h"
#include "target/x86_64/cpu.h"

typedef struct X86E820Entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;              /* 1 RAM, 2 reserved */
} X86E820Entry;

typedef struct X86BootConfig {
    const char *kernel;         /* path; bzImage or ELF64 */
    const char *initrd;         /* path or NULL */
    const char *cmdline;        /* or NULL */
    uint64_t ram_below_4g;      /* RAM [0, ram_below_4g) */
    uint64_t ram_above_4g;      /* RAM [4 GiB, 4 GiB + ram_above_4g) */
    const X86E820Entry *extra_e820;   /* reserved ranges to add (MMIO, LAPIC...) */
    unsigned n_extra_e820;
} X86BootConfig;

/*
 * Loads everything into AS (guest-physical memory) and fills BSP with the
 * entry state.  Bad images fail with a one-line reason: not a kernel,
 * protocol too old, no 64-bit entry, truncated, segments outside RAM,
 * initrd too large.
 */
bool x86_boot_load(AddressSpace *as, const X86BootConfig *cfg,
                   X86CPUState *bsp, GError **errp);

/* The same from in-memory images (used by tests and fuzzing). */
bool x86_boot_load_images(AddressSpace *as, const X86BootConfig *cfg,
                          const void *kernel, size_t kernel_size,
                          const void *initrd, size_t initrd_size,
                          X86CPUState *bsp, GError **errp);

/*
 * Writes an Intel MP table (floating pointer + configuration table with
 * NCPUS processors, the ISA bus and the IOAPIC) into the BIOS area below
 * 1 MiB so that the guest finds its CPUs.
 */
bool x86_mptable_write(AddressSpace *as, unsigned ncpus, GError **errp);

#endif
