/* xAPIC (MMIO at 0xfee00000), IOAPIC (0xfec00000) and the 8259 mask. */
#include "guest.h"

#define ICR_DELIVERY_PENDING (1u << 12)

uint32_t lapic_read(uint32_t reg)
{
    return mmio_read32(LAPIC_BASE + reg);
}

void lapic_write(uint32_t reg, uint32_t v)
{
    mmio_write32(LAPIC_BASE + reg, v);
}

unsigned lapic_id(void)
{
    return lapic_read(LAPIC_ID) >> 24;
}

void lapic_enable(uint8_t spurious_vector)
{
    lapic_write(LAPIC_TPR, 0);
    lapic_write(LAPIC_SVR, 0x100u | spurious_vector);
}

void lapic_eoi(void)
{
    lapic_write(LAPIC_EOI, 0);
}

bool lapic_send_ipi(unsigned dest_apic_id, uint32_t icr_lo)
{
    lapic_write(LAPIC_ICR_HI, dest_apic_id << 24);
    lapic_write(LAPIC_ICR_LO, icr_lo);
    for (int i = 0; i < 100000; i++) {
        if (!(lapic_read(LAPIC_ICR_LO) & ICR_DELIVERY_PENDING)) {
            return true;
        }
        cpu_relax();
    }
    return false;
}

uint32_t ioapic_read(uint32_t reg)
{
    mmio_write32(IOAPIC_BASE, reg);
    return mmio_read32(IOAPIC_BASE + 0x10);
}

void ioapic_write(uint32_t reg, uint32_t v)
{
    mmio_write32(IOAPIC_BASE, reg);
    mmio_write32(IOAPIC_BASE + 0x10, v);
}

void ioapic_route(unsigned pin, uint8_t vector, unsigned dest, bool masked)
{
    ioapic_write(0x10 + 2 * pin, 1u << 16);
    ioapic_write(0x11 + 2 * pin, dest << 24);
    ioapic_write(0x10 + 2 * pin, (masked ? 1u << 16 : 0) | vector);
}

void pic_mask_all(void)
{
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
}
