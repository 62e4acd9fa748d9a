// The microvm machine put together with a fake accelerator and a tiny ELF.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "tests/unit/hw/fake_machine.h"

extern "C" {
#include "accel/accel.h"
#include "hw/char/serial.h"
}

namespace {

constexpr uint64_t kGiB = 1ull << 30;
constexpr uint64_t kEntry = 0x200000;

// An ELF64 executable with one PT_LOAD segment holding HLT at kEntry.
std::vector<uint8_t> tiny_elf()
{
    std::vector<uint8_t> f(121, 0);
    auto put = [&](size_t off, uint64_t v, int n) {
        for (int i = 0; i < n; i++) {
            f[off + i] = (uint8_t)(v >> (8 * i));
        }
    };
    memcpy(&f[0], "\x7f" "ELF", 4);
    f[4] = 2;                   // ELFCLASS64
    f[5] = 1;                   // little-endian
    f[6] = 1;
    put(16, 2, 2);              // ET_EXEC
    put(18, 62, 2);             // EM_X86_64
    put(20, 1, 4);
    put(24, kEntry, 8);
    put(32, 64, 8);             // e_phoff
    put(52, 64, 2);
    put(54, 56, 2);
    put(56, 1, 2);
    put(64, 1, 4);              // PT_LOAD
    put(68, 5, 4);
    put(72, 120, 8);            // p_offset
    put(80, kEntry, 8);
    put(88, kEntry, 8);
    put(96, 1, 8);
    put(104, 1, 8);
    put(112, 0x1000, 8);
    f[120] = 0xf4;              // hlt
    return f;
}

std::vector<X86CPUState> g_states;

bool record_state(VCPU *cpu, const X86CPUState *s, GError **errp)
{
    (void)errp;
    EXPECT_EQ(cpu->index, g_states.size());
    g_states.push_back(*s);
    return true;
}

class MicrovmTest : public ::testing::Test {
  protected:
    void SetUp() override
    {
        g_states.clear();
        dir_ = g_dir_make_tmp("microvm-XXXXXX", nullptr);
        ASSERT_NE(dir_, nullptr);
        kernel_ = g_build_filename(dir_, "kernel.elf", nullptr);
        std::vector<uint8_t> elf = tiny_elf();
        ASSERT_TRUE(g_file_set_contents(kernel_, (const char *)elf.data(),
                                        elf.size(), nullptr));
        cfg_.machine = const_cast<char *>("microvm");
        cfg_.ram_size = 4 * kGiB;
        cfg_.smp = 2;
        cfg_.kernel = kernel_;
        cfg_.serial = SERIAL_NONE;
        cfg_.no_reboot = true;

        accel_.name = "fake";
        accel_.set_state = record_state;

        Machine *m = fm_.m();
        m->cfg = &cfg_;
        m->accel = &accel_;
        m->ncpus = 2;
        for (unsigned i = 0; i < 2; i++) {
            vcpus_[i].machine = m;
            vcpus_[i].index = i;
            vcpu_ptrs_[i] = &vcpus_[i];
        }
        m->vcpus = vcpu_ptrs_;
        mc_ = machine_find("microvm");
        ASSERT_NE(mc_, nullptr);
    }
    void TearDown() override
    {
        unlink(kernel_);
        rmdir(dir_);
        g_free(kernel_);
        g_free(dir_);
    }
    bool has_port(uint16_t port) { return address_space_lookup(fm_.m()->io, port); }

