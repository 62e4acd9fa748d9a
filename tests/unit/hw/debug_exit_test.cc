// isa-debug-exit: options, registration, and the exit status formula.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include "tests/unit/hw/fake_machine.h"

extern "C" {
#include "hw/misc/debug_exit.h"
}

namespace {

TEST(DebugExitOptions, Defaults)
{
    DebugExitOptions o;
    GError *err = nullptr;
    ASSERT_TRUE(debug_exit_parse_options("", &o, &err));
    EXPECT_EQ(o.iobase, 0x501);
    EXPECT_EQ(o.iosize, 2u);
    ASSERT_TRUE(debug_exit_parse_options(nullptr, &o, &err));
    EXPECT_EQ(o.iobase, 0x501);
}

TEST(DebugExitOptions, HexAndDecimal)
{
    DebugExitOptions o;
    GError *err = nullptr;
    ASSERT_TRUE(debug_exit_parse_options("iobase=0xf4,iosize=0x04", &o, &err));
    EXPECT_EQ(o.iobase, 0xf4);
    EXPECT_EQ(o.iosize, 4u);
    ASSERT_TRUE(debug_exit_parse_options("iosize=1,iobase=244", &o, &err));
    EXPECT_EQ(o.iobase, 244);
    EXPECT_EQ(o.iosize, 1u);
    ASSERT_TRUE(debug_exit_parse_options("iobase=0xffff,iosize=1", &o, &err));
    EXPECT_EQ(o.iobase, 0xffff);
}

void expect_error(const char *opts, const char *fragment)
{
    DebugExitOptions o;
    GError *err = nullptr;
    EXPECT_FALSE(debug_exit_parse_options(opts, &o, &err)) << opts;
    ASSERT_NE(err, nullptr) << opts;
    EXPECT_NE(strstr(err->message, fragment), nullptr)
        << opts << ": " << err->message;
    EXPECT_EQ(strchr(err->message, '\n'), nullptr);
    g_error_free(err);
}

TEST(DebugExitOptions, Errors)
{
    expect_error("foo=1", "unknown option 'foo'");
    expect_error("iobase=0xf4,bar", "unknown option 'bar'");
    expect_error("iobase", "needs a value");
    expect_error("iobase=xyz", "invalid number 'xyz'");
    expect_error("iobase=", "invalid number ''");
    expect_error("iobase=-1", "invalid number '-1'");
    expect_error("iobase= 1", "invalid number ' 1'");
    expect_error("iosize=4k", "invalid number '4k'");
    expect_error("iobase=0x10000", "not a port");
    expect_error("iobase=99999999999999999999999", "invalid number");
    expect_error("iosize=0", "iosize");
    expect_error("iobase=0xfffe,iosize=4", "does not fit");
}

TEST(DebugExitStatus, Formula)
{
    EXPECT_EQ(debug_exit_status(0), 1);
    EXPECT_EQ(debug_exit_status(1), 3);
    EXPECT_EQ(debug_exit_status(0x31), 0x63);
    EXPECT_EQ(debug_exit_status(0x7f), 0xff);
    EXPECT_EQ(debug_exit_status(0xffffffff) & 0xff, 0xff);
    EXPECT_GE(debug_exit_status(0xffffffffffffffffull), 0);
}

TEST(DebugExitDevice, IsRegistered)
{
    const DeviceClass *dc = device_find("isa-debug-exit");
    ASSERT_NE(dc, nullptr);
    EXPECT_EQ(dc->create, debug_exit_create);
}

TEST(DebugExitDevice, MapsTheRequestedPorts)
{
    FakeMachine fm;
    GError *err = nullptr;
    ASSERT_TRUE(debug_exit_create(fm.m(), "iobase=0xf4,iosize=0x04", &err));
    for (uint16_t port = 0xf4; port < 0xf8; port++) {
        EXPECT_NE(address_space_lookup(fm.m()->io, port), nullptr) << port;
    }
    EXPECT_EQ(address_space_lookup(fm.m()->io, 0xf3), nullptr);
    EXPECT_EQ(address_space_lookup(fm.m()->io, 0xf8), nullptr);
    EXPECT_EQ(fm.in(0xf4), 0xffu);              // write-only
    EXPECT_FALSE(main_loop_quitting());

    EXPECT_FALSE(debug_exit_create(fm.m(), "iobase=0xf6", &err));   // overlaps
    ASSERT_NE(err, nullptr);
    g_clear_error(&err);
    EXPECT_FALSE(debug_exit_create(fm.m(), "size=4", &err));
    ASSERT_NE(err, nullptr);
    g_clear_error(&err);
}

int write_and_run(uint16_t port, uint64_t value, unsigned size)
{
    FakeMachine fm;
    GError *err = nullptr;
    if (!debug_exit_create(fm.m(), "iobase=0xf4,iosize=0x04", &err)) {
        return 97;
    }
    fm.out(port, value, size);
    return main_loop_run();
}

TEST(DebugExitDeathTest, WriteEndsTheRunWithStatus)
{
    EXPECT_EXIT(exit(write_and_run(0xf4, 0x31, 4)), ::testing::ExitedWithCode(0x63), "");
    EXPECT_EXIT(exit(write_and_run(0xf4, 0x00, 1)), ::testing::ExitedWithCode(1), "");
    EXPECT_EXIT(exit(write_and_run(0xf7, 0x10, 1)), ::testing::ExitedWithCode(0x21), "");
}

}  // namespace
