/*
 * Minimal ACPI tables for the microvm machine.  Linux kernels built
 * without CONFIG_X86_MPPARSE find their CPUs and the IOAPIC only through
 * the MADT, and power off through \_S5 and the FADT's PM1a control block.
 *
 * The tables live in the reserved BIOS area at ACPI_TABLES_ADDR:
 *
 *   RSDP (ACPI 2.0+, 36 bytes) at ACPI_RSDP_ADDR, found by the guest's scan
 *        of 0xe0000-0xfffff on 16-byte boundaries, or directly through
 *        boot_params.acpi_rsdp_addr (zero page offset 0x070)
 *   FACS     64 bytes, 64-byte aligned, referenced by the FADT
 *   DSDT     a tiny AML body: Name (_S5, Package { SLP_TYP... })
 *   FADT     revision 6; classic (not hardware-reduced): PM1a event and
 *            control blocks, PM timer, SCI on IRQ 9, reset register 0xcf9
 *            (hw/acpi/pm.h), 8042 present, no VGA
 *   MADT     one enabled LAPIC per CPU (APIC IDs 0..ncpus-1), the IOAPIC
 *            (ID ncpus, GSI base 0), IRQ0 -> GSI 2 and IRQ 9 (SCI, level,
 *            active high) overrides, LAPIC NMI on LINT1 for all CPUs
 *   XSDT     FADT and MADT (64-bit pointers)
 *   RSDT     the same with 32-bit pointers, for ACPI 1.0 readers
 */
#ifndef HW_ACPI_ACPI_H
#define HW_ACPI_ACPI_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/memory.h"

#define ACPI_TABLES_ADDR        0xe0000ull
#define ACPI_TABLES_SIZE        0x10000ull
#define ACPI_RSDP_ADDR          ACPI_TABLES_ADDR

/* struct boot_params.acpi_rsdp_addr (8 bytes) */
#define ACPI_ZERO_PAGE_RSDP_OFFSET 0x070

#define ACPI_IOAPIC_ADDR        0xfec00000u
#define ACPI_LAPIC_ADDR         0xfee00000u

/*
 * xAPIC IDs are 8 bits and 0xff is the broadcast ID: APIC IDs 0..254.  The
 * IOAPIC's ID (ncpus, at most 255) is in its own name space.
 */
#define ACPI_MAX_CPUS           255

/*
 * Writes the tables for NCPUS processors into AS (RAM must back
 * ACPI_TABLES_ADDR..+ACPI_TABLES_SIZE).  If ZERO_PAGE is not 0, also
 * stores the RSDP's address in that boot_params.
 */
bool acpi_build(AddressSpace *as, unsigned ncpus, uint64_t zero_page,
                GError **errp);

#endif
