// ACPI fixed hardware: PM1a event/control registers, the PM timer, soft-off
// through SLP_TYP|SLP_EN (with the SLP_TYP the DSDT's \_S5 gives) and the
// 0xcf9 reset register.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>

extern "C" {
#include "core/machine.h"
#include "core/main_loop.h"
#include "core/memory.h"
#include "hw/acpi/acpi.h"
#include "hw/acpi/pm.h"
}

namespace {

class AcpiPmTest : public ::testing::Test {
  protected:
    void SetUp() override
    {
        m_.io = address_space_new("io", ADDRESS_SPACE_IO);
        m_.memory = address_space_new("memory", ADDRESS_SPACE_MEMORY);
        m_.ncpus = 1;
        // A reset then ends the run with status 0 (no reboot to schedule).
        cfg_.no_reboot = true;
        m_.cfg = &cfg_;
        GError *err = nullptr;
        pm_ = acpi_pm_create(&m_, &err);
        ASSERT_NE(pm_, nullptr) << err->message;
    }
    void TearDown() override
    {
        acpi_pm_free(pm_);
        address_space_free(m_.io);
        address_space_free(m_.memory);
    }

    uint64_t in(uint16_t port, unsigned size)
    {
        uint64_t v = 0;
        EXPECT_TRUE(address_space_read_val(m_.io, port, size, &v));
        return v;
    }
    void out(uint16_t port, uint64_t value, unsigned size)
    {
        EXPECT_TRUE(address_space_write_val(m_.io, port, size, value));
    }

    // Does OUT(PORT, VALUE) end the run, and with which status?  Run in a
    // death test's child: 99 when nothing was requested.
    int exit_status_after(uint16_t port, uint64_t value, unsigned size)
    {
        if (main_loop_quitting()) {
            return 98;
        }
        out(port, value, size);
        if (!main_loop_quitting()) {
            return 99;
        }
        return main_loop_run();
    }

