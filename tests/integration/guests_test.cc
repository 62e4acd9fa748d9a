// Runs every bare-metal payload of tests/guests on every binary and
// accelerator, checking the lines it prints and the exit status
// (isa-debug-exit: pass 0x10 -> 33, fail 0x11 -> 35; reset -> 0).
#include <gtest/gtest.h>

#include <cstdlib>
#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include "tests/integration/run_vmm.h"

namespace {

constexpr int kStatusPass = (0x10 << 1) | 1;
constexpr int kStatusReset = 0;
constexpr double kTimeoutS = 30;

// hello: the e820 map covers the -m 128 of RAM, less what it holds back.
void CheckRamSize(const std::vector<std::string> &lines)
{
    for (const std::string &l : lines) {
        if (l.rfind("ram_mib=", 0) == 0) {
            long mib = std::strtol(l.c_str() + 8, nullptr, 10);
            EXPECT_GE(mib, 120) << l;
            EXPECT_LE(mib, 128) << l;
            return;
        }
    }
    ADD_FAILURE() << "no ram_mib= line";
}

struct Payload {
    const char *name;
    unsigned smp;
    std::string append;
    std::vector<std::string> expect;        // whole lines
    int status;
    // Needs exceptions, interrupts or system calls from CPL3 to CPL0.
    bool needs_cpl3_to_cpl0;
    // Added to -append under kvm_pvm (see tests/guests/README.md).
    std::string pvm_append;
    void (*extra_check)(const std::vector<std::string> &lines);
};

struct AccelConfig {
    const char *name;
    const char *binary;
    const char *accel;      // -accel argument, or nullptr for the default
    bool kvm;
    const char *emulator;   // runs the binary (a cross-built one), or nullptr
};

const Payload kPayloads[] = {
    {"hello", 1, "console=ttyS0 guest-test=hello foo=bar",
     {"Hello from hello", "cmdline: console=ttyS0 guest-test=hello foo=bar",
      "ok entry cs is 0x10", "ok entry ds and ss are 0x18",
      "ok entry interrupts off", "ok entry paging on", "ok entry long mode",
      "PASS hello"},
     kStatusPass, false, "", CheckRamSize},
    {"exceptions", 1, "",
     {"ok #DE", "ok #UD", "ok #GP non-canonical", "ok #GP bad selector",
      "ok #PF read unmapped", "ok #PF write not-present", "PASS exceptions"},
     kStatusPass, false, "int3=0", nullptr},
    {"paging", 1, "",
     {"ok write via high alias, read via low alias",
      "ok written page is accessed and dirty",
      "ok read page is accessed, not dirty",
      "ok remap + INVLPG shows the new page",
      "ok remap + CR3 reload shows the new page",
      "ok write to read-only page: #PF with P|W",
      "ok executing from an NX page: #PF with P|I", "PASS paging"},
     kStatusPass, false, "", nullptr},
    {"timer", 1, "",
     {"ok LAPIC one-shot timer fired once", "ok LAPIC periodic timer ticks",
      "ok PIT interrupts through the IOAPIC", "PASS timer"},
     kStatusPass, false, "", nullptr},
    {"cpl3", 1, "",
     {"user: hello via syscall", "user: hello via int 0x80",
      "ok user part ran at CPL3", "ok SYSCALL returned a value",
      "ok INT 0x80 returned a value", "ok #PF user read of supervisor page",
      "ok #GP on CLI at CPL3", "ok CPL3 computation",
      "ok timer interrupts taken at CPL3", "PASS cpl3"},
     kStatusPass, true, "", nullptr},
    {"smp", 4, "ncpus=4",
     {"BSP 0, 4 CPUs", "AP 1 up", "AP 2 up", "AP 3 up", "3 of 3 APs up",
      "PASS smp"},
     kStatusPass, false, "", nullptr},
    {"reset", 1, "", {"reset: requesting reset through the i8042"},
     kStatusReset, false, "", nullptr},
    {"triplefault", 1, "", {"triplefault: raising #UD with an empty IDT"},
     kStatusReset, false, "", nullptr},
};

const AccelConfig kConfigs[] = {
    {"kvm", "qemu-x86_64-kvm", nullptr, true, nullptr},
    {"tcg", "qemu-x86_64-tcg", nullptr, false, nullptr},
    {"kvmtcg_tcg", "qemu-x86_64-kvm-tcg", "tcg", false, nullptr},
    {"kvmtcg_kvm", "qemu-x86_64-kvm-tcg", "kvm", true, nullptr},
    // The software CPU cross-built for aarch64 hosts, under user-mode emulation.
    {"tcg_aarch64", "qemu-x86_64-tcg-aarch64", nullptr, false,
     "/usr/bin/qemu-aarch64-static"},
};

// Readable parameters in gtest's messages.
void PrintTo(const Payload &p, std::ostream *os)
{
    *os << p.name;
}

void PrintTo(const AccelConfig &c, std::ostream *os)
{
    *os << c.name;
}

// Config-major, so that gtest's sharding (test index modulo shard count)
// mixes accelerators in every shard.
using Param = std::tuple<AccelConfig, Payload>;

class GuestTest : public ::testing::TestWithParam<Param> {};

std::string ParamName(const ::testing::TestParamInfo<Param> &info)
{
    return std::string(std::get<1>(info.param).name) + "_" +
           std::get<0>(info.param).name;
}

std::vector<std::string> BuildArgs(const Payload &p, const AccelConfig &c,
                                   const std::string &append)
{
    std::vector<std::string> args = {Runfile(c.binary)};

    if (c.emulator) {
        args.insert(args.begin(), c.emulator);
    }
    if (c.accel) {
        args.insert(args.end(), {"-accel", c.accel});
    }
    args.insert(args.end(), {
        "-m", "128",
        "-smp", std::to_string(p.smp),
        "-nographic",
        "-no-reboot",
        "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
        "-kernel", Runfile(std::string("tests/guests/") + p.name + ".elf"),
    });
    if (!append.empty()) {
        args.insert(args.end(), {"-append", append});
    }
    return args;
}

TEST_P(GuestTest, Runs)
{
    const AccelConfig &c = std::get<0>(GetParam());
    const Payload &p = std::get<1>(GetParam());
    std::string append = p.append;
    std::string why;

    if (c.kvm) {
        if (!HostKvmUsable(&why)) {
            GTEST_SKIP() << "KVM not usable: " << why;
        }
        if (HostKvmIsPvm()) {
            if (p.needs_cpl3_to_cpl0) {
                GTEST_SKIP() << "host KVM is kvm_pvm, which cannot return "
                                "from CPL3 to CPL0 (ARCHITECTURE.md)";
            }
            if (!p.pvm_append.empty()) {
                append += (append.empty() ? "" : " ") + p.pvm_append;
            }
        }
    }
    if (c.emulator && !FileExists(c.emulator)) {
        GTEST_SKIP() << c.emulator << " is not installed (qemu-user-static)";
    }
    ASSERT_TRUE(FileExists(Runfile(c.binary))) << Runfile(c.binary);

    std::vector<std::string> args = BuildArgs(p, c, append);
    std::string cmd;
    for (const std::string &a : args) {
        cmd += (cmd.empty() ? "" : " ") + a;
    }
    SCOPED_TRACE(cmd);
    VmmResult r = RunVmm(args, kTimeoutS);
    std::vector<std::string> lines = SplitLines(r.out);

    ASSERT_TRUE(r.started) << r.Describe();
    ASSERT_FALSE(r.timed_out) << r.Describe();
    ASSERT_TRUE(r.exited) << r.Describe();
    EXPECT_EQ(p.status, r.exit_status) << r.Describe();
    for (const std::string &want : p.expect) {
        EXPECT_TRUE(HasLine(lines, want))
            << "missing line \"" << want << "\"\n" << r.Describe();
    }
    EXPECT_FALSE(HasLineStartingWith(lines, "not ok ")) << r.Describe();
    EXPECT_FALSE(HasLineStartingWith(lines, "FAIL ")) << r.Describe();
    if (p.status != kStatusPass) {
        EXPECT_FALSE(HasLineStartingWith(lines, "PASS ")) << r.Describe();
    }
    if (p.extra_check) {
        p.extra_check(lines);
    }
}

INSTANTIATE_TEST_SUITE_P(Guests, GuestTest,
                         ::testing::Combine(::testing::ValuesIn(kConfigs),
                                            ::testing::ValuesIn(kPayloads)),
                         ParamName);

}  // namespace
