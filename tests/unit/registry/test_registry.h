/* A registry section used only by the registry tests. */
#ifndef TESTS_UNIT_REGISTRY_TEST_REGISTRY_H
#define TESTS_UNIT_REGISTRY_TEST_REGISTRY_H

#include "core/registry.h"

typedef struct TestEntry {
    const char *name;
    int value;
} TestEntry;

QEMU_REGISTRY_DECLARE(qemu_test_entry, TestEntry);

/*
 * The pitfall the registry guards against: entries placed in a section
 * with `used` but without `retain` are dropped by lld's -z start-stop-gc.
 */
QEMU_REGISTRY_DECLARE(qemu_test_unretained, TestEntry);
#define TEST_REGISTER_UNRETAINED(desc)                                      \
    static const TestEntry *const unretained_##desc                         \
        __attribute__((used, section("qemu_test_unretained"))) = &(desc)

#endif
