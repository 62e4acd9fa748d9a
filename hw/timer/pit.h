/*
 * Userspace 8254 PIT (ports 0x40-0x43, IRQ 0 through machine_set_irq) and
 * the port 0x61 bits it owns (channel 2 gate and output, speaker enable),
 * for accelerators without an in-kernel PIT.
 */
#ifndef HW_TIMER_PIT_H
#define HW_TIMER_PIT_H

#include "core/machine.h"

bool x86_pit_init(Machine *m, GError **errp);

#endif
