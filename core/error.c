/*
 * Error reporting on stderr, prefixed with the binary's name.
 */
#include <stdarg.h>
#include <stdio.h>

#include "core/error.h"

/* Each binary defines a strong qemu_binary_name; tests get this one. */
const char qemu_binary_name[] __attribute__((weak)) = "qemu-x86_64";

G_DEFINE_QUARK(qemu-error-quark, qemu_error)

static void vreport(const char *prefix, const char *fmt, va_list ap)
{
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);

    /* One fprintf so that lines from several threads do not interleave. */
    fprintf(stderr, "%s: %s%s\n", qemu_binary_name, prefix, msg);
}

void error_report(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vreport("", fmt, ap);
    va_end(ap);
}

void warn_report(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vreport("warning: ", fmt, ap);
    va_end(ap);
}

void info_report(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vreport("", fmt, ap);
    va_end(ap);
}

void error_report_err(GError *err)
{
    if (!err) {
        return;
    }
    error_report("%s", err->message);
    g_error_free(err);
}
