// The 8254 PIT through its ports: channel 2 as Linux's TSC calibration
// drives it, latches and read-back, and IRQ 0 from channel 0.
#include "tests/unit/intc/fake_machine.h"

#include <vector>

extern "C" {
#include "hw/intc/x86_intc.h"
#include "hw/timer/pit.h"
}

namespace {

constexpr double kPitHz = 1193182.0;

struct IrqLog {
    std::vector<bool> levels;
    int rises = 0;
    bool level = false;
};

void record_irq(Machine *m, unsigned gsi, bool level)
{
    IrqLog *log = static_cast<IrqLog *>(m->irq_opaque);
    EXPECT_TRUE(bql_locked());
    if (gsi != 0) {
        return;
    }
    if (level && !log->level) {
        log->rises++;
    }
    log->level = level;
    log->levels.push_back(level);
}

class PitTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        f = FakeMachine::create();
        log = new IrqLog;
        f->m.set_irq = record_irq;
        f->m.irq_opaque = log;
        g_autoptr(GError) err = nullptr;
        ASSERT_TRUE(x86_pit_init(&f->m, &err));
    }
    void TearDown() override
    {
        // Leave no timer armed for the tests that follow.
        f->outb(0x43, 0x30);
    }

    uint16_t latch_read(unsigned ch)
    {
        f->outb(0x43, ch << 6);
        uint16_t lo = f->inb(0x40 + ch);
        return lo | (f->inb(0x40 + ch) << 8);
    }

    FakeMachine *f;
    IrqLog *log;
};

TEST_F(PitTest, Channel2Mode0OutputAfterCount)
{
    const uint16_t count = 11932;           // 10 ms
    // As pit_calibrate_tsc(): gate on, speaker off, mode 0, LSB then MSB.
    f->outb(0x61, (f->inb(0x61) & ~0x02) | 0x01);
    f->outb(0x43, 0xb0);
    f->outb(0x42, count & 0xff);
    int64_t t0 = clock_ns();
    f->outb(0x42, count >> 8);
    EXPECT_EQ(f->inb(0x61) & 0x20, 0);
    EXPECT_EQ(f->inb(0x61) & 0x01, 0x01);

    int64_t end = t0 + 2000000000;
    bool out = false;
    while (clock_ns() < end && !(out = f->inb(0x61) & 0x20)) {
        g_usleep(20);
    }
    int64_t elapsed = clock_ns() - t0;
    ASSERT_TRUE(out);
    EXPECT_GE(elapsed, (int64_t)(count / kPitHz * 1e9));
    // OUT stays high; the counter wrapped and goes on.
    EXPECT_TRUE(f->inb(0x61) & 0x20);
    EXPECT_GT(latch_read(2), count);
    EXPECT_TRUE(log->levels.empty());       // channel 2 has no IRQ
}

TEST_F(PitTest, RefreshBitToggles)
{
    uint8_t a = f->inb(0x61) & 0x10;
    uint8_t b = f->inb(0x61) & 0x10;
    EXPECT_NE(a, b);
    f->outb(0x61, 0x02);
    EXPECT_EQ(f->inb(0x61) & 0x03, 0x02);
}

TEST_F(PitTest, GateLowHoldsMode0Count)
{
    f->outb(0x61, 0x00);                    // gate off
    f->outb(0x43, 0xb0);
    f->outb(0x42, 0x00);
    f->outb(0x42, 0x80);                    // 27 ms
    g_usleep(5000);
    EXPECT_EQ(latch_read(2), 0x8000);       // not counting
    EXPECT_EQ(f->inb(0x61) & 0x20, 0);
    f->outb(0x61, 0x01);
    g_usleep(5000);
    uint16_t v = latch_read(2);
    EXPECT_LT(v, 0x8000);
    f->outb(0x61, 0x00);                    // paused again: the count holds
    v = latch_read(2);
    g_usleep(2000);
    EXPECT_EQ(latch_read(2), v);
}

TEST_F(PitTest, CountsDownAndLatches)
{
    f->outb(0x61, 0x01);
    f->outb(0x43, 0xb0);                    // channel 2, mode 0, 55 ms
    f->outb(0x42, 0xff);
    f->outb(0x42, 0xff);
    uint16_t a = latch_read(2);
    g_usleep(2000);
    uint16_t b = latch_read(2);
    EXPECT_LT(b, a);
    EXPECT_GE(a - b, 2000 * 1193 / 1000);

    // A latched value does not move until it is read.
    f->outb(0x43, 0x80);
    g_usleep(1000);
    uint16_t lo = f->inb(0x42);
    uint16_t latched = lo | (f->inb(0x42) << 8);
    uint16_t now = latch_read(2);
    EXPECT_LE(latched, b);
    EXPECT_GE(latched - now, 1000 * 1193 / 1000);

    // Without a latch, LSB/MSB reads alternate.
    uint8_t l1 = f->inb(0x42);
    uint8_t m1 = f->inb(0x42);
    EXPECT_LE((unsigned)(m1 << 8 | l1), (unsigned)now + 255);
}

