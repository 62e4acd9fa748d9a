/*
 * Registration through linker sections.
 *
 * A descriptor registers itself by placing a *pointer* to it in a named
 * section; the linker gathers every such pointer between the symbols
 * __start_<section> and __stop_<section>.  Pointers, not the descriptors
 * themselves, go into the section so that AddressSanitizer's redzones
 * around globals cannot break the fixed stride of the iteration.
 *
 * `retain` marks the section SHF_GNU_RETAIN so that lld's
 * `-z start-stop-gc` and `--gc-sections` keep it even though nothing
 * references an entry by name.  Static libraries that only register
 * things must still be linked with alwayslink = True.
 *
 * Every registered descriptor type starts with `const char *name`, which
 * is what registry_sorted() orders by: link order never shows.
 */
#ifndef CORE_REGISTRY_H
#define CORE_REGISTRY_H

#include <glib.h>

#define QEMU_REGISTRY_ATTR(sec) \
    __attribute__((used, retain, section(#sec), aligned(sizeof(void *))))

/* Declares the bounds of a section of descriptor pointers of TYPE. */
#define QEMU_REGISTRY_DECLARE(sec, type)                                  \
    extern const type *const __start_##sec[] __attribute__((weak));       \
    extern const type *const __stop_##sec[] __attribute__((weak))

/* Registers the descriptor DESC (a const object of TYPE) in SECTION. */
#define QEMU_REGISTER(sec, type, desc)                                    \
    static const type *const qemu_registry_##sec##_##desc                 \
        QEMU_REGISTRY_ATTR(sec) = &(desc)

/*
 * Returns the entries between START and STOP sorted by name, as a
 * NULL-terminated array owned by the caller (g_free); *COUNT gets their
 * number when COUNT is not NULL.
 */
const void **registry_sorted(const void *const *start,
                             const void *const *stop, size_t *count);

#endif