    MachineConfig cfg_{};
    Machine m_{};
    AcpiPM *pm_ = nullptr;
};

constexpr uint16_t kSlpEn = ACPI_PM1_CNT_SLP_EN;

uint16_t slp_typ(unsigned typ)
{
    return (uint16_t)(typ << ACPI_PM1_CNT_SLP_TYP_SHIFT);
}

TEST_F(AcpiPmTest, ControlReadsSciEnabled)
{
    EXPECT_EQ(in(ACPI_PM1_CNT_ADDR, 2), ACPI_PM1_CNT_SCI_EN);
    // Writing 0 cannot leave ACPI mode; SLP_TYP sticks, SLP_EN reads 0.
    out(ACPI_PM1_CNT_ADDR, slp_typ(3), 2);
    EXPECT_EQ(in(ACPI_PM1_CNT_ADDR, 2), slp_typ(3) | ACPI_PM1_CNT_SCI_EN);
}

TEST_F(AcpiPmTest, StatusAndEnable)
{
    EXPECT_EQ(in(ACPI_PM1_EVT_ADDR, 2), 0u);   // no events ever
    out(ACPI_PM1_EVT_ADDR + 2, 0x0121, 2);
    EXPECT_EQ(in(ACPI_PM1_EVT_ADDR + 2, 2), 0x0121u);
    out(ACPI_PM1_EVT_ADDR + 3, 0x05, 1);
    EXPECT_EQ(in(ACPI_PM1_EVT_ADDR + 2, 2), 0x0521u);
    // One 32-bit access covers status (low half) and enable (high half);
    // status bits are write-one-to-clear, so they stay 0.
    out(ACPI_PM1_EVT_ADDR, 0x0001ffffu, 4);
    EXPECT_EQ(in(ACPI_PM1_EVT_ADDR, 4), 0x00010000u);
}

TEST_F(AcpiPmTest, TimerFollowsHostClock)
{
    uint32_t before = acpi_pm_timer_at(clock_ns());
    uint64_t v = in(ACPI_PM_TMR_ADDR, 4);
    uint32_t after = acpi_pm_timer_at(clock_ns());
    EXPECT_EQ(v & ~0xffffffull, 0u);            // 24 bits
    EXPECT_LE((v - before) & ACPI_PM_TIMER_MASK, (after - before) & ACPI_PM_TIMER_MASK);

    usleep(2000);
    uint64_t w = in(ACPI_PM_TMR_ADDR, 4);
    uint32_t delta = (uint32_t)(w - v) & ACPI_PM_TIMER_MASK;
    EXPECT_GE(delta, 7159u);                    // at least 2 ms at 3.579545 MHz
    EXPECT_LT(delta, 3579545u);                 // and well under a second
}

TEST(AcpiPmTimer, Rate)
{
    EXPECT_EQ(acpi_pm_timer_at(0), 0u);
    EXPECT_EQ(acpi_pm_timer_at(1000000000), 3579545u);
    EXPECT_EQ(acpi_pm_timer_at(1000), 3u);
    // Wraps at 24 bits, and far-away times do not overflow.
    EXPECT_EQ(acpi_pm_timer_at(5000000000ll), 17897725u & 0xffffffu);
    int64_t year = 365ll * 24 * 3600 * 1000000000ll;
    EXPECT_EQ(acpi_pm_timer_at(year),
              (uint32_t)((365ull * 24 * 3600 * 3579545ull) & 0xffffff));
}

TEST_F(AcpiPmTest, SecondInstanceConflicts)
{
    GError *err = nullptr;
    EXPECT_EQ(acpi_pm_create(&m_, &err), nullptr);
    ASSERT_NE(err, nullptr);
    g_clear_error(&err);
}

TEST_F(AcpiPmTest, ResetRegisterReadsBack)
{
    out(ACPI_RESET_PORT, 0x02, 1);              // SYS_RST alone: no reset
    EXPECT_FALSE(main_loop_quitting());
    EXPECT_EQ(in(ACPI_RESET_PORT, 1), 0x02u);
}

using AcpiPmDeathTest = AcpiPmTest;

TEST_F(AcpiPmDeathTest, SoftOffShutsDownWithStatus0)
{
    EXPECT_EXIT(exit(exit_status_after(ACPI_PM1_CNT_ADDR,
                                       slp_typ(ACPI_SLP_TYP_S5) | kSlpEn, 2)),
                ::testing::ExitedWithCode(0), "");
}

TEST_F(AcpiPmDeathTest, SoftOffThroughHighByte)
{
    EXPECT_EXIT(exit(exit_status_after(ACPI_PM1_CNT_ADDR + 1,
                                       (slp_typ(ACPI_SLP_TYP_S5) | kSlpEn) >> 8, 1)),
                ::testing::ExitedWithCode(0), "");
}

TEST_F(AcpiPmDeathTest, SlpTypWithoutSlpEnDoesNothing)
{
    EXPECT_EXIT(exit(exit_status_after(ACPI_PM1_CNT_ADDR,
                                       slp_typ(ACPI_SLP_TYP_S5), 2)),
                ::testing::ExitedWithCode(99), "");
}

TEST_F(AcpiPmDeathTest, OtherSleepStatesAreIgnored)
{
    EXPECT_EXIT(exit(exit_status_after(ACPI_PM1_CNT_ADDR, slp_typ(1) | kSlpEn, 2)),
                ::testing::ExitedWithCode(99), "");
}

TEST_F(AcpiPmDeathTest, ResetValueRequestsReset)
{
    EXPECT_EXIT(exit(exit_status_after(ACPI_RESET_PORT, ACPI_RESET_VALUE, 1)),
                ::testing::ExitedWithCode(0), "");
}

TEST_F(AcpiPmDeathTest, ResetWithoutRstCpuDoesNothing)
{
    EXPECT_EXIT(exit(exit_status_after(ACPI_RESET_PORT, 0x02, 1)),
                ::testing::ExitedWithCode(99), "");
}

// What Linux's acpi_power_off() does: SLP_TYP from \_S5 in the DSDT, then
// SLP_TYP | SLP_EN to the PM1a_CNT port the FADT names.
TEST_F(AcpiPmDeathTest, PowerOffWithTheTablesValues)
{
    ASSERT_NE(address_space_add_ram(m_.memory, "ram", 0, 0x100000, nullptr), nullptr);
    GError *err = nullptr;
    ASSERT_TRUE(acpi_build(m_.memory, 1, 0, &err));
    uint64_t xsdt = 0, fadt = 0, dsdt = 0, cnt = 0;
    ASSERT_TRUE(address_space_read(m_.memory, ACPI_RSDP_ADDR + 24, &xsdt, 8));
    ASSERT_TRUE(address_space_read(m_.memory, xsdt + 36, &fadt, 8));
    ASSERT_TRUE(address_space_read(m_.memory, fadt + 40, &dsdt, 4));
    ASSERT_TRUE(address_space_read(m_.memory, fadt + 64, &cnt, 4));
    uint8_t aml[14];
    ASSERT_TRUE(address_space_read(m_.memory, dsdt + 36, aml, sizeof(aml)));
    ASSERT_EQ(aml[0], 0x08);                    // Name (_S5, Package {
    ASSERT_EQ(aml[8], 0x0a);                    //   BytePrefix SLP_TYP ...
    uint16_t typ = aml[9];
    EXPECT_EXIT(exit(exit_status_after((uint16_t)cnt, slp_typ(typ) | kSlpEn, 2)),
                ::testing::ExitedWithCode(0), "");
}

}  // namespace
