// Tests for the BQL and the main loop (core/main_loop.c).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

extern "C" {
#include "core/main_loop.h"
}

namespace {

TEST(BqlTest, LockedIsPerThread)
{
    EXPECT_FALSE(bql_locked());
    bql_lock();
    EXPECT_TRUE(bql_locked());
    bool other_sees = true;
    std::thread([&] { other_sees = bql_locked(); }).join();
    EXPECT_FALSE(other_sees);
    bql_unlock();
    EXPECT_FALSE(bql_locked());
}

TEST(BqlTest, ExcludesOtherThreads)
{
    std::atomic<bool> got{false};
    bql_lock();
    std::thread t([&] {
        bql_lock();
        got = true;
        EXPECT_TRUE(bql_locked());
        bql_unlock();
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    EXPECT_FALSE(got) << "the other thread must wait for the BQL";
    bql_unlock();
    t.join();
    EXPECT_TRUE(got);
}

TEST(ClockTest, MonotonicNanoseconds)
{
    int64_t a = clock_ns();
    g_usleep(2000);
    int64_t b = clock_ns();
    EXPECT_GE(b - a, 2000000);
    EXPECT_LT(b - a, 2000000000);
}

TEST(MainLoopTest, ContextIsTheDefaultOne)
{
    EXPECT_EQ(main_loop_context(), g_main_context_default());
}

// Quitting is once per process, so each case runs in a child.
TEST(MainLoopDeathTest, QuitFromAnotherThreadEndsRun)
{
    EXPECT_EXIT(
        {
            static int ticks = 0;
            g_timeout_add(1, [](gpointer) -> gboolean {
                ticks++;
                return G_SOURCE_CONTINUE;
            }, nullptr);
            std::thread t([] {
                g_usleep(30000);
                main_loop_quit(7);
            });
            int status = main_loop_run();
            t.join();
            // The loop dispatched sources while it ran.
            exit(ticks > 0 && main_loop_quitting() ? status : 100);
        },
        ::testing::ExitedWithCode(7), "");
}

TEST(MainLoopDeathTest, FirstQuitWins)
{
    EXPECT_EXIT(
        {
            if (main_loop_quitting()) {
                exit(100);
            }
            main_loop_quit(3);
            main_loop_quit(4);
            // A quit before the run makes it return at once.
            exit(main_loop_run());
        },
        ::testing::ExitedWithCode(3), "");
}

TEST(MainLoopDeathTest, ConcurrentQuitsAgreeOnOneStatus)
{
    EXPECT_EXIT(
        {
            std::vector<std::thread> threads;
            for (int i = 1; i <= 8; i++) {
                threads.emplace_back([i] { main_loop_quit(10 + i); });
            }
            int status = main_loop_run();
            for (auto &t : threads) {
                t.join();
            }
            // Every later run sees the same status.
            bool same = main_loop_run() == status;
            exit(same && status > 10 && status <= 18 ? 0 : 100);
        },
        ::testing::ExitedWithCode(0), "");
}

}  // namespace
