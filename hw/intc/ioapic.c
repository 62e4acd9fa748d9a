/*
 * I/O APIC model.
 *
 * Pin levels are logical (true = asserted); the polarity bit is stored but
 * the devices already signal in asserted terms.  An edge-triggered pin
 * sends a message on each rising edge; a level-triggered one sends while
 * asserted, sets Remote IRR when a LAPIC accepts, and sends again after
 * the EOI if the pin is still asserted.
 */
#include "hw/intc/ioapic.h"

#define RTE_RO_BITS (IOAPIC_RTE_DELIVS | IOAPIC_RTE_REMOTE_IRR)

struct IOAPIC {
    LAPICBus *bus;
    uint8_t id;
    uint8_t regsel;
    uint32_t lines;             /* pin levels */
    uint64_t rte[IOAPIC_NUM_PINS];
};

static void ioapic_service(IOAPIC *s, unsigned pin)
{
    uint64_t rte = s->rte[pin];
    bool level = rte & IOAPIC_RTE_LEVEL;

    if (rte & IOAPIC_RTE_MASKED) {
        return;
    }
    if (level && (rte & IOAPIC_RTE_REMOTE_IRR)) {
        return;                 /* the previous message is not EOIed yet */
    }
    unsigned mode = (rte >> 8) & 7;
    unsigned n = lapic_bus_deliver(s->bus, rte >> 56,
                                   rte & IOAPIC_RTE_DEST_LOGICAL, mode,
                                   rte & 0xff, level);
    if (level && n && (mode == APIC_DM_FIXED || mode == APIC_DM_LOWEST)) {
        s->rte[pin] |= IOAPIC_RTE_REMOTE_IRR;
    }
}

void ioapic_set_irq(IOAPIC *s, unsigned pin, bool level)
{
    if (pin >= IOAPIC_NUM_PINS) {
        return;
    }
    uint32_t bit = 1u << pin;
    bool was = s->lines & bit;

    if (level) {
        s->lines |= bit;
    } else {
        s->lines &= ~bit;
    }
    if (!level) {
        return;
    }
    if ((s->rte[pin] & IOAPIC_RTE_LEVEL) || !was) {
        ioapic_service(s, pin);
    }
}

void ioapic_eoi(IOAPIC *s, uint8_t vector)
{
    for (unsigned pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
        uint64_t rte = s->rte[pin];
        if ((rte & 0xff) != vector || !(rte & IOAPIC_RTE_LEVEL) ||
            !(rte & IOAPIC_RTE_REMOTE_IRR)) {
            continue;
        }
        s->rte[pin] &= ~IOAPIC_RTE_REMOTE_IRR;
        if (s->lines & (1u << pin)) {
            ioapic_service(s, pin);
        }
    }
}

uint32_t ioapic_reg_read(IOAPIC *s, uint8_t index)
{
    switch (index) {
    case IOAPIC_REG_ID:
    case IOAPIC_REG_ARB:
        return (uint32_t)(s->id & 0xf) << 24;
    case IOAPIC_REG_VERSION:
        return ((IOAPIC_NUM_PINS - 1) << 16) | IOAPIC_VERSION;
    default:
        break;
    }
    unsigned pin = (index - IOAPIC_REG_REDIR) >> 1;
    if (index < IOAPIC_REG_REDIR || pin >= IOAPIC_NUM_PINS) {
        return 0;
    }
    return s->rte[pin] >> ((index & 1) ? 32 : 0);
}

static void ioapic_write_rte(IOAPIC *s, unsigned pin, bool high, uint32_t val)
{
    uint64_t old = s->rte[pin];
    uint64_t rte;

    if (high) {
        rte = (old & 0xffffffffull) | ((uint64_t)(val & 0xff000000) << 32);
    } else {
        rte = (old & ~0xffffffffull) | (val & 0x1ffff);
        rte = (rte & ~RTE_RO_BITS) | (old & RTE_RO_BITS);
    }
    if (!(rte & IOAPIC_RTE_LEVEL)) {
        /* Remote IRR means nothing for edge; Linux flips to edge to clear it. */
        rte &= ~IOAPIC_RTE_REMOTE_IRR;
    }
    s->rte[pin] = rte;
    if ((rte & IOAPIC_RTE_LEVEL) && (s->lines & (1u << pin))) {
        ioapic_service(s, pin);
    }
}

void ioapic_reg_write(IOAPIC *s, uint8_t index, uint32_t val)
{
    if (index == IOAPIC_REG_ID) {
        s->id = (val >> 24) & 0xf;
        return;
    }
    unsigned pin = (index - IOAPIC_REG_REDIR) >> 1;
    if (index < IOAPIC_REG_REDIR || pin >= IOAPIC_NUM_PINS) {
        return;                 /* version, arbitration: read-only */
    }
    ioapic_write_rte(s, pin, index & 1, val);
}

static uint64_t ioapic_mmio_read(void *opaque, uint64_t offset, unsigned size)
{
    IOAPIC *s = opaque;
    uint32_t val;

    (void)size;
    switch (offset & ~3ull) {
    case 0x00:
        val = s->regsel;
        break;
    case 0x10:
        val = ioapic_reg_read(s, s->regsel);
        break;
    default:
        return 0;
    }
    return val >> (8 * (offset & 3));
}

static void ioapic_mmio_write(void *opaque, uint64_t offset, uint64_t value,
                              unsigned size)
{
    IOAPIC *s = opaque;

    (void)size;
    switch (offset) {
    case 0x00:
        s->regsel = value;
        break;
    case 0x10:
        ioapic_reg_write(s, s->regsel, value);
        break;
    case 0x40:
        ioapic_eoi(s, value);
        break;
    default:
        break;
    }
}

const MemoryRegionOps ioapic_mmio_ops = {
    .read = ioapic_mmio_read,
    .write = ioapic_mmio_write,
};

IOAPIC *ioapic_new(LAPICBus *bus)
{
    IOAPIC *s = g_new0(IOAPIC, 1);

    s->bus = bus;
    for (unsigned i = 0; i < IOAPIC_NUM_PINS; i++) {
        s->rte[i] = IOAPIC_RTE_MASKED;
    }
    return s;
}

void ioapic_free(IOAPIC *s)
{
    g_free(s);
}
