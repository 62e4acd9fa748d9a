/*
 * ACPI table builder (see acpi.h).  Tables are laid out one after the
 * other in a host buffer standing for [ACPI_TABLES_ADDR, +SIZE), every
 * table 16-byte aligned, then copied into guest RAM in one go.
 */
#include "hw/acpi/acpi.h"

#include <string.h>

#include "core/error.h"
#include "hw/acpi/pm.h"

#define ACPI_OEM_ID         "EMU   "       /* 6 bytes */
#define ACPI_OEM_TABLE_ID   "MICROVM "     /* 8 bytes */
#define ACPI_OEM_REVISION   1
#define ACPI_CREATOR_ID     "EMU "         /* 4 bytes */
#define ACPI_CREATOR_REV    1

#define SDT_HEADER_LEN      36
#define SDT_CHECKSUM_OFF    9

#define RSDP_V1_LEN         20
#define RSDP_LEN            36
#define FACS_LEN            64
#define FADT_LEN            276             /* revision 6 */
#define FADT_REVISION       6

/* Generic Address Structure */
#define GAS_LEN             12
#define GAS_SPACE_IO        1
#define GAS_ACCESS_BYTE     1
#define GAS_ACCESS_WORD     2
#define GAS_ACCESS_DWORD    3

/* FADT flags */
#define FADT_F_WBINVD           (1u << 0)
#define FADT_F_PROC_C1          (1u << 2)
#define FADT_F_PWR_BUTTON       (1u << 4)   /* no fixed power button */
#define FADT_F_SLP_BUTTON       (1u << 5)   /* no fixed sleep button */
#define FADT_F_RESET_REG_SUP    (1u << 10)

/* FADT IAPC_BOOT_ARCH */
#define FADT_BOOT_LEGACY_DEVICES (1u << 0)  /* serial, RTC... not in the DSDT */
#define FADT_BOOT_8042          (1u << 1)
#define FADT_BOOT_NO_VGA        (1u << 2)

/* P_LVL2_LAT > 100 and P_LVL3_LAT > 1000 mean "no C2 / C3". */
#define FADT_NO_C2_LATENCY      0x0fff
#define FADT_NO_C3_LATENCY      0x0fff

/* CMOS index of the RTC's century register (RTC_CENTURY in hw/timer/rtc.h) */
#define FADT_CENTURY_INDEX      0x32

/* MADT */
#define MADT_PCAT_COMPAT        (1u << 0)   /* dual 8259s present */
#define MADT_LAPIC              0
#define MADT_IOAPIC             1
#define MADT_INT_OVERRIDE       2
#define MADT_LAPIC_NMI          4
#define MADT_LAPIC_LEN          8
#define MADT_IOAPIC_LEN         12
#define MADT_INT_OVERRIDE_LEN   10
#define MADT_LAPIC_NMI_LEN      6
#define MADT_LAPIC_ENABLED      (1u << 0)
#define MADT_ALL_PROCESSORS     0xff
/* MPS INTI flags: polarity bits 1:0, trigger mode bits 3:2; 0 = conforms */
#define MPS_INTI_ACTIVE_HIGH    0x1
#define MPS_INTI_LEVEL          (0x3 << 2)

typedef struct AcpiBuilder {
    uint8_t *buf;               /* ACPI_TABLES_SIZE bytes */
    size_t used;
} AcpiBuilder;

static void st16(uint8_t *p, uint16_t v)
{
    v = GUINT16_TO_LE(v);
    memcpy(p, &v, sizeof(v));
}

static void st32(uint8_t *p, uint32_t v)
{
    v = GUINT32_TO_LE(v);
    memcpy(p, &v, sizeof(v));
}

static void st64(uint8_t *p, uint64_t v)
{
    v = GUINT64_TO_LE(v);
    memcpy(p, &v, sizeof(v));
}

/* LEN zeroed bytes aligned to ALIGN; *ADDR gets their guest address. */
static uint8_t *acpi_alloc(AcpiBuilder *b, size_t len, size_t align,
                           uint32_t *addr)
{
    size_t off = (b->used + align - 1) & ~(align - 1);

    g_assert(off + len <= ACPI_TABLES_SIZE);
    b->used = off + len;
    *addr = (uint32_t)(ACPI_TABLES_ADDR + off);
    return b->buf + off;
}

