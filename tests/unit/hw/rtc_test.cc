// MC146818 RTC: time registers in BCD and binary, 12/24 h, SET, UIP, CMOS.
#include <gtest/gtest.h>

#include <time.h>

#include "tests/unit/hw/fake_machine.h"

extern "C" {
#include "hw/timer/rtc.h"
}

namespace {

constexpr int64_t kNs = 1000000000;

// 2024-02-29 13:45:56 UTC, a Thursday.
constexpr int64_t kLeapDay = 1709214356;

class RtcTest : public ::testing::Test {
  protected:
    void SetUp() override { create(512ull << 20, 0); }
    void TearDown() override { rtc_free(rtc_); }

    void create(uint64_t below, uint64_t above)
    {
        if (rtc_) {
            rtc_free(rtc_);
        }
        GError *err = nullptr;
        rtc_ = rtc_create(fm_.m(), RTC_BASE_PORT, below, above, &err);
        ASSERT_NE(rtc_, nullptr) << err->message;
    }
    void use_fake_clock(int64_t ns)
    {
        now_ns_ = ns;
        rtc_set_clock(rtc_, fake_clock, this);
    }
    static int64_t fake_clock(void *opaque)
    {
        return static_cast<RtcTest *>(opaque)->now_ns_;
    }

    uint8_t read(uint8_t reg)
    {
        fm_.out(0x70, reg);
        return (uint8_t)fm_.in(0x71);
    }
    void write(uint8_t reg, uint8_t v)
    {
        fm_.out(0x70, reg);
        fm_.out(0x71, v);
    }

