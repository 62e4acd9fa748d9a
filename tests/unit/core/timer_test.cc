// Device timers (core/timer.c): fire once at their deadline, on the main
// loop, with the BQL held; re-arming replaces the deadline; disarming and
// freeing stop them.
#include <gtest/gtest.h>

extern "C" {
#include "core/main_loop.h"
#include "core/timer.h"
}

namespace {

struct Fired {
    int count = 0;
    int64_t at = 0;
    bool bql_held = false;
};

void on_timer(void *opaque)
{
    Fired *f = static_cast<Fired *>(opaque);
    f->count++;
    f->at = clock_ns();
    f->bql_held = bql_locked();
}

// Runs the main context until PRED or for at most MS milliseconds.
template <typename Pred>
void iterate(Pred pred, int ms)
{
    int64_t end = clock_ns() + (int64_t)ms * 1000000;
    while (!pred() && clock_ns() < end) {
        g_main_context_iteration(main_loop_context(), FALSE);
        g_usleep(200);
    }
}

TEST(DeviceTimer, FiresOnceAtItsDeadlineWithTheBqlHeld)
{
    Fired f;
    DeviceTimer *t = device_timer_new("test", on_timer, &f);
    int64_t deadline = clock_ns() + 5 * 1000000;
    device_timer_arm(t, deadline);
    iterate([&] { return f.count > 0; }, 2000);
    ASSERT_EQ(f.count, 1);
    EXPECT_GE(f.at, deadline);
    EXPECT_TRUE(f.bql_held);
    EXPECT_FALSE(bql_locked());
    iterate([] { return false; }, 20);
    EXPECT_EQ(f.count, 1);              // one-shot
    device_timer_free(t);
}

TEST(DeviceTimer, RearmReplacesAndDisarmStops)
{
    Fired f;
    DeviceTimer *t = device_timer_new("test", on_timer, &f);
    device_timer_arm(t, clock_ns() + 2000 * 1000000LL);
    int64_t sooner = clock_ns() + 2 * 1000000;
    device_timer_arm(t, sooner);
    iterate([&] { return f.count > 0; }, 1000);
    ASSERT_EQ(f.count, 1);
    EXPECT_GE(f.at, sooner);

    device_timer_arm(t, clock_ns() + 2 * 1000000);
    device_timer_arm(t, -1);
    iterate([] { return false; }, 30);
    EXPECT_EQ(f.count, 1);
    device_timer_free(t);
}

TEST(DeviceTimer, FreedTimerNeverFires)
{
    Fired f;
    DeviceTimer *t = device_timer_new("test", on_timer, &f);
    device_timer_arm(t, clock_ns() + 1000000);
    device_timer_free(t);
    iterate([] { return false; }, 20);
    EXPECT_EQ(f.count, 0);
}

}  // namespace
