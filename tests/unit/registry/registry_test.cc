/*
 * The linker-section registry: entries from several static libraries
 * that nothing references are all found, sorted by name, in every build
 * mode; the same test is linked with -z start-stop-gc and --gc-sections
 * (registry_gc_test) and under AddressSanitizer (registry_asan_test).
 */
#include <gtest/gtest.h>

#include <string>
#include <vector>

extern "C" {
#include "tests/unit/registry/test_registry.h"
}

namespace {

std::vector<std::string> sorted_names()
{
    size_t n = 0;
    const void **list = registry_sorted(
        reinterpret_cast<const void *const *>(__start_qemu_test_entry),
        reinterpret_cast<const void *const *>(__stop_qemu_test_entry), &n);
    std::vector<std::string> names;
    for (size_t i = 0; i < n; i++) {
        names.push_back(static_cast<const TestEntry *>(list[i])->name);
    }
    EXPECT_EQ(list[n], nullptr);
    g_free(list);
    return names;
}

TEST(Registry, FindsEveryEntrySortedByName)
{
    EXPECT_EQ(sorted_names(),
              (std::vector<std::string>{"alpha", "middle", "zeta"}));
}

TEST(Registry, EntriesKeepTheirContents)
{
    size_t n = 0;
    const void **list = registry_sorted(
        reinterpret_cast<const void *const *>(__start_qemu_test_entry),
        reinterpret_cast<const void *const *>(__stop_qemu_test_entry), &n);
    ASSERT_EQ(n, 3u);
    EXPECT_EQ(static_cast<const TestEntry *>(list[0])->value, 1);
    EXPECT_EQ(static_cast<const TestEntry *>(list[1])->value, 13);
    EXPECT_EQ(static_cast<const TestEntry *>(list[2])->value, 26);
    g_free(list);
}

TEST(Registry, EmptySectionGivesEmptyList)
{
    size_t n = 99;
    const void **list = registry_sorted(nullptr, nullptr, &n);
    EXPECT_EQ(n, 0u);
    EXPECT_EQ(list[0], nullptr);
    g_free(list);
}

#ifdef REGISTRY_EXPECT_START_STOP_GC
/*
 * Only in the binary linked with -z start-stop-gc: the entry without
 * `retain` is gone, which is the pitfall QEMU_REGISTER avoids.  If this
 * ever finds the entry, the linker flags no longer exercise the pitfall
 * and the retained entries above prove nothing.
 */
TEST(Registry, UnretainedEntryIsCollectedByStartStopGc)
{
    size_t n = 99;
    const void **list = registry_sorted(
        reinterpret_cast<const void *const *>(__start_qemu_test_unretained),
        reinterpret_cast<const void *const *>(__stop_qemu_test_unretained), &n);
    EXPECT_EQ(n, 0u);
    g_free(list);
}
#endif

}  // namespace
