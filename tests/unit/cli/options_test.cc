// Command-line parsing: every option, valid and invalid.
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

extern "C" {
#include "core/options.h"
}

namespace {

constexpr uint64_t MiB = 1ull << 20;
constexpr uint64_t GiB = 1ull << 30;

class OptionsTest : public ::testing::Test {
protected:
    void TearDown() override { machine_config_clear(&cfg); }

    // Parses "prog ARGS..."; on failure the message is left in error.
    bool Parse(std::initializer_list<const char *> args)
    {
        std::vector<std::string> storage{"qemu-x86_64-test"};
        for (const char *a : args) {
            storage.emplace_back(a);
        }
        std::vector<char *> argv;
        for (std::string &s : storage) {
            argv.push_back(s.data());
        }
        argv.push_back(nullptr);

        machine_config_clear(&cfg);
        GError *err = nullptr;
        bool ok = options_parse(static_cast<int>(storage.size()), argv.data(),
                                &cfg, &req, &err);
        error = err ? err->message : "";
        if (err) {
            g_error_free(err);
        }
        EXPECT_EQ(ok, err == nullptr);
        return ok;
    }

    // Expects the parse to fail with exactly MESSAGE.
    void ExpectError(std::initializer_list<const char *> args,
                     const std::string &message)
    {
        EXPECT_FALSE(Parse(args));
        EXPECT_EQ(error, message);
        // A failed parse leaves nothing behind.
        EXPECT_EQ(cfg.machine, nullptr);
        EXPECT_EQ(cfg.accels, nullptr);
        EXPECT_EQ(cfg.devices, nullptr);
    }

    uint64_t Ram(const char *size)
    {
        EXPECT_TRUE(Parse({"-m", size})) << size << ": " << error;
        return cfg.ram_size;
    }

    std::vector<std::string> Strv(char **v)
    {
        std::vector<std::string> out;
        for (; v && *v; v++) {
            out.emplace_back(*v);
        }
        return out;
    }