static uint8_t acpi_checksum(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;

    for (size_t i = 0; i < len; i++) {
        sum += p[i];
    }
    return (uint8_t)-sum;
}

static void put_header(uint8_t *t, const char *sig, uint32_t len,
                       uint8_t rev)
{
    memcpy(t, sig, 4);
    st32(t + 4, len);
    t[8] = rev;
    /* t[9]: checksum, set by finish_table() once the body is written */
    memcpy(t + 10, ACPI_OEM_ID, 6);
    memcpy(t + 16, ACPI_OEM_TABLE_ID, 8);
    st32(t + 24, ACPI_OEM_REVISION);
    memcpy(t + 28, ACPI_CREATOR_ID, 4);
    st32(t + 32, ACPI_CREATOR_REV);
}

static void finish_table(uint8_t *t, uint32_t len)
{
    t[SDT_CHECKSUM_OFF] = 0;
    t[SDT_CHECKSUM_OFF] = acpi_checksum(t, len);
}

static void put_gas_io(uint8_t *p, unsigned bits, unsigned access,
                       uint16_t port)
{
    p[0] = GAS_SPACE_IO;
    p[1] = (uint8_t)bits;       /* register bit width */
    p[2] = 0;                   /* register bit offset */
    p[3] = (uint8_t)access;     /* access size */
    st64(p + 4, port);
}

/*
 * The DSDT's AML: one named object at the root of the namespace,
 *
 *   Name (_S5, Package (0x04) { 0x05, 0x05, Zero, Zero })
 *
 * \_S5 gives the SLP_TYP values for soft-off: the first element for
 * PM1a_CNT, the second for PM1b_CNT (we have none), two reserved.  Linux's
 * acpi_power_off() evaluates it and writes SLP_TYP | SLP_EN to PM1a_CNT.
 */
static const uint8_t dsdt_aml[] = {
    0x08,                       /* NameOp */
    '_', 'S', '5', '_',         /* NameSeg "_S5_" (names are padded with '_') */
    0x12,                       /* PackageOp */
    0x08,                       /* PkgLength: 8 bytes from here to the end
                                   (this byte, NumElements, 6 data bytes);
                                   under 64, so a one-byte encoding */
    0x04,                       /* NumElements */
    0x0a, ACPI_SLP_TYP_S5,      /* BytePrefix 5: SLP_TYP for PM1a_CNT */
    0x0a, ACPI_SLP_TYP_S5,      /* BytePrefix 5: SLP_TYP for PM1b_CNT */
    0x00,                       /* ZeroOp: reserved */
    0x00,                       /* ZeroOp: reserved */
};

static uint32_t build_facs(AcpiBuilder *b)
{
    uint32_t addr;
    uint8_t *t = acpi_alloc(b, FACS_LEN, 64, &addr);

    memcpy(t, "FACS", 4);
    st32(t + 4, FACS_LEN);
    /* Hardware signature, waking vectors, global lock, flags: all 0. */
    t[32] = 2;                  /* version */
    return addr;
}

static uint32_t build_dsdt(AcpiBuilder *b)
{
    uint32_t addr, len = SDT_HEADER_LEN + sizeof(dsdt_aml);
    uint8_t *t = acpi_alloc(b, len, 16, &addr);

    /* Revision 2: AML integers are 64 bits wide. */
    put_header(t, "DSDT", len, 2);
    memcpy(t + SDT_HEADER_LEN, dsdt_aml, sizeof(dsdt_aml));
    finish_table(t, len);
    return addr;
}

