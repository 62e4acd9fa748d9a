// i8042: the commands Linux's probe uses, IRQs, and reset requests.
#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/unit/hw/fake_machine.h"

extern "C" {
#include "hw/misc/i8042.h"
}

namespace {

class I8042Test : public ::testing::Test {
  protected:
    void SetUp() override
    {
        GError *err = nullptr;
        kbc_ = i8042_create(fm_.m(), &err);
        ASSERT_NE(kbc_, nullptr) << err->message;
    }
    void TearDown() override { i8042_free(kbc_); }

    uint8_t status() { return (uint8_t)fm_.in(I8042_CMD_PORT); }
    void command(uint8_t c) { fm_.out(I8042_CMD_PORT, c); }
    void data(uint8_t v) { fm_.out(I8042_DATA_PORT, v); }
    // Like i8042_wait_read(): the byte must be there at once.
    int read_data()
    {
        if (!(status() & I8042_STR_OBF)) {
            return -1;
        }
        return (int)fm_.in(I8042_DATA_PORT);
    }
    uint8_t ctr()
    {
        command(0x20);
        return (uint8_t)read_data();
    }

    FakeMachine fm_;
    I8042State *kbc_ = nullptr;
};

TEST_F(I8042Test, IdleStatusHasNoData)
{
    uint8_t st = status();
    EXPECT_NE(st, 0xff);                        // a controller is present
    EXPECT_FALSE(st & I8042_STR_OBF);           // i8042_flush() ends at once
    EXPECT_FALSE(st & I8042_STR_IBF);           // never busy
    EXPECT_TRUE(st & I8042_STR_SYS);
}

TEST_F(I8042Test, SelfTest)
{
    command(0xaa);
    EXPECT_TRUE(status() & I8042_STR_CMD);
    EXPECT_EQ(read_data(), 0x55);
    EXPECT_FALSE(status() & I8042_STR_OBF);
}

TEST_F(I8042Test, ReadAndWriteCommandByte)
{
    EXPECT_EQ(ctr(), I8042_CTR_KBDINT | I8042_CTR_AUXINT | I8042_CTR_SYS |
                         I8042_CTR_XLATE);
    command(0x60);
    data(0x65);
    EXPECT_FALSE(status() & I8042_STR_CMD);
    EXPECT_EQ(ctr(), 0x65);
}

TEST_F(I8042Test, PortEnableDisableBits)
{
    command(0xad);
    EXPECT_TRUE(ctr() & I8042_CTR_KBDDIS);
    command(0xae);
    EXPECT_FALSE(ctr() & I8042_CTR_KBDDIS);
    command(0xa7);
    EXPECT_TRUE(ctr() & I8042_CTR_AUXDIS);
    command(0xa8);
    EXPECT_FALSE(ctr() & I8042_CTR_AUXDIS);
}

TEST_F(I8042Test, InterfaceTestsPass)
{
    command(0xab);
    EXPECT_EQ(read_data(), 0x00);
    command(0xa9);
    EXPECT_EQ(read_data(), 0x00);
}

TEST_F(I8042Test, KeyboardIrqFollowsOutputBuffer)
{
    command(0x60);
    data(I8042_CTR_KBDINT | I8042_CTR_XLATE);
    EXPECT_FALSE(fm_.level(I8042_KBD_IRQ));
    data(0xff);                                 // keyboard reset
    EXPECT_TRUE(fm_.level(I8042_KBD_IRQ));
    EXPECT_EQ(read_data(), 0xfa);
    EXPECT_TRUE(fm_.level(I8042_KBD_IRQ));      // BAT result still queued
    EXPECT_EQ(read_data(), 0xaa);
    EXPECT_FALSE(fm_.level(I8042_KBD_IRQ));
    EXPECT_EQ(read_data(), -1);

    command(0x60);
    data(0);                                    // interrupts off
    data(0xf2);
    EXPECT_FALSE(fm_.level(I8042_KBD_IRQ));
    EXPECT_EQ(read_data(), 0xfa);
    EXPECT_EQ(read_data(), 0xab);
    EXPECT_EQ(read_data(), 0x83);               // untranslated id
}

TEST_F(I8042Test, KeyboardCommandWithParameter)
{
    data(0xed);                                 // set LEDs
    EXPECT_EQ(read_data(), 0xfa);
    data(0x07);
    EXPECT_EQ(read_data(), 0xfa);
    data(0xee);                                 // echo
    EXPECT_EQ(read_data(), 0xee);
}

// i8042_check_aux(): AUX loopback comes back as AUX data on IRQ 12.
TEST_F(I8042Test, AuxLoopback)
{
    command(0xd3);
    data(0x5a);
    uint8_t st = status();
    EXPECT_TRUE(st & I8042_STR_OBF);
    EXPECT_TRUE(st & I8042_STR_AUXDATA);
    EXPECT_TRUE(fm_.level(I8042_AUX_IRQ));
    EXPECT_FALSE(fm_.level(I8042_KBD_IRQ));
    EXPECT_EQ(read_data(), 0x5a);
    EXPECT_FALSE(fm_.level(I8042_AUX_IRQ));
}

TEST_F(I8042Test, NoMouseTimesOut)
{
    command(0xd4);
    data(0xff);
    uint8_t st = status();
    EXPECT_TRUE(st & I8042_STR_AUXDATA);
    EXPECT_TRUE(st & I8042_STR_TIMEOUT);
    EXPECT_EQ(read_data(), 0xfe);
}

TEST_F(I8042Test, OutputPortReadAndNoResetWhenBit0Set)
{
    command(0xd0);
    EXPECT_EQ(read_data() & 0x03, 0x03);        // not in reset, A20 on
    command(0xd1);
    data(0x01);
    EXPECT_FALSE(main_loop_quitting());
    command(0xd0);
    EXPECT_EQ(read_data(), 0x01);
    command(0xff);                              // pulse no line
    EXPECT_FALSE(main_loop_quitting());
}

// With -no-reboot, a reset request ends the run with status 0.
int reset_status(FakeMachine *fm, uint16_t port, uint8_t value, uint16_t port2 = 0,
                 uint8_t value2 = 0)
{
    if (main_loop_quitting()) {
        return 98;
    }
    static MachineConfig cfg;
    cfg.no_reboot = true;
    fm->m()->cfg = &cfg;
    fm->out(port, value);
    if (port2) {
        fm->out(port2, value2);
    }
    if (!main_loop_quitting()) {
        return 99;
    }
    return main_loop_run();
}

using I8042DeathTest = I8042Test;

TEST_F(I8042DeathTest, PulseResetLineRequestsReset)
{
    EXPECT_EXIT(exit(reset_status(&fm_, I8042_CMD_PORT, 0xfe)),
                ::testing::ExitedWithCode(0), "");
}

TEST_F(I8042DeathTest, OutputPortBit0ClearRequestsReset)
{
    EXPECT_EXIT(exit(reset_status(&fm_, I8042_CMD_PORT, 0xd1, I8042_DATA_PORT, 0x02)),
                ::testing::ExitedWithCode(0), "");
}

TEST_F(I8042DeathTest, NoResetMeansNoShutdown)
{
    EXPECT_EXIT(exit(reset_status(&fm_, I8042_CMD_PORT, 0xaa)),
                ::testing::ExitedWithCode(99), "");
}

}  // namespace
