/*
 * Sorting of linker-section registries.  Every descriptor type starts
 * with `const char *name`, so a descriptor pointer can be read as a
 * pointer to its name.
 */
#include <string.h>

#include "core/registry.h"

static const char *entry_name(const void *entry)
{
    return *(const char *const *)entry;
}

static int compare_entries(const void *a, const void *b)
{
    return strcmp(entry_name(*(const void *const *)a),
                  entry_name(*(const void *const *)b));
}

const void **registry_sorted(const void *const *start,
                             const void *const *stop, size_t *count)
{
    size_t n = 0;
    const void **list;

    /* Weak __start_/__stop_ symbols are both NULL when nothing registered. */
    for (const void *const *p = start; p && p < stop; p++) {
        if (*p) {
            n++;
        }
    }
    list = g_new0(const void *, n + 1);
    n = 0;
    for (const void *const *p = start; p && p < stop; p++) {
        if (*p) {
            list[n++] = *p;
        }
    }
    qsort(list, n, sizeof(*list), compare_entries);
    if (count) {
        *count = n;
    }
    return list;
}
