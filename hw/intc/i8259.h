/*
 * The PC's cascaded 8259A pair: master at ports 0x20/0x21, slave at
 * 0xa0/0xa1 on the master's IRQ 2, edge/level control (ELCR) at
 * 0x4d0/0x4d1.  The model is plain state; callers hold the BQL.
 */
#ifndef HW_INTC_I8259_H
#define HW_INTC_I8259_H

#include <stdbool.h>
#include <stdint.h>

#include "core/memory.h"

typedef struct I8259 I8259;

/* Called whenever the master's INTR output may have changed. */
typedef void I8259IntrNotify(void *opaque, bool level);

I8259 *i8259_new(I8259IntrNotify *notify, void *opaque);
void i8259_free(I8259 *pic);

/* Drives input line IRQ (0-15; 8-15 are the slave's). */
void i8259_set_irq(I8259 *pic, unsigned irq, bool level);

/* The master's INTR output. */
bool i8259_intr(const I8259 *pic);

/*
 * The vector an INTA cycle would return now, or -1 if INTR is low;
 * changes nothing.
 */
int i8259_peek_vector(const I8259 *pic);

/* INTA cycle: acknowledges the highest request and returns its vector. */
int i8259_ack(I8259 *pic);

/*
 * Port handlers.  Offsets are relative to the region: 0x20 (2 ports),
 * 0xa0 (2 ports) with the chip as opaque (i8259_master/slave), and
 * 0x4d0 (2 ports) with the pair as opaque.
 */
extern const MemoryRegionOps i8259_chip_ops;
extern const MemoryRegionOps i8259_elcr_ops;
void *i8259_master(I8259 *pic);
void *i8259_slave(I8259 *pic);

/* Maps the three port ranges on IO. */
bool i8259_map(I8259 *pic, AddressSpace *io, GError **errp);

#endif
