/* Two entries, registered out of order, from one static library. */
#include "tests/unit/registry/test_registry.h"

static const TestEntry zeta = { .name = "zeta", .value = 26 };
static const TestEntry alpha = { .name = "alpha", .value = 1 };

QEMU_REGISTER(qemu_test_entry, TestEntry, zeta);
QEMU_REGISTER(qemu_test_entry, TestEntry, alpha);

static const TestEntry lost = { .name = "lost", .value = -1 };
TEST_REGISTER_UNRETAINED(lost);