static uint32_t build_fadt(AcpiBuilder *b, uint32_t facs, uint32_t dsdt)
{
    uint32_t addr;
    uint8_t *t = acpi_alloc(b, FADT_LEN, 16, &addr);

    put_header(t, "FACP", FADT_LEN, FADT_REVISION);
    st32(t + 36, facs);                     /* FIRMWARE_CTRL */
    st32(t + 40, dsdt);                     /* DSDT */
    /* 45: preferred PM profile 0 (unspecified) */
    st16(t + 46, ACPI_SCI_IRQ);             /* SCI_INT */
    /* 48: SMI_CMD 0: always in ACPI mode, ACPI_ENABLE/DISABLE unused */
    st32(t + 56, ACPI_PM1_EVT_ADDR);        /* PM1a_EVT_BLK */
    st32(t + 64, ACPI_PM1_CNT_ADDR);        /* PM1a_CNT_BLK */
    st32(t + 76, ACPI_PM_TMR_ADDR);         /* PM_TMR_BLK */
    /* 80, 84: no GPE blocks */
    t[88] = ACPI_PM1_EVT_LEN;
    t[89] = ACPI_PM1_CNT_LEN;
    t[91] = ACPI_PM_TMR_LEN;
    st16(t + 96, FADT_NO_C2_LATENCY);       /* P_LVL2_LAT */
    st16(t + 98, FADT_NO_C3_LATENCY);       /* P_LVL3_LAT */
    t[108] = FADT_CENTURY_INDEX;            /* CENTURY */
    st16(t + 109, FADT_BOOT_LEGACY_DEVICES | FADT_BOOT_8042 |
                  FADT_BOOT_NO_VGA);        /* IAPC_BOOT_ARCH */
    st32(t + 112, FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_PWR_BUTTON |
                  FADT_F_SLP_BUTTON | FADT_F_RESET_REG_SUP);
    put_gas_io(t + 116, 8, GAS_ACCESS_BYTE, ACPI_RESET_PORT);
    t[128] = ACPI_RESET_VALUE;
    /* 129: ARM_BOOT_ARCH 0; 131: FADT minor version 0 */
    /* 132: X_FIRMWARE_CTRL 0, FIRMWARE_CTRL (below 4 GiB) is used */
    st64(t + 140, dsdt);                    /* X_DSDT */
    put_gas_io(t + 148, ACPI_PM1_EVT_LEN * 8, GAS_ACCESS_WORD,
               ACPI_PM1_EVT_ADDR);          /* X_PM1a_EVT_BLK */
    put_gas_io(t + 172, ACPI_PM1_CNT_LEN * 8, GAS_ACCESS_WORD,
               ACPI_PM1_CNT_ADDR);          /* X_PM1a_CNT_BLK */
    put_gas_io(t + 208, ACPI_PM_TMR_LEN * 8, GAS_ACCESS_DWORD,
               ACPI_PM_TMR_ADDR);           /* X_PM_TMR_BLK */
    /* The rest (PM1b, PM2, GPEs, sleep registers, hypervisor ID) is 0. */
    finish_table(t, FADT_LEN);
    return addr;
}

static uint8_t *put_override(uint8_t *p, uint8_t irq, uint32_t gsi,
                             uint16_t flags)
{
    p[0] = MADT_INT_OVERRIDE;
    p[1] = MADT_INT_OVERRIDE_LEN;
    p[2] = 0;                               /* bus: ISA */
    p[3] = irq;                             /* source */
    st32(p + 4, gsi);
    st16(p + 8, flags);
    return p + MADT_INT_OVERRIDE_LEN;
}

static uint32_t build_madt(AcpiBuilder *b, unsigned ncpus)
{
    uint32_t addr, len = SDT_HEADER_LEN + 8 + ncpus * MADT_LAPIC_LEN +
                         MADT_IOAPIC_LEN + 2 * MADT_INT_OVERRIDE_LEN +
                         MADT_LAPIC_NMI_LEN;
    uint8_t *t = acpi_alloc(b, len, 16, &addr);
    uint8_t *p = t + SDT_HEADER_LEN;

    /* Revision 4 (ACPI 5.0/6.0): the entry types we use are unchanged. */
    put_header(t, "APIC", len, 4);
    st32(p, ACPI_LAPIC_ADDR);
    st32(p + 4, MADT_PCAT_COMPAT);
    p += 8;
    for (unsigned i = 0; i < ncpus; i++) {
        p[0] = MADT_LAPIC;
        p[1] = MADT_LAPIC_LEN;
        p[2] = (uint8_t)i;                  /* ACPI processor UID */
        p[3] = (uint8_t)i;                  /* APIC ID */
        st32(p + 4, MADT_LAPIC_ENABLED);
        p += MADT_LAPIC_LEN;
    }
    p[0] = MADT_IOAPIC;
    p[1] = MADT_IOAPIC_LEN;
    p[2] = (uint8_t)ncpus;                  /* IOAPIC ID, as in the MP table */
    p[3] = 0;
    st32(p + 4, ACPI_IOAPIC_ADDR);
    st32(p + 8, 0);                         /* GSI base */
    p += MADT_IOAPIC_LEN;
    /* The PIT's IRQ 0 is wired to IOAPIC pin 2; flags conform to ISA (edge, high). */
    p = put_override(p, 0, 2, 0);
    /* The SCI: without an override Linux would make it level, active low. */
    p = put_override(p, ACPI_SCI_IRQ, ACPI_SCI_IRQ,
                     MPS_INTI_LEVEL | MPS_INTI_ACTIVE_HIGH);
    p[0] = MADT_LAPIC_NMI;
    p[1] = MADT_LAPIC_NMI_LEN;
    p[2] = MADT_ALL_PROCESSORS;
    st16(p + 3, 0);                         /* flags: conforming */
    p[5] = 1;                               /* LINT1 */
    p += MADT_LAPIC_NMI_LEN;
    g_assert(p == t + len);
    finish_table(t, len);
    return addr;
}