    MachineConfig cfg{};
    OptionsRequest req{};
    std::string error;
};

using Strings = std::vector<std::string>;

TEST_F(OptionsTest, Defaults)
{
    ASSERT_TRUE(Parse({}));
    EXPECT_STREQ(cfg.machine, "microvm");
    EXPECT_EQ(Strv(cfg.accels), (Strings{"kvm", "tcg"}));
    EXPECT_FALSE(req.accel_given);
    EXPECT_EQ(cfg.ram_size, 256 * MiB);
    EXPECT_EQ(cfg.smp, 1u);
    EXPECT_EQ(cfg.kernel, nullptr);
    EXPECT_EQ(cfg.initrd, nullptr);
    EXPECT_EQ(cfg.append, nullptr);
    EXPECT_EQ(cfg.serial, SERIAL_STDIO);
    EXPECT_EQ(cfg.serial_path, nullptr);
    EXPECT_FALSE(cfg.no_reboot);
    EXPECT_FALSE(cfg.start_paused);
    ASSERT_NE(cfg.devices, nullptr);
    EXPECT_EQ(cfg.devices[0], nullptr);
    EXPECT_FALSE(req.help || req.version || req.accel_help ||
                 req.machine_help || req.device_help || req.nographic ||
                 req.display_none);
}

TEST_F(OptionsTest, ClearIsIdempotent)
{
    ASSERT_TRUE(Parse({"-kernel", "k", "-device", "x"}));
    machine_config_clear(&cfg);
    EXPECT_EQ(cfg.kernel, nullptr);
    machine_config_clear(&cfg);
}

TEST_F(OptionsTest, AccelList)
{
    ASSERT_TRUE(Parse({"-accel", "tcg"}));
    EXPECT_EQ(Strv(cfg.accels), (Strings{"tcg"}));
    EXPECT_TRUE(req.accel_given);

    ASSERT_TRUE(Parse({"-accel", "kvm:tcg"}));
    EXPECT_EQ(Strv(cfg.accels), (Strings{"kvm", "tcg"}));
    EXPECT_TRUE(req.accel_given);

    ASSERT_TRUE(Parse({"-accel", "tcg:kvm"}));
    EXPECT_EQ(Strv(cfg.accels), (Strings{"tcg", "kvm"}));
}

TEST_F(OptionsTest, AccelRepeatedAppendsWithoutDuplicates)
{
    ASSERT_TRUE(Parse({"-accel", "kvm", "-accel", "tcg"}));
    EXPECT_EQ(Strv(cfg.accels), (Strings{"kvm", "tcg"}));

    ASSERT_TRUE(Parse({"-accel", "kvm:tcg", "-accel", "kvm"}));
    EXPECT_EQ(Strv(cfg.accels), (Strings{"kvm", "tcg"}));
}

TEST_F(OptionsTest, AccelNamesAreCheckedLaterNotHere)
{
    // Whether "foo" is linked is main's question.
    ASSERT_TRUE(Parse({"-accel", "foo"}));
    EXPECT_EQ(Strv(cfg.accels), (Strings{"foo"}));
}

TEST_F(OptionsTest, AccelHelp)
{
    ASSERT_TRUE(Parse({"-accel", "help"}));
    EXPECT_TRUE(req.accel_help);
    EXPECT_FALSE(req.accel_given);
    EXPECT_EQ(Strv(cfg.accels), (Strings{"kvm", "tcg"}));

    ASSERT_TRUE(Parse({"-accel", "?"}));
    EXPECT_TRUE(req.accel_help);
}

TEST_F(OptionsTest, AccelErrors)
{
    ExpectError({"-accel", ""}, "-accel: missing accelerator name");
    ExpectError({"-accel", "kvm::tcg"},
                "-accel: empty accelerator name in 'kvm::tcg'");
    ExpectError({"-accel", "kvm:"}, "-accel: empty accelerator name in 'kvm:'");
    ExpectError({"-accel", "tcg,thread=single"},
                "-accel: accelerator properties are not supported: "
                "'tcg,thread=single'");
    ExpectError({"-accel"}, "option '-accel' needs an argument");
}

TEST_F(OptionsTest, EnableKvm)
{
    ASSERT_TRUE(Parse({"-enable-kvm"}));
    EXPECT_EQ(Strv(cfg.accels), (Strings{"kvm"}));
    EXPECT_TRUE(req.accel_given);
}

TEST_F(OptionsTest, Machine)
{
    ASSERT_TRUE(Parse({"-machine", "microvm"}));
    EXPECT_STREQ(cfg.machine, "microvm");

    // Any name passes here; main checks it against the registry.
    ASSERT_TRUE(Parse({"-M", "pc"}));
    EXPECT_STREQ(cfg.machine, "pc");

    ASSERT_TRUE(Parse({"-machine", "type=microvm"}));
    EXPECT_STREQ(cfg.machine, "microvm");

    ASSERT_TRUE(Parse({"-M", "a", "-M", "b"}));
    EXPECT_STREQ(cfg.machine, "b");
}

TEST_F(OptionsTest, MachineAccelProperty)
{
    ASSERT_TRUE(Parse({"-machine", "microvm,accel=kvm:tcg"}));
    EXPECT_STREQ(cfg.machine, "microvm");
    EXPECT_EQ(Strv(cfg.accels), (Strings{"kvm", "tcg"}));
    EXPECT_TRUE(req.accel_given);

    ASSERT_TRUE(Parse({"-machine", "accel=tcg"}));
    EXPECT_STREQ(cfg.machine, "microvm");
    EXPECT_EQ(Strv(cfg.accels), (Strings{"tcg"}));
}

TEST_F(OptionsTest, MachineHelp)
{
    ASSERT_TRUE(Parse({"-machine", "help"}));
    EXPECT_TRUE(req.machine_help);
    ASSERT_TRUE(Parse({"-M", "?"}));
    EXPECT_TRUE(req.machine_help);
}

TEST_F(OptionsTest, MachineErrors)
{
    ExpectError({"-machine", ""}, "-machine: missing machine type");
    ExpectError({"-machine", "type="}, "-machine: missing machine type");
    ExpectError({"-machine", "microvm,pit=off"},
                "-machine: unsupported property 'pit=off'");
    ExpectError({"-M"}, "option '-M' needs an argument");
}

TEST_F(OptionsTest, RamSizePlainNumberIsMiB)
{
    EXPECT_EQ(Ram("512"), 512 * MiB);
    EXPECT_EQ(Ram("16"), 16 * MiB);
    EXPECT_EQ(Ram("4096"), 4 * GiB);
}

TEST_F(OptionsTest, RamSizeSuffixes)
{
    EXPECT_EQ(Ram("1G"), GiB);
    EXPECT_EQ(Ram("1g"), GiB);
    EXPECT_EQ(Ram("2GiB"), 2 * GiB);
    EXPECT_EQ(Ram("2gb"), 2 * GiB);
    EXPECT_EQ(Ram("300M"), 300 * MiB);
    EXPECT_EQ(Ram("300m"), 300 * MiB);
    EXPECT_EQ(Ram("65536K"), 64 * MiB);
    EXPECT_EQ(Ram("65536k"), 64 * MiB);
    EXPECT_EQ(Ram("1T"), 1024 * GiB);
    EXPECT_EQ(Ram("33554432B"), 32 * MiB);
    EXPECT_EQ(Ram("1.5G"), GiB + GiB / 2);
    EXPECT_EQ(Ram("0.25G"), 256 * MiB);
    EXPECT_EQ(Ram("size=2G"), 2 * GiB);
}

TEST_F(OptionsTest, RamSizeRoundsUpToPages)
{
    EXPECT_EQ(Ram("16777217B"), 16 * MiB + 4096);
    EXPECT_EQ(Ram("100.001M") % 4096, 0u);
}

TEST_F(OptionsTest, RamSizeErrors)
{
    ExpectError({"-m", "abc"}, "-m: invalid size 'abc'");
    ExpectError({"-m", ""}, "-m: invalid size ''");
    ExpectError({"-m", "0"}, "-m: invalid size '0'");
    ExpectError({"-m", "0G"}, "-m: invalid size '0G'");
    ExpectError({"-m", "-5"}, "-m: invalid size '-5'");
    ExpectError({"-m", "12X"}, "-m: invalid size '12X'");
    ExpectError({"-m", "1GX"}, "-m: invalid size '1GX'");
    ExpectError({"-m", "1Bb"}, "-m: invalid size '1Bb'");
    ExpectError({"-m", "1."}, "-m: invalid size '1.'");
    ExpectError({"-m", ".5G"}, "-m: invalid size '.5G'");
    ExpectError({"-m", " 1G"}, "-m: invalid size ' 1G'");
    ExpectError({"-m", "1 G"}, "-m: invalid size '1 G'");
    ExpectError({"-m", "15"}, "-m: RAM size too small: '15' (minimum 16M)");
    ExpectError({"-m", "4096K"},
                "-m: RAM size too small: '4096K' (minimum 16M)");
    ExpectError({"-m", "2T"}, "-m: RAM size '2T' is too large (maximum 1T)");
    ExpectError({"-m", "99999999999999999999999"},
                "-m: RAM size '99999999999999999999999' is too large "
                "(maximum 1T)");
    ExpectError({"-m", "17592186044416T"},
                "-m: RAM size '17592186044416T' is too large (maximum 1T)");
    ExpectError({"-m", "1G,maxmem=4G"}, "-m: unsupported property 'maxmem=4G'");
    ExpectError({"-m", "slots=2"}, "-m: unsupported property 'slots=2'");
    ExpectError({"-m", "size="}, "-m: invalid size ''");
    ExpectError({"-m"}, "option '-m' needs an argument");
}

TEST_F(OptionsTest, Smp)
{
    ASSERT_TRUE(Parse({"-smp", "4"}));
    EXPECT_EQ(cfg.smp, 4u);
    ASSERT_TRUE(Parse({"-smp", "cpus=2"}));
    EXPECT_EQ(cfg.smp, 2u);
    ASSERT_TRUE(Parse({"-smp", "255"}));
    EXPECT_EQ(cfg.smp, 255u);
    ASSERT_TRUE(Parse({"-smp", "1"}));
    EXPECT_EQ(cfg.smp, 1u);
}

TEST_F(OptionsTest, SmpTopology)
{
    ASSERT_TRUE(Parse({"-smp", "4,sockets=1,cores=4,threads=1"}));
    EXPECT_EQ(cfg.smp, 4u);
    ASSERT_TRUE(Parse({"-smp", "sockets=2,cores=2,threads=2"}));
    EXPECT_EQ(cfg.smp, 8u);
    ASSERT_TRUE(Parse({"-smp", "2,maxcpus=2"}));
    EXPECT_EQ(cfg.smp, 2u);
    ExpectError({"-smp", "4,sockets=1,cores=2"},
                "-smp: sockets*dies*cores*threads is 2, not the CPU count 4");
    ExpectError({"-smp", "2,maxcpus=4"},
                "-smp: maxcpus must equal the CPU count: CPU hotplug is not "
                "supported");
    ExpectError({"-smp", "4,cores=0"}, "-smp: invalid value 'cores=0'");
    ExpectError({"-smp", "4,cores=x"}, "-smp: invalid value 'cores=x'");
    ExpectError({"-smp", "4,books=1"}, "-smp: unsupported property 'books=1'");
    ExpectError({"-smp", "4,4"}, "-smp: unsupported property '4'");
}

TEST_F(OptionsTest, SmpErrors)
{
    ExpectError({"-smp", "0"}, "-smp: invalid CPU count '0'");
    ExpectError({"-smp", "cpus=0"}, "-smp: invalid CPU count '0'");
    ExpectError({"-smp", "abc"}, "-smp: invalid CPU count 'abc'");
    ExpectError({"-smp", ""}, "-smp: invalid CPU count ''");
    ExpectError({"-smp", "-1"}, "-smp: invalid CPU count '-1'");
    ExpectError({"-smp", "2x"}, "-smp: invalid CPU count '2x'");
    ExpectError({"-smp", "cpus=two"}, "-smp: invalid CPU count 'two'");
    ExpectError({"-smp", "256"}, "-smp: invalid CPU count '256' (maximum 255)");
    ExpectError({"-smp", "99999999999999999999999"},
                "-smp: invalid CPU count '99999999999999999999999'");
    ExpectError({"-smp"}, "option '-smp' needs an argument");
}

TEST_F(OptionsTest, KernelInitrdAppend)
{
    ASSERT_TRUE(Parse({"-kernel", "/boot/vmlinuz", "-initrd", "/tmp/rd.img",
                       "-append", "console=ttyS0 quiet"}));
    EXPECT_STREQ(cfg.kernel, "/boot/vmlinuz");
    EXPECT_STREQ(cfg.initrd, "/tmp/rd.img");
    EXPECT_STREQ(cfg.append, "console=ttyS0 quiet");

    // The last one wins, as in QEMU; an argument may begin with a dash.
    ASSERT_TRUE(Parse({"-kernel", "a", "-kernel", "b", "-append", "-x"}));
    EXPECT_STREQ(cfg.kernel, "b");
    EXPECT_STREQ(cfg.append, "-x");

    ASSERT_TRUE(Parse({"-append", ""}));
    EXPECT_STREQ(cfg.append, "");
}

TEST_F(OptionsTest, KernelInitrdAppendErrors)
{
    ExpectError({"-kernel"}, "option '-kernel' needs an argument");
    ExpectError({"-initrd"}, "option '-initrd' needs an argument");
    ExpectError({"-append"}, "option '-append' needs an argument");
    ExpectError({"-kernel", ""}, "-kernel: empty file name");
    ExpectError({"-initrd", ""}, "-initrd: empty file name");
}

TEST_F(OptionsTest, Serial)
{
    ASSERT_TRUE(Parse({"-serial", "stdio"}));
    EXPECT_EQ(cfg.serial, SERIAL_STDIO);
    ASSERT_TRUE(Parse({"-serial", "mon:stdio"}));
    EXPECT_EQ(cfg.serial, SERIAL_STDIO);
    ASSERT_TRUE(Parse({"-serial", "none"}));
    EXPECT_EQ(cfg.serial, SERIAL_NONE);
    ASSERT_TRUE(Parse({"-serial", "file:/tmp/out.log"}));
    EXPECT_EQ(cfg.serial, SERIAL_FILE);
    EXPECT_STREQ(cfg.serial_path, "/tmp/out.log");
    ASSERT_TRUE(Parse({"-serial", "file:a:b"}));
    EXPECT_STREQ(cfg.serial_path, "a:b");
}

TEST_F(OptionsTest, SerialErrors)
{
    ExpectError({"-serial", "pty"},
                "-serial: unsupported backend 'pty' (use stdio, file:PATH or "
                "none)");
    ExpectError({"-serial", "file:"},
                "-serial: unsupported backend 'file:' (use stdio, file:PATH "
                "or none)");
    ExpectError({"-serial", ""},
                "-serial: unsupported backend '' (use stdio, file:PATH or "
                "none)");
    ExpectError({"-serial", "stdio", "-serial", "none"},
                "-serial: only one serial port is supported");
    ExpectError({"-serial"}, "option '-serial' needs an argument");
}

TEST_F(OptionsTest, NographicImpliesSerialStdio)
{
    ASSERT_TRUE(Parse({"-nographic"}));
    EXPECT_TRUE(req.nographic);
    EXPECT_EQ(cfg.serial, SERIAL_STDIO);

    // An explicit -serial wins, before or after -nographic.
    ASSERT_TRUE(Parse({"-nographic", "-serial", "none"}));
    EXPECT_EQ(cfg.serial, SERIAL_NONE);
    ASSERT_TRUE(Parse({"-serial", "file:x", "-nographic"}));
    EXPECT_EQ(cfg.serial, SERIAL_FILE);
    EXPECT_STREQ(cfg.serial_path, "x");
}

TEST_F(OptionsTest, Display)
{
    ASSERT_TRUE(Parse({"-display", "none"}));
    EXPECT_TRUE(req.display_none);
    ExpectError({"-display", "gtk"},
                "-display: unsupported display 'gtk' (only 'none')");
    ExpectError({"-display"}, "option '-display' needs an argument");
}

TEST_F(OptionsTest, Flags)
{
    ASSERT_TRUE(Parse({"-no-reboot", "-S"}));
    EXPECT_TRUE(cfg.no_reboot);
    EXPECT_TRUE(cfg.start_paused);

    ASSERT_TRUE(Parse({"-version"}));
    EXPECT_TRUE(req.version);
    ASSERT_TRUE(Parse({"-help"}));
    EXPECT_TRUE(req.help);
    ASSERT_TRUE(Parse({"-h"}));
    EXPECT_TRUE(req.help);
}

TEST_F(OptionsTest, DevicesAreRepeatableAndKeepOrder)
{
    ASSERT_TRUE(Parse({"-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                       "-device", "foo", "-device", "isa-debug-exit"}));
    EXPECT_EQ(Strv(cfg.devices),
              (Strings{"isa-debug-exit,iobase=0xf4,iosize=0x04", "foo",
                       "isa-debug-exit"}));
}

TEST_F(OptionsTest, DeviceHelpAndErrors)
{
    ASSERT_TRUE(Parse({"-device", "help"}));
    EXPECT_TRUE(req.device_help);
    EXPECT_EQ(Strv(cfg.devices), Strings{});
    ExpectError({"-device", ""}, "-device: missing device name");
    ExpectError({"-device", ",iobase=1"}, "-device: missing device name");
    ExpectError({"-device"}, "option '-device' needs an argument");
}

TEST_F(OptionsTest, DoubleDashSpelling)
{
    ASSERT_TRUE(Parse({"--m", "1G", "--smp", "2", "--kernel", "k",
                       "--accel", "tcg", "--nographic", "--no-reboot",
                       "--device", "d", "--machine", "microvm", "--S"}));
    EXPECT_EQ(cfg.ram_size, GiB);
    EXPECT_EQ(cfg.smp, 2u);
    EXPECT_STREQ(cfg.kernel, "k");
    EXPECT_EQ(Strv(cfg.accels), (Strings{"tcg"}));
    EXPECT_TRUE(req.nographic);
    EXPECT_TRUE(cfg.no_reboot);
    EXPECT_TRUE(cfg.start_paused);
    EXPECT_EQ(Strv(cfg.devices), (Strings{"d"}));

    ASSERT_TRUE(Parse({"--help"}));
    EXPECT_TRUE(req.help);
    ASSERT_TRUE(Parse({"--version"}));
    EXPECT_TRUE(req.version);

    // Errors name the option with one dash whatever was typed.
    ExpectError({"--kernel"}, "option '-kernel' needs an argument");
    ExpectError({"--m", "x"}, "-m: invalid size 'x'");
}

TEST_F(OptionsTest, UnknownOptions)
{
    ExpectError({"-foo"}, "unknown option '-foo'");
    ExpectError({"--foo"}, "unknown option '--foo'");
    ExpectError({"---m", "1G"}, "unknown option '---m'");
    ExpectError({"--"}, "unknown option '--'");
    ExpectError({"-M1G"}, "unknown option '-M1G'");
    ExpectError({"--m=1G"}, "unknown option '--m=1G'");
    ExpectError({"-KERNEL", "k"}, "unknown option '-KERNEL'");
    // An error stops the parse at the first bad option.
    ExpectError({"-smp", "0", "-foo"}, "-smp: invalid CPU count '0'");
}

TEST_F(OptionsTest, StrayArguments)
{
    ExpectError({"disk.img"}, "unexpected argument 'disk.img'");
    ExpectError({"-"}, "unexpected argument '-'");
    ExpectError({"-kernel", "k", "extra"}, "unexpected argument 'extra'");
}

TEST_F(OptionsTest, LaterOptionsAreNotSupportedYet)
{
    ExpectError({"-drive", "file=disk.img,if=virtio,format=raw"},
                "option '-drive' is not supported yet");
    ExpectError({"-netdev", "user,id=n0"},
                "option '-netdev' is not supported yet");
    ExpectError({"-qmp", "unix:/tmp/q,server"},
                "option '-qmp' is not supported yet");
    ExpectError({"-gdb", "tcp::1234"}, "option '-gdb' is not supported yet");
    ExpectError({"-s"}, "option '-s' is not supported yet");
    // Even without its argument, and with two dashes.
    ExpectError({"-drive"}, "option '-drive' is not supported yet");
    ExpectError({"--gdb"}, "option '-gdb' is not supported yet");
}

TEST_F(OptionsTest, FullQemuStyleCommandLine)
{
    ASSERT_TRUE(Parse({"-accel", "kvm:tcg", "-M", "microvm", "-m", "512M",
                       "-smp", "2", "-kernel", "bzImage", "-initrd",
                       "initramfs.cpio", "-append", "console=ttyS0 panic=-1",
                       "-nographic", "-no-reboot", "-device",
                       "isa-debug-exit,iobase=0xf4,iosize=0x04"}));
    EXPECT_EQ(Strv(cfg.accels), (Strings{"kvm", "tcg"}));
    EXPECT_STREQ(cfg.machine, "microvm");
    EXPECT_EQ(cfg.ram_size, 512 * MiB);
    EXPECT_EQ(cfg.smp, 2u);
    EXPECT_STREQ(cfg.kernel, "bzImage");
    EXPECT_STREQ(cfg.initrd, "initramfs.cpio");
    EXPECT_STREQ(cfg.append, "console=ttyS0 panic=-1");
    EXPECT_EQ(cfg.serial, SERIAL_STDIO);
    EXPECT_TRUE(cfg.no_reboot);
    EXPECT_EQ(Strv(cfg.devices),
              (Strings{"isa-debug-exit,iobase=0xf4,iosize=0x04"}));
}

TEST_F(OptionsTest, HelpTextListsEveryOption)
{
    char *text = nullptr;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    ASSERT_NE(out, nullptr);
    options_print_help(out);
    fclose(out);
    std::string help(text, len);
    free(text);

    for (const char *opt : {"-accel NAME", "-enable-kvm", "-machine NAME",
                            "-M NAME", "-m [size=]SIZE", "-smp [cpus=]N",
                            "-kernel FILE", "-initrd FILE", "-append CMDLINE",
                            "-serial stdio|file:PATH|none", "-nographic",
                            "-display none", "-no-reboot",
                            "-device NAME[,OPTS]", "-S ", "-version",
                            "-help", "-h "}) {
        EXPECT_NE(help.find(opt), std::string::npos) << opt;
    }
    EXPECT_NE(help.find("default: 256M"), std::string::npos);
    EXPECT_NE(help.find("default: microvm"), std::string::npos);
    EXPECT_NE(help.find("default: kvm:tcg"), std::string::npos);
    EXPECT_NE(help.find("Not supported yet: -drive -netdev -qmp -gdb -s\n"),
              std::string::npos);
}

}  // namespace
