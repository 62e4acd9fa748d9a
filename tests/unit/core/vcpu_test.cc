// Tests for the vCPU manager (core/vcpu.c), driven by a fake accelerator
// defined here.  It is not registered in the qemu_accel section: the tests
// point Machine.accel at it directly.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

extern "C" {
#include "accel/accel.h"
#include "core/machine.h"
#include "core/main_loop.h"
#include "core/vcpu.h"
}

namespace {

enum class Mode { Spin, Halt, Error, Reboot };

struct FakeCpu {
    Mode mode = Mode::Spin;
    std::atomic<long> iterations{0};   // guest "instructions" executed
    std::atomic<int> runs{0};          // calls of vcpu_run
    std::atomic<int> kicked_returns{0};
    std::atomic<int> wakeups{0};       // interrupts seen while halted
    std::atomic<bool> current_ok{true};
    std::atomic<bool> cleaned_up{false};
};

std::atomic<int> kick_calls{0};
Mode init_mode[4];

bool fake_vcpu_init(VCPU *cpu, GError **)
{
    FakeCpu *f = new FakeCpu;
    f->mode = init_mode[cpu->index];
    cpu->accel = f;
    return true;
}

VCPURunResult fake_vcpu_run(VCPU *cpu)
{
    FakeCpu *f = static_cast<FakeCpu *>(cpu->accel);
    f->runs++;
    if (vcpu_current() != cpu) {
        f->current_ok = false;
    }
    switch (f->mode) {
    case Mode::Spin:
        while (!g_atomic_int_get(&cpu->exit_request)) {
            f->iterations++;
            g_usleep(100);
        }
        f->kicked_returns++;
        return VCPU_RUN_KICKED;
    case Mode::Halt:
        // Like an accelerator's HLT: take a pending interrupt, else halt.
        if (__atomic_exchange_n(&cpu->interrupt_request, 0, __ATOMIC_SEQ_CST)) {
            f->wakeups++;
        }
        return VCPU_RUN_HALT;
    case Mode::Error:
        return VCPU_RUN_ERROR;
    case Mode::Reboot:
        // Like a triple fault: the first run asks for a reset, the run
        // after the reboot ends the machine with a recognisable status.
        if (f->runs == 1) {
            machine_request_reset(cpu->machine);
        } else {
            machine_request_shutdown(cpu->machine, 7);
        }
        return VCPU_RUN_SHUTDOWN;
    }
    return VCPU_RUN_ERROR;
}

void fake_kick(VCPU *)
{
    kick_calls++;
}

// Cleaned-up fakes stay readable by the tests until the next test starts.
std::vector<std::unique_ptr<FakeCpu>> graveyard;

void fake_vcpu_cleanup(VCPU *cpu)
{
    FakeCpu *f = static_cast<FakeCpu *>(cpu->accel);
    f->cleaned_up = true;
    graveyard.emplace_back(f);
}

const AccelOps fake_accel = {
    .name = "fake",
    .description = "test-only accelerator",
    .flags = 0,
    .probe = nullptr,
    .init = nullptr,
    .cleanup = nullptr,
    .vcpu_init = fake_vcpu_init,
    .vcpu_run = fake_vcpu_run,
    .kick = fake_kick,
    .vcpu_cleanup = fake_vcpu_cleanup,
    .get_state = nullptr,
    .set_state = nullptr,
    .set_irq = nullptr,
    .set_single_step = nullptr,
};

// Reads a manager-private flag as the manager does: under the vCPU's lock.
bool locked_read(VCPU *cpu, bool VCPU::*flag)
{
    g_mutex_lock(&cpu->lock);
    bool value = cpu->*flag;
    g_mutex_unlock(&cpu->lock);
    return value;
}

template <typename Pred>
bool wait_for(Pred pred, int ms = 5000)
{
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (!pred()) {
        if (std::chrono::steady_clock::now() > end) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

class VcpuTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        m.accel = &fake_accel;
        for (Mode &mode : init_mode) {
            mode = Mode::Spin;
        }
        kick_calls = 0;
        graveyard.clear();
    }
    void TearDown() override
    {
        if (m.vcpus) {
            vcpus_stop_all(&m);
            vcpus_free(&m);
        }
        graveyard.clear();
    }
    void create(unsigned n)
    {
        m.ncpus = n;
        GError *err = nullptr;
        ASSERT_TRUE(vcpus_create(&m, &err));
        for (unsigned i = 0; i < n; i++) {
            fakes[i] = fake(i);
        }
    }
    void start(bool paused = false)
    {
        GError *err = nullptr;
        ASSERT_TRUE(vcpus_start(&m, paused, &err));
    }
    FakeCpu *fake(unsigned i) { return static_cast<FakeCpu *>(m.vcpus[i]->accel); }

    Machine m = {};
    FakeCpu *fakes[4] = {};
};

TEST_F(VcpuTest, CreateInitsEveryVcpuWithItsIndex)
{
    create(3);
    for (unsigned i = 0; i < 3; i++) {
        EXPECT_EQ(m.vcpus[i]->index, i);
        EXPECT_EQ(m.vcpus[i]->machine, &m);
        EXPECT_NE(m.vcpus[i]->accel, nullptr);
        EXPECT_EQ(m.vcpus[i]->thread, nullptr);
    }
    EXPECT_EQ(vcpu_current(), nullptr);
}

TEST_F(VcpuTest, CreateWithoutAcceleratorFails)
{
    Machine bare = {};
    bare.ncpus = 1;
    GError *err = nullptr;
    EXPECT_FALSE(vcpus_create(&bare, &err));
    EXPECT_NE(err, nullptr);
    g_clear_error(&err);
}

TEST_F(VcpuTest, RunsOnOwnThreadAndStopJoins)
{
    create(2);
    start();
    ASSERT_TRUE(wait_for([&] { return fakes[0]->iterations > 5 && fakes[1]->iterations > 5; }));
    vcpus_stop_all(&m);
    for (unsigned i = 0; i < 2; i++) {
        EXPECT_EQ(m.vcpus[i]->thread, nullptr);
        EXPECT_TRUE(m.vcpus[i]->stopped);
        EXPECT_TRUE(fakes[i]->cleaned_up);
        EXPECT_TRUE(fakes[i]->current_ok) << "vcpu_current() inside vcpu_run";
    }
    long it = fakes[0]->iterations;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(fakes[0]->iterations, it);
    EXPECT_GE(kick_calls, 2);
}

TEST_F(VcpuTest, KickFromAnotherThreadReturnsToManager)
{
    create(1);
    start();
    ASSERT_TRUE(wait_for([&] { return fakes[0]->iterations > 0; }));
    int runs = fakes[0]->runs;
    std::thread([&] { vcpu_kick(m.vcpus[0]); }).join();
    ASSERT_TRUE(wait_for([&] { return fakes[0]->kicked_returns >= 1; }));
    // The manager re-enters vcpu_run, with exit_request cleared again.
    ASSERT_TRUE(wait_for([&] { return fakes[0]->runs > runs; }));
    long it = fakes[0]->iterations;
    ASSERT_TRUE(wait_for([&] { return fakes[0]->iterations > it + 5; }));
    EXPECT_EQ(kick_calls, 1);
}

TEST_F(VcpuTest, PauseReallyStopsAndResumeRestarts)
{
    create(2);
    start();
    ASSERT_TRUE(wait_for([&] { return fakes[0]->iterations > 5 && fakes[1]->iterations > 5; }));
    vcpus_pause_all(&m);
    EXPECT_TRUE(locked_read(m.vcpus[0], &VCPU::paused));
    EXPECT_TRUE(locked_read(m.vcpus[1], &VCPU::paused));
    long it0 = fakes[0]->iterations, it1 = fakes[1]->iterations;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(fakes[0]->iterations, it0);
    EXPECT_EQ(fakes[1]->iterations, it1);

    // Pausing again while paused returns at once.
    vcpus_pause_all(&m);
    vcpus_resume_all(&m);
    ASSERT_TRUE(wait_for([&] { return fakes[0]->iterations > it0 && fakes[1]->iterations > it1; }));
    EXPECT_FALSE(locked_read(m.vcpus[0], &VCPU::paused));

    // Pause/resume cycles in a row, with the BQL held by the caller.
    for (int i = 0; i < 20; i++) {
        bql_lock();
        vcpus_pause_all(&m);
        EXPECT_TRUE(bql_locked());
        long it = fakes[0]->iterations;
        EXPECT_EQ(fakes[0]->iterations, it);
        vcpus_resume_all(&m);
        bql_unlock();
    }
}

TEST_F(VcpuTest, StartPausedWaitsForResume)
{
    create(1);
    start(true);
    vcpus_pause_all(&m);  // returns once parked
    EXPECT_TRUE(locked_read(m.vcpus[0], &VCPU::paused));
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    EXPECT_EQ(fakes[0]->runs, 0);
    vcpus_resume_all(&m);
    ASSERT_TRUE(wait_for([&] { return fakes[0]->iterations > 0; }));
}

TEST_F(VcpuTest, StopWhilePaused)
{
    create(1);
    start(true);
    vcpus_pause_all(&m);
    vcpus_stop_all(&m);
    EXPECT_EQ(fakes[0]->runs, 0);
    EXPECT_EQ(m.vcpus[0]->thread, nullptr);
}

TEST_F(VcpuTest, HaltWaitsForInterrupt)
{
    init_mode[0] = Mode::Halt;
    create(1);
    start();
    ASSERT_TRUE(wait_for([&] { return locked_read(m.vcpus[0], &VCPU::halted); }));
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    EXPECT_EQ(fakes[0]->runs, 1) << "a halted vCPU does not spin";

    std::thread([&] { vcpu_interrupt(m.vcpus[0]); }).join();
    ASSERT_TRUE(wait_for([&] { return fakes[0]->wakeups == 1; }));
    ASSERT_TRUE(wait_for(
        [&] { return fakes[0]->runs == 2 && locked_read(m.vcpus[0], &VCPU::halted); }));
    EXPECT_GE(kick_calls, 1);

    // A halted vCPU can be paused (and stays halted after resume).
    vcpus_pause_all(&m);
    EXPECT_TRUE(locked_read(m.vcpus[0], &VCPU::paused));
    vcpus_resume_all(&m);
    ASSERT_TRUE(wait_for([&] { return locked_read(m.vcpus[0], &VCPU::halted); }));
    EXPECT_EQ(fakes[0]->wakeups, 1);
    // And stopped.
    vcpus_stop_all(&m);
    EXPECT_EQ(m.vcpus[0]->thread, nullptr);
}

// Shutdown is process-wide (first status wins), so these run in a child.
TEST(VcpuDeathTest, ErrorRequestsShutdownWithStatus1)
{
    EXPECT_EXIT(
        {
            static Machine m = {};
            m.accel = &fake_accel;
            m.ncpus = 2;
            init_mode[0] = Mode::Spin;
            init_mode[1] = Mode::Error;
            if (!vcpus_create(&m, nullptr) || !vcpus_start(&m, false, nullptr)) {
                exit(100);
            }
            int status = main_loop_run();
            // Both vCPUs leave by themselves: the spinning one was kicked.
            auto both_stopped = [] {
                return locked_read(m.vcpus[0], &VCPU::stopped) &&
                       locked_read(m.vcpus[1], &VCPU::stopped);
            };
            for (int i = 0; i < 5000 && !both_stopped(); i++) {
                g_usleep(1000);
            }
            if (!both_stopped()) {
                exit(101);
            }
            vcpus_stop_all(&m);
            exit(status);
        },
        ::testing::ExitedWithCode(1), "");
}

std::atomic<int> machine_resets{0};
std::atomic<bool> reset_saw_running_vcpu{false};

bool counting_reset(Machine *m, GError **)
{
    for (unsigned i = 0; i < m->ncpus; i++) {
        if (!locked_read(m->vcpus[i], &VCPU::paused)) {
            reset_saw_running_vcpu = true;
        }
    }
    machine_resets++;
    return true;
}

// Without -no-reboot a reset request reboots: every vCPU parks, the
// machine's reset runs once, and the vCPUs run again.
TEST(VcpuDeathTest, ResetRebootsWithVcpusParked)
{
    EXPECT_EXIT(
        {
            static MachineConfig cfg = {};
            static MachineClass mc = {};
            static Machine m = {};
            mc.name = "fake";
            mc.reset = counting_reset;
            m.cfg = &cfg;
            m.mc = &mc;
            m.accel = &fake_accel;
            m.ncpus = 2;
            init_mode[0] = Mode::Reboot;
            init_mode[1] = Mode::Spin;
            if (!vcpus_create(&m, nullptr) || !vcpus_start(&m, false, nullptr)) {
                exit(100);
            }
            int status = main_loop_run();
            vcpus_stop_all(&m);
            if (machine_resets != 1 || reset_saw_running_vcpu) {
                exit(101 + machine_resets);
            }
            exit(status);
        },
        ::testing::ExitedWithCode(7), "");
}

TEST(VcpuDeathTest, ResetWithNoRebootEndsWithStatus0)
{
    EXPECT_EXIT(
        {
            static MachineConfig cfg = {};
            static Machine m = {};
            cfg.no_reboot = true;
            m.cfg = &cfg;
            m.accel = &fake_accel;
            m.ncpus = 1;
            init_mode[0] = Mode::Reboot;
            if (!vcpus_create(&m, nullptr) || !vcpus_start(&m, false, nullptr)) {
                exit(100);
            }
            int status = main_loop_run();
            vcpus_stop_all(&m);
            exit(status);
        },
        ::testing::ExitedWithCode(0), "");
}

TEST(VcpuDeathTest, EarlierShutdownStatusWins)
{
    EXPECT_EXIT(
        {
            static Machine m = {};
            m.accel = &fake_accel;
            m.ncpus = 1;
            init_mode[0] = Mode::Error;
            if (!vcpus_create(&m, nullptr)) {
                exit(100);
            }
            machine_request_shutdown(&m, 3);
            vcpus_start(&m, false, nullptr);
            vcpus_stop_all(&m);
            exit(main_loop_run());
        },
        ::testing::ExitedWithCode(3), "");
}

TEST(VcpuDeathTest, ResetWithNoRebootExitsZero)
{
    EXPECT_EXIT(
        {
            static MachineConfig cfg = {};
            static Machine m = {};
            cfg.no_reboot = true;
            m.cfg = &cfg;
            m.accel = &fake_accel;
            m.ncpus = 1;
            init_mode[0] = Mode::Spin;
            vcpus_create(&m, nullptr);
            vcpus_start(&m, false, nullptr);
            std::thread([] { machine_request_reset(&m); }).join();
            int status = main_loop_run();
            vcpus_stop_all(&m);
            exit(status == 0 ? 42 : status);
        },
        ::testing::ExitedWithCode(42), "");
}

}  // namespace
