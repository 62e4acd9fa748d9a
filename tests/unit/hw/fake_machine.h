// A Machine with only a port-I/O space and an IRQ recorder, for device tests.
#ifndef TESTS_UNIT_HW_FAKE_MACHINE_H
#define TESTS_UNIT_HW_FAKE_MACHINE_H

#include <gtest/gtest.h>

#include <map>
#include <utility>
#include <vector>

extern "C" {
#include "core/machine.h"
#include "core/main_loop.h"
#include "core/memory.h"
}

class FakeMachine {
  public:
    FakeMachine()
    {
        m_.io = address_space_new("io", ADDRESS_SPACE_IO);
        m_.memory = address_space_new("memory", ADDRESS_SPACE_MEMORY);
        m_.ncpus = 1;
        m_.set_irq = record_irq;
        m_.irq_opaque = this;
    }
    ~FakeMachine()
    {
        address_space_free(m_.io);
        address_space_free(m_.memory);
    }
    FakeMachine(const FakeMachine &) = delete;
    FakeMachine &operator=(const FakeMachine &) = delete;

    Machine *m() { return &m_; }

    uint64_t in(uint16_t port, unsigned size = 1)
    {
        uint64_t v = 0;
        address_space_read_val(m_.io, port, size, &v);
        return v;
    }
    void out(uint16_t port, uint64_t value, unsigned size = 1)
    {
        address_space_write_val(m_.io, port, size, value);
    }

    bool level(unsigned gsi) const
    {
        auto it = levels_.find(gsi);
        return it != levels_.end() && it->second;
    }
    const std::vector<std::pair<unsigned, bool>> &history() const { return history_; }
    void clear_history() { history_.clear(); }

  private:
    static void record_irq(Machine *m, unsigned gsi, bool level)
    {
        auto *self = static_cast<FakeMachine *>(m->irq_opaque);
        // Devices raise interrupts with the BQL held.
        EXPECT_TRUE(bql_locked());
        self->levels_[gsi] = level;
        self->history_.emplace_back(gsi, level);
    }

    Machine m_{};
    std::map<unsigned, bool> levels_;
    std::vector<std::pair<unsigned, bool>> history_;
};

// Holds the BQL for code that runs outside an I/O callback (backend input).
class BqlGuard {
  public:
    BqlGuard() { bql_lock(); }
    ~BqlGuard() { bql_unlock(); }
};

#endif
