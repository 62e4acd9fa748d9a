/*
 * i8042 keyboard controller (ports 0x60 data, 0x64 status/command), as far
 * as Linux's probe and a guest-initiated reset need it.  A keyboard that
 * answers commands but never types sits on the first port; the AUX port
 * has no mouse (writes to it time out).  IRQ 1 and 12 follow the output
 * buffer when the command byte enables them.
 *
 * Reset: 0xfe to port 0x64 (pulse output line 0) or clearing bit 0 of the
 * output port with command 0xd1 calls machine_request_reset().
 */
#ifndef HW_MISC_I8042_H
#define HW_MISC_I8042_H

#include <glib.h>
#include <stdbool.h>

#include "core/machine.h"

#define I8042_DATA_PORT     0x60
#define I8042_CMD_PORT      0x64
#define I8042_KBD_IRQ       1
#define I8042_AUX_IRQ       12

#define I8042_STR_OBF       0x01
#define I8042_STR_IBF       0x02
#define I8042_STR_SYS       0x04
#define I8042_STR_CMD       0x08
#define I8042_STR_UNLOCKED  0x10
#define I8042_STR_AUXDATA   0x20
#define I8042_STR_TIMEOUT   0x40

#define I8042_CTR_KBDINT    0x01
#define I8042_CTR_AUXINT    0x02
#define I8042_CTR_SYS       0x04
#define I8042_CTR_KBDDIS    0x10
#define I8042_CTR_AUXDIS    0x20
#define I8042_CTR_XLATE     0x40

typedef struct I8042State I8042State;

I8042State *i8042_create(Machine *m, GError **errp);
void i8042_free(I8042State *s);

/* The microvm's controller; it lives as long as the process. */
bool i8042_init(Machine *m, GError **errp);

#endif
