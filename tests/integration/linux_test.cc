// Debian's cloud kernel with a busybox initramfs whose /init prints a
// marker, the memory and the CPUs the kernel found, then powers off
// (the cloud kernel finds CPUs only through ACPI: it has no MP-table
// support).
// Each configuration skips with the reason when this host cannot run it.
#include <gtest/gtest.h>

#include <glob.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/integration/run_vmm.h"

namespace {

std::string CloudKernel()
{
    glob_t g;
    std::string path;
    if (glob("/boot/vmlinuz-*-cloud-amd64", 0, nullptr, &g) == 0 && g.gl_pathc) {
        path = g.gl_pathv[g.gl_pathc - 1];
    }
    globfree(&g);
    return path;
}

struct LinuxConfig {
    const char *name;
    const char *binary;
    const char *accel;
    unsigned smp;
};

class LinuxBoot : public ::testing::TestWithParam<LinuxConfig> {};

TEST_P(LinuxBoot, ReachesInitWithTheRightMemoryAndCpus)
{
    const LinuxConfig &c = GetParam();
    std::string kernel = CloudKernel();
    if (kernel.empty()) {
        GTEST_SKIP() << "no /boot/vmlinuz-*-cloud-amd64 (linux-image-cloud-amd64)";
    }
    if (std::string(c.accel) == "kvm") {
        std::string why;
        if (!HostKvmUsable(&why)) {
            GTEST_SKIP() << "KVM unusable: " << why;
        }
        if (HostKvmIsPvm()) {
            GTEST_SKIP() << "this host's KVM is kvm_pvm (software-assisted): it "
                            "emulates guest kernel code at about a million "
                            "instructions per second, too slow to boot Linux";
        }
    }
    VmmResult r = RunVmm({Runfile(c.binary), "-accel", c.accel, "-m", "256",
                          "-smp", std::to_string(c.smp), "-nographic", "-no-reboot",
                          "-kernel", kernel,
                          "-initrd", Runfile("tests/integration/marker-initramfs.cpio.gz"),
                          "-append", "console=ttyS0 panic=-1"},
                         600);
    std::vector<std::string> lines = SplitLines(r.out);
    ASSERT_TRUE(HasLine(lines, "EMU-INIT-MARKER")) << r.Describe();
    EXPECT_TRUE(HasLine(lines, "CPUs: " + std::to_string(c.smp))) << r.Describe();
    long mem_kb = -1;
    for (const std::string &l : lines) {
        if (l.rfind("MemTotal:", 0) == 0) {
            mem_kb = strtol(l.c_str() + 9, nullptr, 10);
        }
    }
    // 256 MiB less what the kernel keeps for itself.
    EXPECT_GT(mem_kb, 180 * 1024) << r.Describe();
    EXPECT_LE(mem_kb, 256 * 1024) << r.Describe();
    EXPECT_TRUE(r.exited && r.exit_status == 0) << "power-off must end the run: "
                                                 << r.Describe();
}

std::vector<std::string> TcgLinuxArgs(const std::string &kernel, bool no_reboot)
{
    std::vector<std::string> args = {
        Runfile("qemu-x86_64-tcg"), "-m", "256", "-nographic", "-kernel", kernel,
        "-initrd", Runfile("tests/integration/marker-initramfs.cpio.gz"),
        "-append", "console=ttyS0 panic=-1 emu.reboot"};
    if (no_reboot) {
        args.push_back("-no-reboot");
    }
    return args;
}

size_t Count(const std::vector<std::string> &lines, const std::string &line)
{
    return std::count(lines.begin(), lines.end(), line);
}

// Linux's reboot (ACPI reset register, then the i8042) ends the run with
// status 0 under -no-reboot, as in QEMU.
TEST(LinuxReboot, EndsTheRunUnderNoReboot)
{
    std::string kernel = CloudKernel();
    if (kernel.empty()) {
        GTEST_SKIP() << "no /boot/vmlinuz-*-cloud-amd64 (linux-image-cloud-amd64)";
    }
    VmmResult r = RunVmm(TcgLinuxArgs(kernel, true), 600);
    std::vector<std::string> lines = SplitLines(r.out);
    EXPECT_EQ(Count(lines, "EMU-INIT-MARKER"), 1u) << r.Describe();
    EXPECT_TRUE(r.exited && r.exit_status == 0) << r.Describe();
}

// Without -no-reboot the machine reboots: the kernel is loaded again and
// reaches /init a second time.
TEST(LinuxReboot, RebootsWithoutNoReboot)
{
    std::string kernel = CloudKernel();
    if (kernel.empty()) {
        GTEST_SKIP() << "no /boot/vmlinuz-*-cloud-amd64 (linux-image-cloud-amd64)";
    }
    VmmResult r = RunVmm(TcgLinuxArgs(kernel, false), 600, [](const std::string &out) {
        return Count(SplitLines(out), "EMU-INIT-MARKER") >= 2;
    });
    EXPECT_TRUE(r.stopped) << "no second boot: " << r.Describe();
    EXPECT_FALSE(r.timed_out) << r.Describe();
}

INSTANTIATE_TEST_SUITE_P(Accels, LinuxBoot,
                         ::testing::Values(LinuxConfig{"kvm", "qemu-x86_64-kvm", "kvm", 1},
                                           LinuxConfig{"tcg", "qemu-x86_64-tcg", "tcg", 1},
                                           // CPUs found through the ACPI MADT
                                           LinuxConfig{"tcg_smp2", "qemu-x86_64-tcg", "tcg", 2}),
                         [](const ::testing::TestParamInfo<LinuxConfig> &info) {
                             return std::string(info.param.name);
                         });

}  // namespace
