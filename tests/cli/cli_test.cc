/*
 * The command line of the three binaries, run for real: which accelerators
 * each one has, what it says about the ones it lacks, and how bad input is
 * refused (one line naming the problem, exit status 1).
 */
#include <gtest/gtest.h>

#include <glib.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/integration/run_vmm.h"

namespace {

using Args = std::vector<std::string>;

VmmResult run(const Args &argv)
{
    VmmResult r = RunVmm(argv, 60);
    EXPECT_TRUE(r.started) << r.error;
    EXPECT_TRUE(r.exited) << r.Describe();
    return r;
}

VmmResult qemu(const std::string &binary, Args args)
{
    args.insert(args.begin(), Runfile(binary));
    return run(args);
}

/* Names listed by -accel help: lines "  NAME  ...". */
std::vector<std::string> listed_accels(const std::string &out)
{
    std::vector<std::string> names;
    gchar **lines = g_strsplit(out.c_str(), "\n", -1);
    for (gchar **l = lines; *l; l++) {
        if (g_str_has_prefix(*l, "  ")) {
            gchar **words = g_strsplit_set(g_strstrip(*l), " \t", 2);
            names.push_back(words[0]);
            g_strfreev(words);
        }
    }
    g_strfreev(lines);
    return names;
}

struct BinaryCase {
    const char *binary;
    std::vector<std::string> accels;
};

class PerBinary : public ::testing::TestWithParam<BinaryCase> {};

TEST_P(PerBinary, AccelHelpListsExactlyTheLinkedAccelerators)
{
    VmmResult r = qemu(GetParam().binary, {"-accel", "help"});
    EXPECT_EQ(r.exit_status, 0) << r.err;
    EXPECT_EQ(listed_accels(r.out), GetParam().accels) << r.out;
    EXPECT_NE(r.out.find(GetParam().binary), std::string::npos) << r.out;
}

TEST_P(PerBinary, VersionAndHelp)
{
    VmmResult v = qemu(GetParam().binary, {"-version"});
    EXPECT_EQ(v.exit_status, 0);
    EXPECT_EQ(v.out.rfind(std::string(GetParam().binary) + " version ", 0), 0u) << v.out;
    VmmResult h = qemu(GetParam().binary, {"--help"});
    EXPECT_EQ(h.exit_status, 0);
    for (const char *opt : {"-accel", "-kernel", "-initrd", "-append", "-m ", "-smp", "-serial"}) {
        EXPECT_NE(h.out.find(opt), std::string::npos) << opt;
    }
}

TEST_P(PerBinary, UnknownOptionIsOneLineAndStatusOne)
{
    VmmResult r = qemu(GetParam().binary, {"-frobnicate"});
    EXPECT_EQ(r.exit_status, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find("-frobnicate"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.rfind(std::string(GetParam().binary) + ": ", 0), 0u) << r.err;
}

TEST_P(PerBinary, BadValuesAreRefused)
{
    const std::vector<Args> bad = {
        {"-m", "lots"}, {"-m", "0"}, {"-smp", "0"}, {"-smp", "x"},
        {"-serial", "telnet:1"}, {"-kernel"}, {"-machine", "nosuch", "-kernel", "/dev/null"},
        {"-accel", "nosuch", "-kernel", "/dev/null"},
        {"-device", "nosuch", "-kernel", "/dev/null"},
    };
    for (const auto &args : bad) {
        VmmResult r = qemu(GetParam().binary, args);
        EXPECT_EQ(r.exit_status, 1) << args[0] << " " << (args.size() > 1 ? args[1] : "");
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    }
}

TEST_P(PerBinary, MissingKernelIsAnError)
{
    VmmResult r = qemu(GetParam().binary, {});
    EXPECT_EQ(r.exit_status, 1);
    EXPECT_NE(r.err.find("-kernel"), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(
    Binaries, PerBinary,
    ::testing::Values(BinaryCase{"qemu-x86_64-kvm", {"kvm"}},
                      BinaryCase{"qemu-x86_64-tcg", {"tcg"}},
                      BinaryCase{"qemu-x86_64-kvm-tcg", {"kvm", "tcg"}}),
    [](const ::testing::TestParamInfo<BinaryCase> &info) {
        std::string n = info.param.binary;
        std::replace(n.begin(), n.end(), '-', '_');
        return n;
    });

TEST(Cli, KvmBinaryNamesTheBinariesThatHaveTcg)
{
    VmmResult r = qemu("qemu-x86_64-kvm", {"-accel", "tcg", "-kernel", "/dev/null"});
    EXPECT_EQ(r.exit_status, 1);
    EXPECT_EQ(r.err,
              "qemu-x86_64-kvm: accelerator 'tcg' is not built into this binary; "
              "use qemu-x86_64-tcg or qemu-x86_64-kvm-tcg\n");
}

TEST(Cli, TcgBinaryNamesTheBinariesThatHaveKvm)
{
    VmmResult r = qemu("qemu-x86_64-tcg", {"-accel", "kvm", "-kernel", "/dev/null"});
    EXPECT_EQ(r.exit_status, 1);
    EXPECT_EQ(r.err,
              "qemu-x86_64-tcg: accelerator 'kvm' is not built into this binary; "
              "use qemu-x86_64-kvm or qemu-x86_64-kvm-tcg\n");
}

TEST(Cli, TcgIsAlwaysUsable)
{
    VmmResult r = qemu("qemu-x86_64-tcg", {"-accel", "help"});
    EXPECT_NE(r.out.find("tcg"), std::string::npos);
    EXPECT_EQ(r.out.find("not usable"), std::string::npos) << r.out;
}

TEST(Cli, KvmProbeMatchesTheHost)
{
    VmmResult r = qemu("qemu-x86_64-kvm", {"-accel", "help"});
    bool host_has_kvm = g_file_test("/dev/kvm", G_FILE_TEST_EXISTS);
    if (host_has_kvm) {
        EXPECT_EQ(access("/dev/kvm", R_OK | W_OK) == 0, r.out.find("not usable") == std::string::npos) << r.out;
    } else {
        EXPECT_NE(r.out.find("/dev/kvm"), std::string::npos) << r.out;
    }
}

TEST(Cli, Aarch64TcgBinaryRunsUnderUserModeEmulation)
{
    const char *emu = "/usr/bin/qemu-aarch64-static";
    if (!g_file_test(emu, G_FILE_TEST_IS_EXECUTABLE)) {
        GTEST_SKIP() << "qemu-aarch64-static is not installed";
    }
    VmmResult file = run({"/usr/bin/file", "-L", Runfile("qemu-x86_64-tcg-aarch64")});
    EXPECT_NE(file.out.find("ARM aarch64"), std::string::npos) << file.out;
    EXPECT_NE(file.out.find("statically linked"), std::string::npos) << file.out;
    VmmResult r = run({emu, Runfile("qemu-x86_64-tcg-aarch64"), "-accel", "help"});
    EXPECT_EQ(r.exit_status, 0) << r.err;
    EXPECT_EQ(listed_accels(r.out), std::vector<std::string>{"tcg"}) << r.out;
}

TEST(Cli, BinariesAreStatic)
{
    for (const char *b : {"qemu-x86_64-kvm", "qemu-x86_64-tcg", "qemu-x86_64-kvm-tcg"}) {
        VmmResult file = run({"/usr/bin/file", "-L", Runfile(b)});
        EXPECT_NE(file.out.find("statically linked"), std::string::npos) << file.out;
    }
}

}  // namespace