    FakeMachine fm_;
    RTCState *rtc_ = nullptr;
    int64_t now_ns_ = 0;
};

TEST_F(RtcTest, StatusRegistersAtPowerOn)
{
    use_fake_clock(kLeapDay * kNs);
    EXPECT_EQ(read(RTC_REG_A), 0x26);
    EXPECT_EQ(read(RTC_REG_B), RTC_B_24H);      // BCD, 24 h
    EXPECT_EQ(read(RTC_REG_C), 0x00);
    EXPECT_EQ(read(RTC_REG_D), RTC_D_VRT);
    EXPECT_EQ(fm_.in(0x70), 0xff);              // index port is write-only
}

TEST_F(RtcTest, BcdTime)
{
    use_fake_clock(kLeapDay * kNs + 123);
    EXPECT_EQ(read(RTC_SECONDS), 0x56);
    EXPECT_EQ(read(RTC_MINUTES), 0x45);
    EXPECT_EQ(read(RTC_HOURS), 0x13);
    EXPECT_EQ(read(RTC_DAY_OF_WEEK), 0x05);     // Sunday = 1
    EXPECT_EQ(read(RTC_DAY_OF_MONTH), 0x29);
    EXPECT_EQ(read(RTC_MONTH), 0x02);
    EXPECT_EQ(read(RTC_YEAR), 0x24);
    EXPECT_EQ(read(RTC_CENTURY), 0x20);
}

TEST_F(RtcTest, BinaryTime)
{
    use_fake_clock(kLeapDay * kNs);
    write(RTC_REG_B, RTC_B_24H | RTC_B_DM_BINARY);
    EXPECT_EQ(read(RTC_SECONDS), 56);
    EXPECT_EQ(read(RTC_MINUTES), 45);
    EXPECT_EQ(read(RTC_HOURS), 13);
    EXPECT_EQ(read(RTC_DAY_OF_MONTH), 29);
    EXPECT_EQ(read(RTC_MONTH), 2);
    EXPECT_EQ(read(RTC_YEAR), 24);
    EXPECT_EQ(read(RTC_CENTURY), 20);
}

TEST_F(RtcTest, TwelveHourMode)
{
    use_fake_clock(kLeapDay * kNs);             // 13:45
    write(RTC_REG_B, 0);                        // BCD, 12 h
    EXPECT_EQ(read(RTC_HOURS), 0x80 | 0x01);
    write(RTC_REG_B, RTC_B_DM_BINARY);
    EXPECT_EQ(read(RTC_HOURS), 0x80 | 1);
    use_fake_clock((kLeapDay - 13 * 3600) * kNs);   // 00:45 is 12 AM
    write(RTC_REG_B, 0);
    EXPECT_EQ(read(RTC_HOURS), 0x12);
}

TEST_F(RtcTest, FollowsTheHostClock)
{
    write(RTC_REG_B, RTC_B_24H | RTC_B_DM_BINARY);
    time_t before = time(nullptr);
    struct tm tm = {};
    tm.tm_sec = read(RTC_SECONDS);
    tm.tm_min = read(RTC_MINUTES);
    tm.tm_hour = read(RTC_HOURS);
    tm.tm_mday = read(RTC_DAY_OF_MONTH);
    tm.tm_mon = read(RTC_MONTH) - 1;
    tm.tm_year = read(RTC_CENTURY) * 100 + read(RTC_YEAR) - 1900;
    time_t after = time(nullptr);
    time_t rtc = timegm(&tm);
    EXPECT_GE(rtc, before - 1);
    EXPECT_LE(rtc, after + 1);
}

TEST_F(RtcTest, UipOnlyJustBeforeTheUpdate)
{
    use_fake_clock(kLeapDay * kNs + 500000000);
    EXPECT_FALSE(read(RTC_REG_A) & RTC_A_UIP);
    use_fake_clock((kLeapDay + 1) * kNs - RTC_UIP_NS / 2);
    EXPECT_TRUE(read(RTC_REG_A) & RTC_A_UIP);
    EXPECT_EQ(read(RTC_SECONDS), 0x56);         // still the old second
    now_ns_ = (kLeapDay + 1) * kNs;
    EXPECT_FALSE(read(RTC_REG_A) & RTC_A_UIP);
    EXPECT_EQ(read(RTC_SECONDS), 0x57);
}

TEST_F(RtcTest, SetModeFreezesAndCommits)
{
    use_fake_clock(kLeapDay * kNs);
    write(RTC_REG_B, RTC_B_SET | RTC_B_24H);
    // Linux's mc146818_set_time: 1999-12-31 23:59:50.
    write(RTC_SECONDS, 0x50);
    write(RTC_MINUTES, 0x59);
    write(RTC_HOURS, 0x23);
    write(RTC_DAY_OF_MONTH, 0x31);
    write(RTC_MONTH, 0x12);
    write(RTC_YEAR, 0x99);
    write(RTC_CENTURY, 0x19);
    now_ns_ += 5 * kNs;                         // frozen while SET
    EXPECT_EQ(read(RTC_SECONDS), 0x50);
    EXPECT_FALSE(read(RTC_REG_A) & RTC_A_UIP);
    write(RTC_REG_B, RTC_B_24H);
    now_ns_ += 12 * kNs;                        // runs again from there
    EXPECT_EQ(read(RTC_SECONDS), 0x02);
    EXPECT_EQ(read(RTC_MINUTES), 0x00);
    EXPECT_EQ(read(RTC_HOURS), 0x00);
    EXPECT_EQ(read(RTC_DAY_OF_MONTH), 0x01);
    EXPECT_EQ(read(RTC_MONTH), 0x01);
    EXPECT_EQ(read(RTC_YEAR), 0x00);
    EXPECT_EQ(read(RTC_CENTURY), 0x20);
}

TEST_F(RtcTest, DirectWriteMovesTheClock)
{
    use_fake_clock(kLeapDay * kNs);
    write(RTC_MINUTES, 0x10);
    EXPECT_EQ(read(RTC_MINUTES), 0x10);
    EXPECT_EQ(read(RTC_HOURS), 0x13);
    write(RTC_REG_B, 0);                        // 12 h: write 1 AM
    write(RTC_HOURS, 0x01);
    write(RTC_REG_B, RTC_B_24H);
    EXPECT_EQ(read(RTC_HOURS), 0x01);
}

TEST_F(RtcTest, StatusCReportsUpdateEnded)
{
    use_fake_clock(kLeapDay * kNs);
    EXPECT_EQ(read(RTC_REG_C), 0x00);
    now_ns_ += kNs;
    EXPECT_EQ(read(RTC_REG_C), RTC_C_UF);
    EXPECT_EQ(read(RTC_REG_C), 0x00);           // cleared by the read
}

TEST_F(RtcTest, CmosMemoryIsPlainStorage)
{
    write(0x40, 0xa5);
    EXPECT_EQ(read(0x40), 0xa5);
    fm_.out(0x70, 0x80 | 0x40);                 // NMI-disable bit is not index
    EXPECT_EQ(fm_.in(0x71), 0xa5);
    write(RTC_REG_D, 0x00);
    EXPECT_EQ(read(RTC_REG_D), RTC_D_VRT);
}

TEST_F(RtcTest, MemorySizeBelow4G)
{
    // 512 MiB
    EXPECT_EQ(read(0x15) | read(0x16) << 8, 640);
    EXPECT_EQ(read(0x30) | read(0x31) << 8, 0xffff);    // 511 MiB in KiB, capped
    EXPECT_EQ(read(0x17) | read(0x18) << 8, 0xffff);
    EXPECT_EQ(read(0x34) | read(0x35) << 8, (512 - 16) * 16);
    EXPECT_EQ(read(0x5b) | read(0x5c) << 8 | read(0x5d) << 16, 0);

    create(32ull << 20, 0);
    EXPECT_EQ(read(0x30) | read(0x31) << 8, 31 * 1024);
    EXPECT_EQ(read(0x34) | read(0x35) << 8, 16 * 16);
}

TEST_F(RtcTest, MemorySizeAbove4G)
{
    create(3ull << 30, 5ull << 30);
    EXPECT_EQ(read(0x34) | read(0x35) << 8, (3 * 1024 - 16) * 16);
    EXPECT_EQ(read(0x5b) | read(0x5c) << 8 | read(0x5d) << 16, 5 * 1024 * 16);
    EXPECT_EQ(read(0x5f), 0);                   // one CPU
}

}  // namespace