static uint32_t build_xsdt(AcpiBuilder *b, const uint32_t *tables,
                           unsigned n)
{
    uint32_t addr, len = SDT_HEADER_LEN + 8 * n;
    uint8_t *t = acpi_alloc(b, len, 16, &addr);

    put_header(t, "XSDT", len, 1);
    for (unsigned i = 0; i < n; i++) {
        st64(t + SDT_HEADER_LEN + 8 * i, tables[i]);
    }
    finish_table(t, len);
    return addr;
}

static uint32_t build_rsdt(AcpiBuilder *b, const uint32_t *tables,
                           unsigned n)
{
    uint32_t addr, len = SDT_HEADER_LEN + 4 * n;
    uint8_t *t = acpi_alloc(b, len, 16, &addr);

    put_header(t, "RSDT", len, 1);
    for (unsigned i = 0; i < n; i++) {
        st32(t + SDT_HEADER_LEN + 4 * i, tables[i]);
    }
    finish_table(t, len);
    return addr;
}

static void build_rsdp(uint8_t *p, uint32_t rsdt, uint32_t xsdt)
{
    memcpy(p, "RSD PTR ", 8);
    memcpy(p + 9, ACPI_OEM_ID, 6);
    p[15] = 2;                              /* revision: ACPI 2.0+ */
    st32(p + 16, rsdt);
    st32(p + 20, RSDP_LEN);
    st64(p + 24, xsdt);
    p[8] = acpi_checksum(p, RSDP_V1_LEN);
    p[32] = acpi_checksum(p, RSDP_LEN);
}

bool acpi_build(AddressSpace *as, unsigned ncpus, uint64_t zero_page,
                GError **errp)
{
    g_autofree uint8_t *buf = g_malloc0(ACPI_TABLES_SIZE);
    AcpiBuilder b = { .buf = buf };
    uint32_t rsdp_addr, facs, dsdt, tables[2], rsdt, xsdt;
    uint8_t *rsdp;
    uint8_t rsdp_le[8];

    if (ncpus == 0 || ncpus > ACPI_MAX_CPUS) {
        g_set_error(errp, QEMU_ERROR, 0,
                    "ACPI tables: %u CPUs (must be 1 to %d)", ncpus,
                    ACPI_MAX_CPUS);
        return false;
    }
    rsdp = acpi_alloc(&b, RSDP_LEN, 16, &rsdp_addr);
    g_assert(rsdp_addr == ACPI_RSDP_ADDR);
    facs = build_facs(&b);
    dsdt = build_dsdt(&b);
    tables[0] = build_fadt(&b, facs, dsdt);
    tables[1] = build_madt(&b, ncpus);
    xsdt = build_xsdt(&b, tables, G_N_ELEMENTS(tables));
    rsdt = build_rsdt(&b, tables, G_N_ELEMENTS(tables));
    build_rsdp(rsdp, rsdt, xsdt);

    if (!address_space_write(as, ACPI_TABLES_ADDR, buf, b.used)) {
        g_set_error(errp, QEMU_ERROR, 0,
                    "ACPI tables: no RAM at 0x%llx",
                    (unsigned long long)ACPI_TABLES_ADDR);
        return false;
    }
    st64(rsdp_le, ACPI_RSDP_ADDR);
    if (zero_page &&
        !address_space_write(as, zero_page + ACPI_ZERO_PAGE_RSDP_OFFSET,
                             rsdp_le, sizeof(rsdp_le))) {
        g_set_error(errp, QEMU_ERROR, 0, "ACPI tables: no zero page at 0x%llx",
                    (unsigned long long)zero_page);
        return false;
    }
    return true;
}
