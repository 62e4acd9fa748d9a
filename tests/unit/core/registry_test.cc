// Tests for the registries (core/registry.c, machine.c, accel_registry.c)
// and error reporting (core/error.c).
#include <gtest/gtest.h>

#include <string>

extern "C" {
#include "accel/accel.h"
#include "core/error.h"
#include "core/machine.h"
}

namespace {

// Registered on purpose in the wrong order: the lists must be sorted.
const MachineClass test_zeta = {"test-zeta", "last", nullptr, nullptr};
const MachineClass test_alpha = {"test-alpha", "first", nullptr, nullptr};
const DeviceClass test_dev_b = {"test-dev-b", "b", nullptr};
const DeviceClass test_dev_a = {"test-dev-a", "a", nullptr};
MACHINE_REGISTER(test_zeta);
MACHINE_REGISTER(test_alpha);
DEVICE_REGISTER(test_dev_b);
DEVICE_REGISTER(test_dev_a);

TEST(RegistryTest, SortsByName)
{
    struct Named {
        const char *name;
        int value;
    };
    const Named c = {"c", 3}, a = {"a", 1}, b = {"b", 2};
    const void *const entries[] = {&c, &a, &b};
    size_t n = 0;
    const void **sorted = registry_sorted(entries, entries + 3, &n);
    ASSERT_EQ(n, 3u);
    EXPECT_EQ(sorted[0], &a);
    EXPECT_EQ(sorted[1], &b);
    EXPECT_EQ(sorted[2], &c);
    EXPECT_EQ(sorted[3], nullptr);
    g_free(sorted);

    sorted = registry_sorted(nullptr, nullptr, &n);
    EXPECT_EQ(n, 0u);
    EXPECT_EQ(sorted[0], nullptr);
    g_free(sorted);
}

TEST(RegistryTest, MachinesAndDevicesFromTheSection)
{
    const MachineClass **machines = machine_list();
    ASSERT_NE(machines[0], nullptr);
    ASSERT_NE(machines[1], nullptr);
    EXPECT_EQ(machines[0], &test_alpha);
    EXPECT_EQ(machines[1], &test_zeta);
    EXPECT_EQ(machines[2], nullptr);
    g_free(machines);
    EXPECT_EQ(machine_find("test-zeta"), &test_zeta);
    EXPECT_EQ(machine_find("nope"), nullptr);

    const DeviceClass **devices = device_list();
    ASSERT_NE(devices[0], nullptr);
    EXPECT_EQ(devices[0], &test_dev_a);
    EXPECT_EQ(devices[1], &test_dev_b);
    EXPECT_EQ(devices[2], nullptr);
    g_free(devices);
    EXPECT_EQ(device_find("test-dev-a"), &test_dev_a);
}

TEST(RegistryTest, NoAcceleratorLinkedIsAnEmptyList)
{
    const AccelOps **accels = accel_list();
    EXPECT_EQ(accels[0], nullptr);
    g_free(accels);
    EXPECT_EQ(accel_find("kvm"), nullptr);
}

TEST(ErrorTest, ReportsArePrefixedWithTheBinaryName)
{
    testing::internal::CaptureStderr();
    error_report("bad %s", "thing");
    warn_report("careful %d", 3);
    info_report("note");
    error_report_err(g_error_new(QEMU_ERROR, 0, "from %s", "gerror"));
    std::string out = testing::internal::GetCapturedStderr();
    EXPECT_EQ(out,
              "qemu-x86_64: bad thing\n"
              "qemu-x86_64: warning: careful 3\n"
              "qemu-x86_64: note\n"
              "qemu-x86_64: from gerror\n");
    EXPECT_NE(QEMU_ERROR, 0u);
    EXPECT_EQ(QEMU_ERROR, qemu_error_quark());
}

}  // namespace
