/*
 * A machine with RAM only (no devices) running the software CPU, and the
 * long-mode environment the tests start from:
 *
 *   0x00500  GDT: 0x08 code32, 0x10 code64, 0x18 data, 0x23 user code32,
 *            0x2b user data, 0x33 user code64, 0x38 TSS
 *   0x01000  PML4 -> 0x2000 PDPT -> 0x3000 PD (2 MiB pages above 2 MiB)
 *            -> 0x4000 PT (4 KiB pages below 2 MiB), all user-accessible;
 *            0x1fd000 is NX, 0x1fe000 read-only, 0x1ff000 not present
 *   0x05000  IDT: vector V -> 0x7000 + 16 V (guest/handlers.S); #DF on IST1
 *   0x09000  TSS: RSP0 = 0x70000, IST1 = 0x68000
 *   0x80000  initial RSP;  0x100000 code
 */
#ifndef TESTS_UNIT_TCG_TCG_HARNESS_H
#define TESTS_UNIT_TCG_TCG_HARNESS_H

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

extern "C" {
#include "accel/accel.h"
#include "core/memory.h"
#include "target/x86_64/cpu.h"
}

#include "tests/unit/tcg/guest_code.h"

namespace tcgtest {

constexpr uint64_t kRamSize = 64ull << 20;
constexpr uint64_t kGdt = 0x500, kPml4 = 0x1000, kPdpt = 0x2000;
constexpr uint64_t kPd = 0x3000, kPt = 0x4000, kIdt = 0x5000;
constexpr uint64_t kHandlers = 0x7000, kTss = 0x9000, kStack = 0x80000;
constexpr uint64_t kRsp0 = 0x70000, kIst1 = 0x68000, kCode = 0x100000;
constexpr uint64_t kPageAbsent = 0x1ff000, kPageRo = 0x1fe000;
constexpr uint64_t kPageNx = 0x1fd000;

class TcgTest : public ::testing::Test {
  protected:
    void SetUp() override
    {
        GError *err = nullptr;

        ops_ = accel_find("tcg");
        ASSERT_NE(ops_, nullptr);
        m_.accel = ops_;
        m_.memory = address_space_new("memory", ADDRESS_SPACE_MEMORY);
        m_.io = address_space_new("io", ADDRESS_SPACE_IO);
        ASSERT_NE(address_space_add_ram(m_.memory, "ram", 0, kRamSize, &err),
                  nullptr);
        ram_ = static_cast<uint8_t *>(
            address_space_ram_ptr(m_.memory, 0, kRamSize));
        ASSERT_NE(ram_, nullptr);
        ASSERT_TRUE(ops_->init(&m_, &err));
        m_.ncpus = 2;
        m_.vcpus = cpus_;
        for (unsigned i = 0; i < 2; i++) {
            cpus_[i] = g_new0(VCPU, 1);
            cpus_[i]->machine = &m_;
            cpus_[i]->index = i;
            ASSERT_TRUE(ops_->vcpu_init(cpus_[i], &err));
        }
        BuildLongModeTables();
    }

    void TearDown() override
    {
        for (unsigned i = 0; i < 2; i++) {
            if (cpus_[i]) {
                ops_->vcpu_cleanup(cpus_[i]);
                g_free(cpus_[i]);
            }
        }
        ops_->cleanup(&m_);
        address_space_free(m_.memory);
        address_space_free(m_.io);
    }

    void Put64(uint64_t addr, uint64_t v) { memcpy(ram_ + addr, &v, 8); }
    uint64_t Get64(uint64_t addr) const
    {
        uint64_t v;
        memcpy(&v, ram_ + addr, 8);
        return v;
    }
    uint32_t Get32(uint64_t addr) const
    {
        uint32_t v;
        memcpy(&v, ram_ + addr, 4);
        return v;
    }

    void Load(uint64_t addr, const uint8_t *code, size_t len)
    {
        memcpy(ram_ + addr, code, len);
    }