TEST_F(PitTest, ReadBackStatus)
{
    f->outb(0x43, 0xb6);                    // channel 2, LSB/MSB, mode 3
    f->outb(0x43, 0xe8);                    // read-back status of channel 2
    EXPECT_EQ(f->inb(0x42), 0x40 | 0x36 | 0x80);  // null count, OUT high
    f->outb(0x42, 0x34);
    f->outb(0x42, 0x12);
    f->outb(0x43, 0xc8);                    // count and status
    uint8_t status = f->inb(0x42);
    EXPECT_EQ(status & 0x7f, 0x36);         // count loaded
    uint16_t v = f->inb(0x42);
    v |= f->inb(0x42) << 8;
    EXPECT_LE(v, 0x1234);
}

TEST_F(PitTest, LsbOnlyAccess)
{
    f->outb(0x43, 0x90);                    // channel 2, LSB only, mode 0
    f->outb(0x42, 0x80);
    f->outb(0x43, 0x80);                    // latch channel 2
    EXPECT_LE(f->inb(0x42), 0x80);
}

TEST_F(PitTest, Channel0Mode2RaisesIrq0Repeatedly)
{
    f->outb(0x43, 0x34);
    f->outb(0x40, 1193 & 0xff);             // 1 ms
    f->outb(0x40, 1193 >> 8);
    ASSERT_TRUE(run_main_loop_until([&] { return log->rises >= 5; }));
    EXPECT_FALSE(log->level);               // pulses, not a stuck line
    f->outb(0x43, 0x30);
    int rises = log->rises;
    run_main_loop_until([] { return false; }, std::chrono::milliseconds(10));
    EXPECT_EQ(log->rises, rises);           // reprogramming stopped it
}

TEST_F(PitTest, Channel0Mode0RaisesIrq0Once)
{
    f->outb(0x43, 0x30);
    f->outb(0x40, 1193 & 0xff);
    f->outb(0x40, 1193 >> 8);
    EXPECT_FALSE(log->level);
    ASSERT_TRUE(run_main_loop_until([&] { return log->rises >= 1; }));
    EXPECT_TRUE(log->level);                // OUT stays high in mode 0
    run_main_loop_until([] { return false; }, std::chrono::milliseconds(10));
    EXPECT_EQ(log->rises, 1);
    f->outb(0x43, 0x30);
    EXPECT_FALSE(log->level);
}

TEST_F(PitTest, Channel0Mode4Strobe)
{
    f->outb(0x43, 0x38);                    // Linux's one-shot clockevent
    f->outb(0x40, 1193 & 0xff);
    f->outb(0x40, 1193 >> 8);
    ASSERT_TRUE(run_main_loop_until([&] { return log->rises >= 1; }));
    EXPECT_FALSE(log->level);
    run_main_loop_until([] { return false; }, std::chrono::milliseconds(10));
    EXPECT_EQ(log->rises, 1);
}

// PIT channel 0 through the real router to the 8259 and the vCPU.
TEST(PitIntcTest, TimerInterruptReachesBsp)
{
    FakeMachine *f = FakeMachine::create();
    g_autoptr(GError) err = nullptr;
    ASSERT_TRUE(x86_intc_init(&f->m, &err));
    ASSERT_TRUE(x86_pit_init(&f->m, &err));
    const uint8_t icw[] = { 0x11, 0x20, 0x04, 0x01 };
    f->outb(0x20, icw[0]);
    for (int i = 1; i < 4; i++) {
        f->outb(0x21, icw[i]);
    }
    f->outb(0x21, 0xfe);                    // only IRQ 0
    f->outb(0x43, 0x34);
    f->outb(0x40, 1193 & 0xff);
    f->outb(0x40, 1193 >> 8);

    VCPU *bsp = &f->cpu[0];
    for (int i = 0; i < 3; i++) {
        ASSERT_TRUE(run_main_loop_until([&] { return f->m.intc->pending(bsp) >= 0; }));
        EXPECT_EQ(f->m.intc->ack(bsp), 0x20);
        f->outb(0x20, 0x20);
    }
    f->outb(0x43, 0x30);
}

}  // namespace