    FakeMachine fm_;
    MachineConfig cfg_ = {};
    AccelOps accel_ = {};
    VCPU vcpus_[2] = {};
    VCPU *vcpu_ptrs_[2];
    const MachineClass *mc_ = nullptr;
    char *dir_ = nullptr;
    char *kernel_ = nullptr;
};

TEST_F(MicrovmTest, InKernelIrqchip)
{
    accel_.flags = ACCEL_IRQCHIP_IN_KERNEL;
    GError *err = nullptr;
    ASSERT_TRUE(mc_->init(fm_.m(), &err)) << err->message;

    AddressSpace *mem = fm_.m()->memory;
    MemoryRegion *low = address_space_lookup(mem, 0);
    ASSERT_NE(low, nullptr);
    EXPECT_EQ(low->size, 3 * kGiB);
    MemoryRegion *high = address_space_lookup(mem, 4 * kGiB);
    ASSERT_NE(high, nullptr);
    EXPECT_EQ(high->size, 1 * kGiB);
    EXPECT_EQ(address_space_lookup(mem, 3 * kGiB), nullptr);

    for (uint16_t port : { 0x3f8, 0x3ff, 0x60, 0x64, 0x70, 0x71, 0x80, 0xed }) {
        EXPECT_TRUE(has_port(port)) << std::hex << port;
    }
    // KVM's in-kernel PIC and PIT (with port 0x61) handle these.
    for (uint16_t port : { 0x20, 0x40, 0x61, 0xa0 }) {
        EXPECT_FALSE(has_port(port)) << std::hex << port;
    }
    EXPECT_EQ(fm_.in(0x3f8 + UART_LSR) & UART_LSR_THRE, UART_LSR_THRE);
    fm_.out(0x70, 0x5c);
    EXPECT_EQ(fm_.in(0x71), 0x40u);             // 1 GiB above 4 GiB in 64 KiB

    // Reset (at start and on every reboot) loads the kernel and an MP table.
    ASSERT_TRUE(mc_->reset(fm_.m(), &err)) << err->message;
    uint8_t *hlt = (uint8_t *)address_space_ram_ptr(mem, kEntry, 1);
    ASSERT_NE(hlt, nullptr);
    EXPECT_EQ(*hlt, 0xf4);
    const char *low1m = (const char *)address_space_ram_ptr(mem, 0, 1 << 20);
    ASSERT_NE(low1m, nullptr);
    EXPECT_NE(memmem(low1m, 1 << 20, "_MP_", 4), nullptr);

    ASSERT_EQ(g_states.size(), 2u);
    EXPECT_EQ(g_states[0].rip, kEntry);
    EXPECT_EQ(g_states[0].mp_state, X86_MP_RUNNABLE);
    EXPECT_TRUE(g_states[0].efer & X86_EFER_LMA);
    EXPECT_TRUE(g_states[0].apic_base & MSR_APICBASE_BSP);
    EXPECT_EQ(g_states[1].mp_state, X86_MP_WAIT_SIPI);
    EXPECT_FALSE(g_states[1].apic_base & MSR_APICBASE_BSP);
    EXPECT_FALSE(g_states[1].cr0 & X86_CR0_PE);    // real mode until SIPI
}

TEST_F(MicrovmTest, UserspaceIrqchipAndPit)
{
    cfg_.ram_size = 256 << 20;
    GError *err = nullptr;
    ASSERT_TRUE(mc_->init(fm_.m(), &err)) << err->message;
    EXPECT_EQ(address_space_lookup(fm_.m()->memory, 4 * kGiB), nullptr);
    for (uint16_t port : { 0x20, 0xa0, 0x40, 0x43, 0x61, 0x3f8, 0x60, 0x64, 0x70 }) {
        EXPECT_TRUE(has_port(port)) << std::hex << port;
    }
    EXPECT_NE(fm_.m()->set_irq, nullptr);
    EXPECT_NE(fm_.m()->intc, nullptr);
}

TEST_F(MicrovmTest, BadKernelFailsWithOneLine)
{
    accel_.flags = ACCEL_IRQCHIP_IN_KERNEL;
    ASSERT_TRUE(g_file_set_contents(kernel_, "not a kernel", -1, nullptr));
    GError *err = nullptr;
    ASSERT_TRUE(mc_->init(fm_.m(), &err)) << err->message;
    EXPECT_FALSE(mc_->reset(fm_.m(), &err));
    ASSERT_NE(err, nullptr);
    EXPECT_EQ(strchr(err->message, '\n'), nullptr);
    g_error_free(err);
}

}  // namespace
