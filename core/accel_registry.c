/*
 * The accelerators linked into this binary.
 */
#include <string.h>

#include "accel/accel.h"

const AccelOps **accel_list(void)
{
    return (const AccelOps **)registry_sorted(
        (const void *const *)__start_qemu_accel,
        (const void *const *)__stop_qemu_accel, NULL);
}

const AccelOps *accel_find(const char *name)
{
    g_autofree const AccelOps **list = accel_list();

    for (const AccelOps **p = list; *p; p++) {
        if (strcmp((*p)->name, name) == 0) {
            return *p;
        }
    }
    return NULL;
}
