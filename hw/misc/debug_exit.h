/*
 * isa-debug-exit, as QEMU's: "-device isa-debug-exit,iobase=0xf4,iosize=0x04".
 * A write of V to any of its ports ends the process with status
 * (V << 1) | 1.  Defaults: iobase=0x501, iosize=2.
 */
#ifndef HW_MISC_DEBUG_EXIT_H
#define HW_MISC_DEBUG_EXIT_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/machine.h"

#define DEBUG_EXIT_DEFAULT_IOBASE 0x501
#define DEBUG_EXIT_DEFAULT_IOSIZE 2

typedef struct DebugExitOptions {
    uint16_t iobase;
    uint32_t iosize;            /* 1 to 0x10000 - iobase */
} DebugExitOptions;

/* Parses the "-device" options after the name ("" for the defaults). */
bool debug_exit_parse_options(const char *opts, DebugExitOptions *out,
                              GError **errp);

/* The exit status for a write of VALUE. */
int debug_exit_status(uint64_t value);

/* The DeviceClass's create(): maps the ports on M->io. */
bool debug_exit_create(Machine *m, const char *opts, GError **errp);

#endif
