/* One entry from another static library that nothing references. */
#include "tests/unit/registry/test_registry.h"

static const TestEntry middle = { .name = "middle", .value = 13 };

QEMU_REGISTER(qemu_test_entry, TestEntry, middle);