    void BuildLongModeTables()
    {
        static const uint64_t gdt[] = {
            0,
            0x00cf9b000000ffffull,      /* 0x08 code32 */
            0x00af9b000000ffffull,      /* 0x10 code64 */
            0x00cf93000000ffffull,      /* 0x18 data */
            0x00cffb000000ffffull,      /* 0x20 user code32 */
            0x00cff3000000ffffull,      /* 0x28 user data */
            0x00affb000000ffffull,      /* 0x30 user code64 */
        };
        const uint64_t pw = 0x7;        /* present, writable, user */

        memcpy(ram_ + kGdt, gdt, sizeof(gdt));
        /* 0x38: 64-bit available TSS at kTss, limit 0x67 */
        Put64(kGdt + 0x38, 0x67 | ((kTss & 0xffffff) << 16) | (0x89ull << 40));
        Put64(kGdt + 0x40, 0);

        Put64(kPml4, kPdpt | pw);
        Put64(kPdpt, kPd | pw);
        for (uint64_t i = 1; i < 4; i++) {
            Put64(kPdpt + i * 8, (i << 30) | pw | 0x80);
        }
        Put64(kPd, kPt | pw);
        for (uint64_t i = 1; i < 512; i++) {
            Put64(kPd + i * 8, (i << 21) | pw | 0x80);
        }
        for (uint64_t i = 0; i < 512; i++) {
            Put64(kPt + i * 8, (i << 12) | pw);
        }
        Put64(kPt + (kPageAbsent >> 12) * 8, 0);
        Put64(kPt + (kPageRo >> 12) * 8, kPageRo | 0x5);
        Put64(kPt + (kPageNx >> 12) * 8, kPageNx | pw | (1ull << 63));

        for (uint64_t v = 0; v < 256; v++) {
            uint64_t target = kHandlers + v * 16;
            unsigned dpl = (v == 3 || v == 0x80) ? 3 : 0;
            unsigned ist = v == 8 ? 1 : 0;
            uint64_t lo = (target & 0xffff) | (0x10ull << 16) |
                          ((uint64_t)ist << 32) |
                          ((0x8eull | (dpl << 5)) << 40) |
                          ((target >> 16) << 48);

            Put64(kIdt + v * 16, lo);
            Put64(kIdt + v * 16 + 8, target >> 32);
        }
        Put64(kTss + 4, kRsp0);
        Put64(kTss + 0x24, kIst1);
        Load(GUEST_HANDLERS_ADDR, guest_handlers, sizeof(guest_handlers));
    }

    static X86Segment Seg(uint16_t sel, uint16_t attrib)
    {
        X86Segment s = {};

        s.selector = sel;
        s.attrib = attrib;
        s.limit = 0xffffffff;
        return s;
    }

    X86CPUState LongModeState(uint64_t rip)
    {
        X86CPUState s;

        x86_cpu_state_reset(&s, 0);
        s.rip = rip;
        s.rflags = X86_FLAG_FIXED;
        s.regs[R_RSP] = kStack;
        s.cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE |
                X86_CR0_WP | X86_CR0_PG;
        s.cr3 = kPml4;
        s.cr4 = X86_CR4_PAE | X86_CR4_PGE | X86_CR4_OSFXSR |
                X86_CR4_OSXMMEXCPT;
        s.efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE | X86_EFER_SCE;
        s.segs[SEG_CS] = Seg(0x10, x86_seg_attrib(0xb, true, 0, true, false,
                                                  true));
        s.segs[SEG_DS] = Seg(0x18, x86_seg_attrib(3, true, 0, false, true,
                                                  true));
        s.segs[SEG_ES] = s.segs[SEG_DS];
        s.segs[SEG_SS] = s.segs[SEG_DS];
        s.segs[SEG_FS] = Seg(0, 0);
        s.segs[SEG_GS] = Seg(0, 0);
        s.segs[SEG_TR] = Seg(0x38, x86_seg_attrib(0xb, false, 0, false, false,
                                                  false));
        s.segs[SEG_TR].base = kTss;
        s.segs[SEG_TR].limit = 0x67;
        s.segs[SEG_LDTR] = Seg(0, 0);
        s.gdt.base = kGdt;
        s.gdt.limit = 0x47;
        s.idt.base = kIdt;
        s.idt.limit = 0xfff;
        s.star = (0x20ull << 48) | (0x10ull << 32);
        s.lstar = kCode + 0x40;
        s.fmask = X86_FLAG_IF | X86_FLAG_DF;
        s.mp_state = X86_MP_RUNNABLE;
        return s;
    }

    void SetState(unsigned cpu, const X86CPUState &s)
    {
        GError *err = nullptr;

        ASSERT_TRUE(ops_->set_state(cpus_[cpu], &s, &err));
    }

    X86CPUState GetState(unsigned cpu = 0)
    {
        X86CPUState s;
        GError *err = nullptr;

        EXPECT_TRUE(ops_->get_state(cpus_[cpu], &s, &err));
        return s;
    }

    /* Runs until HLT (or a triple fault); returns the last result. */
    VCPURunResult Run(unsigned cpu = 0)
    {
        VCPURunResult r = VCPU_RUN_KICKED;

        for (int i = 0; i < 1000 && r == VCPU_RUN_KICKED; i++) {
            r = ops_->vcpu_run(cpus_[cpu]);
        }
        return r;
    }

    /* Sets the state to long mode at RIP, runs to HLT, returns the state. */
    X86CPUState RunFrom(const X86CPUState &s)
    {
        SetState(0, s);
        EXPECT_EQ(Run(), VCPU_RUN_HALT);
        return GetState();
    }

    Machine m_ = {};
    VCPU *cpus_[2] = {};
    const AccelOps *ops_ = nullptr;
    uint8_t *ram_ = nullptr;
};

}  // namespace tcgtest

#endif
