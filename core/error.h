/*
 * Error reporting: single-line messages on stderr, prefixed with the
 * name of the binary ("qemu-x86_64-kvm: ..."), as QEMU's error_report().
 */
#ifndef CORE_ERROR_H
#define CORE_ERROR_H

#include <glib.h>

/* Defined per binary by a generated source; a weak default exists for tests. */
extern const char qemu_binary_name[];

#define QEMU_ERROR (qemu_error_quark())
GQuark qemu_error_quark(void);

void error_report(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void warn_report(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void info_report(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* Reports ERR's message with error_report() and frees it. */
void error_report_err(GError *err);

#endif
