/*
 * 82093AA-style I/O APIC: 24 input pins, register window at 0xfec00000
 * (IOREGSEL +0x00, IOWIN +0x10, EOI +0x40 as on version 0x20 parts).
 * Redirected interrupts go out on the LAPIC bus.  Callers hold the BQL.
 */
#ifndef HW_INTC_IOAPIC_H
#define HW_INTC_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "core/memory.h"
#include "hw/intc/lapic.h"

#define IOAPIC_BASE         0xfec00000ull
#define IOAPIC_SIZE         0x1000
#define IOAPIC_NUM_PINS     24
#define IOAPIC_VERSION      0x20

/* Register indexes (through IOREGSEL) */
#define IOAPIC_REG_ID       0x00
#define IOAPIC_REG_VERSION  0x01
#define IOAPIC_REG_ARB      0x02
#define IOAPIC_REG_REDIR    0x10    /* + 2 * pin: low dword, + 1: high */

/* Redirection entry bits */
#define IOAPIC_RTE_DEST_LOGICAL (1ull << 11)
#define IOAPIC_RTE_DELIVS       (1ull << 12)
#define IOAPIC_RTE_POLARITY_LOW (1ull << 13)
#define IOAPIC_RTE_REMOTE_IRR   (1ull << 14)
#define IOAPIC_RTE_LEVEL        (1ull << 15)
#define IOAPIC_RTE_MASKED       (1ull << 16)

typedef struct IOAPIC IOAPIC;

IOAPIC *ioapic_new(LAPICBus *bus);
void ioapic_free(IOAPIC *s);

/* Drives input PIN (active high as seen by the model). */
void ioapic_set_irq(IOAPIC *s, unsigned pin, bool level);

/* An EOI for VECTOR (LAPIC broadcast or the EOI register). */
void ioapic_eoi(IOAPIC *s, uint8_t vector);

/* Indirect register access, as through IOREGSEL/IOWIN. */
uint32_t ioapic_reg_read(IOAPIC *s, uint8_t index);
void ioapic_reg_write(IOAPIC *s, uint8_t index, uint32_t value);

/* MMIO ops for the window; opaque is the IOAPIC. */
extern const MemoryRegionOps ioapic_mmio_ops;

#endif
