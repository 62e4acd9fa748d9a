/*
 * Userspace interrupt controllers for accelerators without in-kernel ones
 * (TCG): the 8259A pair (ports 0x20/0x21, 0xa0/0xa1, ELCR 0x4d0/0x4d1), the
 * IOAPIC (0xfec00000, 24 pins) and one LAPIC per vCPU (0xfee00000, the
 * accessing vCPU's own, found with vcpu_current()).  LAPIC timers run on the
 * GLib main loop's clock.
 */
#ifndef HW_INTC_X86_INTC_H
#define HW_INTC_X86_INTC_H

#include "core/machine.h"

/*
 * Creates and maps the controllers, sets m->set_irq/m->irq_opaque (GSI
 * routing: ISA IRQs to both the PIC and IOAPIC pins 0-15, IRQ 0 to IOAPIC
 * pin 2 as on a PC) and m->intc.  Needs m->vcpus.
 */
bool x86_intc_init(Machine *m, GError **errp);

#endif
