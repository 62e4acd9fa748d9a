/*
 * Intel MultiProcessor Specification 1.4 tables: a floating pointer
 * structure at 0xf0000 (a spot the guest scans) followed by the
 * configuration table: one processor entry per CPU, the ISA bus, the
 * IOAPIC, the ISA interrupt routing and the local interrupts.
 */
#include "core/error.h"
#include "hw/x86/boot_internal.h"

#define MP_SPEC_REV             4       /* 1.4 */
#define MP_FLOAT_SIZE           16
#define MP_CONFIG_HDR_SIZE      44
#define MP_PROC_SIZE            20
#define MP_ENTRY_SIZE           8

#define MP_PROCESSOR            0
#define MP_BUS                  1
#define MP_IOAPIC               2
#define MP_IOINTR               3
#define MP_LINTR                4

#define MP_INT                  0
#define MP_NMI                  1
#define MP_EXTINT               3

#define MP_CPU_ENABLED          (1u << 0)
#define MP_CPU_BSP              (1u << 1)

#define MP_LAPIC_VERSION        0x14
#define MP_IOAPIC_VERSION       0x11
#define MP_IOAPIC_ADDR          0xfec00000u
#define MP_ISA_BUS_ID           0
#define MP_ISA_IRQS             16
#define MP_MAX_CPUS             254     /* APIC IDs 0..253, IOAPIC after */

/* family 6, with FPU and APIC in the CPUID.1 feature flags */
#define MP_CPU_SIGNATURE        0x600
#define MP_CPU_FEATURES         ((1u << 0) | (1u << 9))

static uint8_t mp_checksum(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;

    while (len--) {
        sum += *p++;
    }
    return (uint8_t)-sum;
}

static uint8_t *put_entry(uint8_t *p, uint8_t type, uint8_t a, uint8_t b,
                          uint8_t c, uint8_t d, uint8_t e, uint8_t f,
                          uint8_t g)
{
    const uint8_t entry[MP_ENTRY_SIZE] = { type, a, b, c, d, e, f, g };

    memcpy(p, entry, sizeof(entry));
    return p + MP_ENTRY_SIZE;
}

static uint8_t *put_processors(uint8_t *p, unsigned ncpus)
{
    for (unsigned i = 0; i < ncpus; i++) {
        p[0] = MP_PROCESSOR;
        p[1] = (uint8_t)i;
        p[2] = MP_LAPIC_VERSION;
        p[3] = MP_CPU_ENABLED | (i == 0 ? MP_CPU_BSP : 0);
        boot_st32(p + 4, MP_CPU_SIGNATURE);
        boot_st32(p + 8, MP_CPU_FEATURES);
        p += MP_PROC_SIZE;
    }
    return p;
}

static uint8_t *put_interrupts(uint8_t *p, uint8_t ioapic_id, unsigned *n)
{
    for (unsigned irq = 0; irq < MP_ISA_IRQS; irq++) {
        /* IRQ 0 (the PIT) is wired to pin 2; pin 2 has no IRQ 2. */
        if (irq == 2) {
            continue;
        }
        p = put_entry(p, MP_IOINTR, MP_INT, 0, 0, MP_ISA_BUS_ID, (uint8_t)irq,
                      ioapic_id, irq == 0 ? 2 : (uint8_t)irq);
        (*n)++;
    }
    /* LINT0 ExtINT and LINT1 NMI on every local APIC (0xff). */
    p = put_entry(p, MP_LINTR, MP_EXTINT, 0, 0, MP_ISA_BUS_ID, 0, 0xff, 0);
    p = put_entry(p, MP_LINTR, MP_NMI, 0, 0, MP_ISA_BUS_ID, 0, 0xff, 1);
    *n += 2;
    return p;
}

static size_t build_config_table(uint8_t *table, unsigned ncpus)
{
    uint8_t *p = table + MP_CONFIG_HDR_SIZE;
    uint8_t ioapic_id = (uint8_t)ncpus;
    unsigned n = ncpus + 2;
    size_t len;

    p = put_processors(p, ncpus);
    p = put_entry(p, MP_BUS, MP_ISA_BUS_ID, 'I', 'S', 'A', ' ', ' ', ' ');
    p = put_entry(p, MP_IOAPIC, ioapic_id, MP_IOAPIC_VERSION, 1, 0, 0, 0, 0);
    boot_st32(p - 4, MP_IOAPIC_ADDR);
    p = put_interrupts(p, ioapic_id, &n);
    len = p - table;

    memcpy(table, "PCMP", 4);
    boot_st16(table + 4, (uint16_t)len);
    table[6] = MP_SPEC_REV;
    memcpy(table + 8, "EMU     ", 8);          /* OEM ID */
    memcpy(table + 16, "MICROVM     ", 12);    /* product ID */
    boot_st16(table + 34, (uint16_t)n);
    boot_st32(table + 36, (uint32_t)APIC_DEFAULT_BASE);
    table[7] = mp_checksum(table, len);
    return len;
}

bool x86_mptable_write(AddressSpace *as, unsigned ncpus, GError **errp)
{
    size_t max = MP_FLOAT_SIZE + MP_CONFIG_HDR_SIZE +
                 MP_MAX_CPUS * MP_PROC_SIZE +
                 (2 + MP_ISA_IRQS + 2) * MP_ENTRY_SIZE;
    g_autofree uint8_t *buf = g_malloc0(max);
    uint8_t *fp = buf;
    size_t len;

    if (ncpus == 0 || ncpus > MP_MAX_CPUS) {
        g_set_error(errp, QEMU_ERROR, 0,
                    "MP table: %u CPUs out of range (1-%d)", ncpus,
                    MP_MAX_CPUS);
        return false;
    }
    len = build_config_table(buf + MP_FLOAT_SIZE, ncpus);

    memcpy(fp, "_MP_", 4);
    boot_st32(fp + 4, (uint32_t)(BOOT_MPTABLE_ADDR + MP_FLOAT_SIZE));
    fp[8] = 1;                  /* length in 16-byte units */
    fp[9] = MP_SPEC_REV;
    fp[10] = mp_checksum(fp, MP_FLOAT_SIZE);
    return x86_boot_write(as, BOOT_MPTABLE_ADDR, buf, MP_FLOAT_SIZE + len,
                          "MP table", errp);
}
