/*
 * ACPI fixed hardware: PM1a event and control blocks, PM timer, reset
 * register (see pm.h).
 *
 * The PM block 0x600-0x60b is one I/O region handled byte by byte, so that
 * accesses of any width or alignment (ACPICA's 16-bit status/enable
 * halves, Linux's 32-bit timer reads, odd single bytes) all do the right
 * thing.
 */
#include "hw/acpi/pm.h"

#include "core/error.h"
#include "core/main_loop.h"

#define NS_PER_SEC 1000000000ull

/* Byte offsets inside the PM block */
#define PM1_STS_OFF 0
#define PM1_EN_OFF  2
#define PM1_CNT_OFF 4
#define PM_TMR_OFF  8

struct AcpiPM {
    Machine *machine;
    MemoryRegion *mr_pm;
    MemoryRegion *mr_reset;
    uint16_t pm1_sts;
    uint16_t pm1_en;
    uint16_t pm1_cnt;           /* without SLP_EN, which is write-only */
    uint8_t reset_reg;          /* 0xcf9 without RST_CPU */
};

uint32_t acpi_pm_timer_at(int64_t ns)
{
    uint64_t t = ns > 0 ? (uint64_t)ns : 0;
    /* Split so that the multiplication cannot overflow. */
    uint64_t ticks = (t / NS_PER_SEC) * ACPI_PM_TIMER_HZ +
                     (t % NS_PER_SEC) * ACPI_PM_TIMER_HZ / NS_PER_SEC;

    return (uint32_t)(ticks & ACPI_PM_TIMER_MASK);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint64_t pm_read(void *opaque, uint64_t offset, unsigned size)
{
    AcpiPM *s = opaque;
    uint8_t regs[ACPI_PM_SIZE] = { 0 };
    uint32_t tmr = acpi_pm_timer_at(clock_ns());
    uint64_t v = 0;

    put16(regs + PM1_STS_OFF, s->pm1_sts);
    put16(regs + PM1_EN_OFF, s->pm1_en);
    put16(regs + PM1_CNT_OFF, s->pm1_cnt);
    put16(regs + PM_TMR_OFF, (uint16_t)tmr);
    put16(regs + PM_TMR_OFF + 2, (uint16_t)(tmr >> 16));
    for (unsigned i = 0; i < size; i++) {
        uint64_t o = offset + i;
        uint8_t b = o < ACPI_PM_SIZE ? regs[o] : 0xff;

        v |= (uint64_t)b << (8 * i);
    }
    return v;
}

static void pm1_cnt_write(AcpiPM *s, uint16_t val)
{
    unsigned typ = (val & ACPI_PM1_CNT_SLP_TYP_MASK) >>
                   ACPI_PM1_CNT_SLP_TYP_SHIFT;

    /* ACPI mode cannot be left: SCI_EN stays set. */
    s->pm1_cnt = (val & ~ACPI_PM1_CNT_SLP_EN) | ACPI_PM1_CNT_SCI_EN;
    /* Only soft-off is a sleep state we offer (the DSDT has only \_S5). */
    if ((val & ACPI_PM1_CNT_SLP_EN) && typ == ACPI_SLP_TYP_S5) {
        machine_request_shutdown(s->machine, 0);
    }
}

static void pm_write(void *opaque, uint64_t offset, uint64_t value,
                     unsigned size)
{
    AcpiPM *s = opaque;
    uint8_t val[ACPI_PM_SIZE] = { 0 };
    uint8_t mask[ACPI_PM_SIZE] = { 0 };
    uint16_t m;

    for (unsigned i = 0; i < size; i++) {
        uint64_t o = offset + i;

        if (o < ACPI_PM_SIZE) {
            val[o] = (uint8_t)(value >> (8 * i));
            mask[o] = 0xff;
        }
    }
    /* Status bits are cleared by writing ones. */
    s->pm1_sts &= ~(get16(val + PM1_STS_OFF) & get16(mask + PM1_STS_OFF));
    m = get16(mask + PM1_EN_OFF);
    s->pm1_en = (s->pm1_en & ~m) | (get16(val + PM1_EN_OFF) & m);
    m = get16(mask + PM1_CNT_OFF);
    if (m) {
        pm1_cnt_write(s, (s->pm1_cnt & ~m) | (get16(val + PM1_CNT_OFF) & m));
    }
    /* The timer is read-only. */
}

static const MemoryRegionOps pm_ops = {
    .read = pm_read,
    .write = pm_write,
};

static uint64_t reset_read(void *opaque, uint64_t offset, unsigned size)
{
    AcpiPM *s = opaque;

    (void)offset;
    (void)size;
    return s->reset_reg;
}

static void reset_write(void *opaque, uint64_t offset, uint64_t value,
                        unsigned size)
{
    AcpiPM *s = opaque;

    (void)offset;
    (void)size;
    s->reset_reg = (uint8_t)value & ~ACPI_RESET_RST_CPU;
    if (value & ACPI_RESET_RST_CPU) {
        machine_request_reset(s->machine);
    }
}

static const MemoryRegionOps reset_ops = {
    .read = reset_read,
    .write = reset_write,
};

AcpiPM *acpi_pm_create(Machine *m, GError **errp)
{
    AcpiPM *s = g_new0(AcpiPM, 1);

    s->machine = m;
    s->pm1_cnt = ACPI_PM1_CNT_SCI_EN;
    s->mr_pm = address_space_add_io(m->io, "acpi-pm", ACPI_PM_BASE,
                                    ACPI_PM_SIZE, &pm_ops, s, errp);
    if (!s->mr_pm) {
        g_free(s);
        return NULL;
    }
    s->mr_reset = address_space_add_io(m->io, "acpi-reset", ACPI_RESET_PORT,
                                       1, &reset_ops, s, errp);
    if (!s->mr_reset) {
        address_space_remove(m->io, s->mr_pm);
        g_free(s);
        return NULL;
    }
    return s;
}

void acpi_pm_free(AcpiPM *s)
{
    if (s) {
        address_space_remove(s->machine->io, s->mr_reset);
        address_space_remove(s->machine->io, s->mr_pm);
        g_free(s);
    }
}

bool acpi_pm_init(Machine *m, GError **errp)
{
    return acpi_pm_create(m, errp) != NULL;
}
