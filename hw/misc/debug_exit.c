/*
 * isa-debug-exit: lets a test payload end the run with a status.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <string.h>

#include "core/error.h"
#include "hw/misc/debug_exit.h"

#define DEV_NAME "isa-debug-exit"

static bool parse_number(const char *key, const char *str, uint64_t *out,
                         GError **errp)
{
    char *end = NULL;

    /* strtoull would accept a sign or leading blanks: refuse them. */
    if (!g_ascii_isdigit(str[0])) {
        goto bad;
    }
    errno = 0;
    *out = g_ascii_strtoull(str, &end, 0);
    if (errno == 0 && end && *end == '\0') {
        return true;
    }
bad:
    g_set_error(errp, QEMU_ERROR, 0, "%s: invalid number '%s' for '%s'",
                DEV_NAME, str, key);
    return false;
}

bool debug_exit_parse_options(const char *opts, DebugExitOptions *out,
                              GError **errp)
{
    uint64_t iobase = DEBUG_EXIT_DEFAULT_IOBASE;
    uint64_t iosize = DEBUG_EXIT_DEFAULT_IOSIZE;
    g_auto(GStrv) items = NULL;

    if (opts && *opts) {
        items = g_strsplit(opts, ",", -1);
    }
    for (char **p = items; p && *p; p++) {
        const char *eq = strchr(*p, '=');
        g_autofree char *key = eq ? g_strndup(*p, eq - *p) : g_strdup(*p);

        if (strcmp(key, "iobase") != 0 && strcmp(key, "iosize") != 0) {
            g_set_error(errp, QEMU_ERROR, 0,
                        "%s: unknown option '%s' (known: iobase, iosize)",
                        DEV_NAME, key);
            return false;
        }
        if (!eq) {
            g_set_error(errp, QEMU_ERROR, 0, "%s: option '%s' needs a value",
                        DEV_NAME, key);
            return false;
        }
        if (!parse_number(key, eq + 1,
                          strcmp(key, "iobase") == 0 ? &iobase : &iosize,
                          errp)) {
            return false;
        }
    }
    if (iobase > 0xffff) {
        g_set_error(errp, QEMU_ERROR, 0,
                    "%s: iobase 0x%" PRIx64 " is not a port "
                    "(0 to 0xffff)", DEV_NAME, iobase);
        return false;
    }
    if (iosize == 0 || iosize > 0x10000 - iobase) {
        g_set_error(errp, QEMU_ERROR, 0,
                    "%s: iosize 0x%" PRIx64 " does not fit from "
                    "iobase 0x%" PRIx64 " (1 to 0x%" PRIx64
                    "x)", DEV_NAME, iosize, iobase, 0x10000 - iobase);
        return false;
    }
    out->iobase = (uint16_t)iobase;
    out->iosize = (uint32_t)iosize;
    return true;
}

int debug_exit_status(uint64_t value)
{
    /* Only the low 8 bits reach the parent; keep the int non-negative. */
    return (int)(((value << 1) | 1) & INT_MAX);
}

static void debug_exit_write(void *opaque, uint64_t offset, uint64_t value,
                             unsigned size)
{
    Machine *m = opaque;

    (void)offset;
    (void)size;
    machine_request_shutdown(m, debug_exit_status(value));
}

static const MemoryRegionOps debug_exit_ops = {
    .write = debug_exit_write,
};

bool debug_exit_create(Machine *m, const char *opts, GError **errp)
{
    DebugExitOptions o;

    if (!debug_exit_parse_options(opts, &o, errp)) {
        return false;
    }
    return address_space_add_io(m->io, DEV_NAME, o.iobase, o.iosize,
                                &debug_exit_ops, m, errp) != NULL;
}

static const DeviceClass debug_exit_class = {
    .name = DEV_NAME,
    .description = "exits with status (V << 1) | 1 when V is written",
    .create = debug_exit_create,
};
DEVICE_REGISTER(debug_exit_class);
