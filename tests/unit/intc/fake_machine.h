// A Machine with two VCPU structs (no threads, no accelerator) and fresh
// address spaces, for the interrupt controller and PIT tests.  Machines
// are never freed: main-loop timer sources of the devices point at them.
#ifndef TESTS_UNIT_INTC_FAKE_MACHINE_H
#define TESTS_UNIT_INTC_FAKE_MACHINE_H

#include <gtest/gtest.h>

#include <chrono>
#include <functional>

extern "C" {
#include "core/machine.h"
#include "core/main_loop.h"
#include "core/memory.h"
#include "core/vcpu.h"
}

struct FakeMachine {
    Machine m{};
    VCPU cpu[2]{};
    VCPU *cpus[2]{};

    FakeMachine()
    {
        m.memory = address_space_new("memory", ADDRESS_SPACE_MEMORY);
        m.io = address_space_new("io", ADDRESS_SPACE_IO);
        for (unsigned i = 0; i < 2; i++) {
            cpu[i].machine = &m;
            cpu[i].index = i;
            g_mutex_init(&cpu[i].lock);
            g_cond_init(&cpu[i].cond);
            cpus[i] = &cpu[i];
        }
        m.vcpus = cpus;
        m.ncpus = 2;
    }

    static FakeMachine *create() { return new FakeMachine(); }

    void outb(uint16_t port, uint8_t v) { address_space_write_val(m.io, port, 1, v); }
    uint8_t inb(uint16_t port)
    {
        uint64_t v = 0;
        address_space_read_val(m.io, port, 1, &v);
        return v;
    }
    void writel(uint64_t addr, uint32_t v) { address_space_write_val(m.memory, addr, 4, v); }
    uint32_t readl(uint64_t addr)
    {
        uint64_t v = 0;
        address_space_read_val(m.memory, addr, 4, &v);
        return v;
    }
};

// Runs the main context until DONE() or about a second has passed.
inline bool run_main_loop_until(const std::function<bool()> &done,
                                std::chrono::milliseconds bound = std::chrono::milliseconds(1000))
{
    auto end = std::chrono::steady_clock::now() + bound;
    GMainContext *ctx = main_loop_context();
    while (!done()) {
        if (std::chrono::steady_clock::now() > end) {
            return false;
        }
        // Non-blocking, with a short sleep: a source that never becomes
        // ready must not hang the test.
        if (!g_main_context_iteration(ctx, FALSE)) {
            g_usleep(50);
        }
    }
    return true;
}

#endif
