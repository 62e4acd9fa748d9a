/*
 * The KVM accelerator through its AccelOps, on real /dev/kvm, without a
 * machine type: a test-made Machine with RAM and port/MMIO regions, and
 * tiny 64-bit guests entered in long mode (as the boot contract enters
 * kernels).  Skipped, with the reason, where /dev/kvm is unusable; a host
 * KVM that is usable but cannot run these guests fails the tests.
 *
 * Guests stay tiny and free of SSE: on kvm_pvm, code at CPL0 is emulated.
 */
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

extern "C" {
#include <glib.h>

#include "accel/accel.h"
#include "accel/kvm/kvm.h"
#include "core/machine.h"
#include "core/main_loop.h"
#include "core/memory.h"
#include "target/x86_64/cpu.h"
}

namespace {

constexpr uint64_t kRamSize = 4 << 20;
constexpr uint64_t kPml4 = 0x1000;
constexpr uint64_t kPdpt = 0x2000;
constexpr uint64_t kPd = 0x3000;        /* four PDs: 4 GiB of 2 MiB pages */
constexpr uint64_t kGdt = 0x8000;
constexpr uint64_t kStack = 0x9000;
constexpr uint64_t kCode = 0x10000;
constexpr uint64_t kMmioBase = 0xd0000000;
constexpr uint16_t kPort = 0x3f8;

struct PortLog {
    std::vector<uint8_t> written;
    uint8_t read_value = 0x5a;
    int reads = 0;
    VCPU *stop_cpu_on_read = nullptr;
};

uint64_t port_read(void *opaque, uint64_t, unsigned)
{
    auto *log = static_cast<PortLog *>(opaque);
    log->reads++;
    if (log->stop_cpu_on_read) {
        /* As the manager does for a pause: the vCPU returns KICKED. */
        g_atomic_int_set(&log->stop_cpu_on_read->exit_request, 1);
    }
    return log->read_value;
}

void port_write(void *opaque, uint64_t, uint64_t value, unsigned)
{
    static_cast<PortLog *>(opaque)->written.push_back((uint8_t)value);
}

const MemoryRegionOps port_ops = {port_read, port_write};

struct MmioLog {
    std::vector<std::pair<uint64_t, uint64_t>> writes;    /* offset, value */
    unsigned last_size = 0;
    VCPU *stop_cpu = nullptr;
};

uint64_t mmio_read(void *, uint64_t, unsigned)
{
    return 0;
}

void mmio_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    auto *log = static_cast<MmioLog *>(opaque);
    log->writes.emplace_back(offset, value);
    log->last_size = size;
    if (log->stop_cpu) {
        g_atomic_int_set(&log->stop_cpu->exit_request, 1);
    }
}

const MemoryRegionOps mmio_ops = {mmio_read, mmio_write};

bool IsKvmPvm()
{
    return g_file_test("/sys/module/kvm_pvm", G_FILE_TEST_EXISTS);
}

class KvmAccelTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        ops_ = accel_find("kvm");
        ASSERT_NE(ops_, nullptr) << "the kvm accelerator is not registered";
        GError *err = nullptr;
        if (!ops_->probe(&err)) {
            std::string why = err->message;
            g_error_free(err);
            GTEST_SKIP() << "/dev/kvm is unusable: " << why;
        }
        machine_.accel = ops_;
        machine_.ncpus = 1;
        machine_.memory = address_space_new("memory", ADDRESS_SPACE_MEMORY);
        machine_.io = address_space_new("io", ADDRESS_SPACE_IO);
        ASSERT_TRUE(ops_->init(&machine_, &err)) << err->message;
        initialized_ = true;
        /* RAM added after init, as machines do: the listener maps it. */
        ram_ = address_space_add_ram(machine_.memory, "ram", 0, kRamSize, &err);
        ASSERT_NE(ram_, nullptr) << err->message;
        EXPECT_GE(ram_->accel_slot, 0);
        ASSERT_NE(address_space_add_io(machine_.io, "port", kPort, 8,
                                       &port_ops, &ports_, &err), nullptr);
        ASSERT_NE(address_space_add_io(machine_.memory, "mmio", kMmioBase,
                                       0x1000, &mmio_ops, &mmio_, &err),
                  nullptr);
        cpu_.machine = &machine_;
        cpu_.index = 0;
        ASSERT_TRUE(ops_->vcpu_init(&cpu_, &err)) << err->message;
        vcpu_ready_ = true;
        BuildPageTables();
    }

    void TearDown() override
    {
        if (vcpu_ready_) {
            ops_->vcpu_cleanup(&cpu_);
        }
        if (initialized_) {
            ops_->cleanup(&machine_);
        }
        if (machine_.io) {
            address_space_free(machine_.io);
        }
        if (machine_.memory) {
            address_space_free(machine_.memory);
        }
    }

    uint8_t *Ram(uint64_t addr) { return static_cast<uint8_t *>(ram_->host) + addr; }

    void Put64(uint64_t addr, uint64_t v) { memcpy(Ram(addr), &v, 8); }

    /* Identity map of the low 4 GiB with 2 MiB pages; a flat GDT. */
    void BuildPageTables()
    {
        Put64(kPml4, kPdpt | 3);
        for (uint64_t i = 0; i < 4; i++) {
            Put64(kPdpt + 8 * i, (kPd + 0x1000 * i) | 3);
        }
        for (uint64_t i = 0; i < 4 * 512; i++) {
            Put64(kPd + 8 * i, (i << 21) | 0x83);
        }
        Put64(kGdt + 0x10, 0x00af9b000000ffffull);
        Put64(kGdt + 0x18, 0x00cf93000000ffffull);
        Put64(kGdt + 0x20, 0x00008b000000ffffull);
    }

    /* The Linux 64-bit boot protocol's entry state, at kCode. */
    static X86CPUState LongModeState()
    {
        X86CPUState s;
        x86_cpu_state_reset(&s, 0);
        s.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_PG;
        s.cr3 = kPml4;
        s.cr4 = X86_CR4_PAE;
        s.efer = X86_EFER_LME | X86_EFER_LMA;
        s.segs[SEG_CS] = {0x10, x86_seg_attrib(0xb, true, 0, true, false, true),
                          0xffffffff, 0};
        for (int seg : {SEG_DS, SEG_ES, SEG_SS, SEG_FS, SEG_GS}) {
            s.segs[seg] = {0x18, x86_seg_attrib(3, true, 0, false, true, true),
                           0xffffffff, 0};
        }
        s.segs[SEG_TR] = {0x20, x86_seg_attrib(0xb, false, 0, false, false, false),
                          0xffff, 0};
        s.segs[SEG_LDTR] = {0, 0, 0, 0};
        s.gdt = {kGdt, 0x27};
        s.idt = {0, 0};
        s.rip = kCode;
        s.regs[R_RSP] = kStack;
        s.rflags = X86_FLAG_FIXED;
        return s;
    }

    void LoadGuest(const std::vector<uint8_t> &code)
    {
        memcpy(Ram(kCode), code.data(), code.size());
        X86CPUState s = LongModeState();
        GError *err = nullptr;
        ASSERT_TRUE(ops_->set_state(&cpu_, &s, &err)) << err->message;
    }

    X86CPUState GetState()
    {
        X86CPUState s;
        GError *err = nullptr;
        EXPECT_TRUE(ops_->get_state(&cpu_, &s, &err)) << (err ? err->message : "");
        return s;
    }

    /* Runs the vCPU on a thread of its own (as the manager does). */
    VCPURunResult RunOnThread(std::chrono::milliseconds kick_after)
    {
        std::atomic<int> result{-1};
        std::thread t([&] { result = ops_->vcpu_run(&cpu_); });
        std::this_thread::sleep_for(kick_after);
        if (result < 0) {
            g_atomic_int_set(&cpu_.exit_request, 1);
            ops_->kick(&cpu_);
        }
        t.join();
        return (VCPURunResult)result.load();
    }

    const AccelOps *ops_ = nullptr;
    Machine machine_ = {};
    VCPU cpu_ = {};
    MemoryRegion *ram_ = nullptr;
    PortLog ports_;
    MmioLog mmio_;
    bool initialized_ = false;
    bool vcpu_ready_ = false;
};

TEST_F(KvmAccelTest, RegisteredWithInKernelIrqchip)
{
    EXPECT_STREQ(ops_->name, "kvm");
    EXPECT_TRUE(ops_->flags & ACCEL_IRQCHIP_IN_KERNEL);
    EXPECT_NE(ops_->set_irq, nullptr);     /* machine_set_irq's route */
}

TEST_F(KvmAccelTest, PortIoReachesTheIoSpace)
{
    /*
     *   mov $0x3f8, %dx ; mov $'K', %al ; out %al, (%dx)
     *   in (%dx), %al   ; mov %al, %bl  ; hlt
     */
    LoadGuest({0x66, 0xba, 0xf8, 0x03, 0xb0, 'K', 0xee, 0xec, 0x88, 0xc3,
               0xf4});
    ports_.stop_cpu_on_read = &cpu_;

    ASSERT_EQ(ops_->vcpu_run(&cpu_), VCPU_RUN_KICKED);
    ASSERT_EQ(ports_.written.size(), 1u);
    EXPECT_EQ(ports_.written[0], 'K');
    EXPECT_EQ(ports_.reads, 1);
    /* The IN was completed before vcpu_run returned. */
    X86CPUState s = GetState();
    EXPECT_EQ(s.rip, kCode + 8);
    EXPECT_EQ(s.regs[R_RAX] & 0xff, 0x5au);

    /* Then HLT: the vCPU halts in the kernel until kicked. */
    g_atomic_int_set(&cpu_.exit_request, 0);
    ports_.stop_cpu_on_read = nullptr;
    EXPECT_EQ(RunOnThread(std::chrono::milliseconds(200)), VCPU_RUN_KICKED);
    s = GetState();
    EXPECT_EQ(s.regs[R_RBX] & 0xff, 0x5au);
    EXPECT_EQ(s.rip, kCode + 11);
    EXPECT_EQ(s.mp_state, X86_MP_HALTED);
}

TEST_F(KvmAccelTest, MmioWriteReachesTheMemorySpace)
{
    /* mov $0xd0000010, %eax ; movl $0x12345678, (%rax) ; hlt */
    LoadGuest({0xb8, 0x10, 0x00, 0x00, 0xd0, 0xc7, 0x00, 0x78, 0x56, 0x34,
               0x12, 0xf4});
    mmio_.stop_cpu = &cpu_;
    ASSERT_EQ(ops_->vcpu_run(&cpu_), VCPU_RUN_KICKED);
    ASSERT_EQ(mmio_.writes.size(), 1u);
    EXPECT_EQ(mmio_.writes[0].first, 0x10u);
    EXPECT_EQ(mmio_.writes[0].second, 0x12345678u);
    EXPECT_EQ(mmio_.last_size, 4u);
    EXPECT_EQ(GetState().rip, kCode + 11);
}

TEST_F(KvmAccelTest, KickStopsASpinningGuest)
{
    /* 1: jmp 1b */
    LoadGuest({0xeb, 0xfe});
    EXPECT_EQ(RunOnThread(std::chrono::milliseconds(100)), VCPU_RUN_KICKED);
    EXPECT_EQ(GetState().rip, kCode);
}

TEST_F(KvmAccelTest, ExitRequestBeforeRunReturnsAtOnce)
{
    LoadGuest({0xeb, 0xfe});
    g_atomic_int_set(&cpu_.exit_request, 1);
    ops_->kick(&cpu_);
    EXPECT_EQ(ops_->vcpu_run(&cpu_), VCPU_RUN_KICKED);
    /* The kick left nothing behind: the next run enters the guest. */
    g_atomic_int_set(&cpu_.exit_request, 0);
    EXPECT_EQ(RunOnThread(std::chrono::milliseconds(50)), VCPU_RUN_KICKED);
}

TEST_F(KvmAccelTest, SetThenGetStatePreservesState)
{
    X86CPUState in = LongModeState();
    for (int i = 0; i < 16; i++) {
        in.regs[i] = 0x0101010101010101ull * (i + 1);
    }
    in.rip = kCode + 0x123;
    in.rflags = X86_FLAG_FIXED | X86_FLAG_CF | X86_FLAG_ZF;
    in.cr2 = 0xdead000;
    in.cr8 = 3;
    in.efer |= X86_EFER_SCE | X86_EFER_NXE;
    in.dr[0] = 0x1000;
    in.dr[1] = 0x2000;
    in.dr[2] = 0x3000;
    in.dr[3] = 0x4000;
    in.fcw = 0x27f;
    in.fsw = 0x3000;                /* TOP = 6 */
    in.ftw = 0xc0;                  /* R6, R7 valid */
    in.st[6] = {0xc000000000000000ull, 0x3fff};
    in.st[7] = {0x8000000000000000ull, 0x4000};
    in.mxcsr = 0x1fa0;
    for (int i = 0; i < 16; i++) {
        in.xmm[i].q[0] = 0x1111111111111111ull * i;
        in.xmm[i].q[1] = ~in.xmm[i].q[0];
    }
    in.star = 0x0023001000000000ull;
    in.lstar = 0xffffffff81000000ull;
    in.cstar = 0xffffffff81000100ull;
    in.fmask = 0x47700;
    in.kernel_gs_base = 0xffff888000000000ull;
    in.sysenter_cs = 0x10;
    in.sysenter_esp = 0x7000;
    in.sysenter_eip = 0xffffffff81000200ull;
    in.pat = 0x0007040600070406ull;
    in.tsc = 1ull << 50;
    in.interrupt_shadow = true;

    GError *err = nullptr;
    ASSERT_TRUE(ops_->set_state(&cpu_, &in, &err)) << err->message;
    X86CPUState out = GetState();

    for (int i = 0; i < 16; i++) {
        EXPECT_EQ(out.regs[i], in.regs[i]) << "reg " << i;
    }
    EXPECT_EQ(out.rip, in.rip);
    EXPECT_EQ(out.rflags, in.rflags);
    for (int i = 0; i < SEG_COUNT; i++) {
        if (!(in.segs[i].attrib & SEG_ATTR_P)) {
            EXPECT_FALSE(out.segs[i].attrib & SEG_ATTR_P) << "seg " << i;
            continue;
        }
        EXPECT_EQ(out.segs[i].selector, in.segs[i].selector) << "seg " << i;
        EXPECT_EQ(out.segs[i].base, in.segs[i].base) << "seg " << i;
        EXPECT_EQ(out.segs[i].limit, in.segs[i].limit) << "seg " << i;
        EXPECT_EQ(out.segs[i].attrib & ~0xf, in.segs[i].attrib & ~0xf) << "seg " << i;
        /* The accessed bit may be set by the CPU. */
        EXPECT_EQ(out.segs[i].attrib & 0xe, in.segs[i].attrib & 0xe) << "seg " << i;
    }
    EXPECT_EQ(out.gdt.base, in.gdt.base);
    EXPECT_EQ(out.gdt.limit, in.gdt.limit);
    EXPECT_EQ(out.idt.base, in.idt.base);
    EXPECT_EQ(out.idt.limit, in.idt.limit);
    EXPECT_EQ(out.cr0, in.cr0);
    EXPECT_EQ(out.cr2, in.cr2);
    EXPECT_EQ(out.cr3, in.cr3);
    EXPECT_EQ(out.cr4, in.cr4);
    EXPECT_EQ(out.cr8, in.cr8);
    EXPECT_EQ(out.efer, in.efer);
    for (int i : {0, 1, 2, 3, 7}) {
        EXPECT_EQ(out.dr[i], in.dr[i]) << "dr" << i;
    }
    EXPECT_EQ(out.fcw, in.fcw);
    EXPECT_EQ(out.fsw, in.fsw);
    EXPECT_EQ(out.ftw, in.ftw);
    for (int i : {6, 7}) {
        EXPECT_EQ(out.st[i].mant, in.st[i].mant) << "R" << i;
        EXPECT_EQ(out.st[i].sign_exp, in.st[i].sign_exp) << "R" << i;
    }
    EXPECT_EQ(out.mxcsr, in.mxcsr);
    EXPECT_EQ(memcmp(out.xmm, in.xmm, sizeof(in.xmm)), 0);
    EXPECT_EQ(out.star, in.star);
    EXPECT_EQ(out.lstar, in.lstar);
    EXPECT_EQ(out.cstar, in.cstar);
    EXPECT_EQ(out.fmask, in.fmask);
    EXPECT_EQ(out.kernel_gs_base, in.kernel_gs_base);
    EXPECT_EQ(out.sysenter_cs, in.sysenter_cs);
    EXPECT_EQ(out.sysenter_esp, in.sysenter_esp);
    EXPECT_EQ(out.sysenter_eip, in.sysenter_eip);
    EXPECT_EQ(out.pat, in.pat);
    EXPECT_EQ(out.apic_base, in.apic_base);
    /*
     * The TSC runs on from the value set (far from the current one, or
     * KVM takes the write for a synchronization of vCPUs' TSCs).  kvm_pvm
     * does not offset the guest's TSC: it ignores the write.
     */
    if (!IsKvmPvm()) {
        EXPECT_GE(out.tsc, in.tsc);
        EXPECT_LT(out.tsc - in.tsc, 30000000000ull) << out.tsc - in.tsc;
    }
    EXPECT_EQ(out.mp_state, X86_MP_RUNNABLE);
    EXPECT_EQ(out.interrupt_shadow, in.interrupt_shadow);
}

TEST_F(KvmAccelTest, SingleStepReturnsKickedWithDebugExit)
{
    /* nop ; nop ; 1: jmp 1b */
    LoadGuest({0x90, 0x90, 0xeb, 0xfe});
    GError *err = nullptr;
    ASSERT_NE(ops_->set_single_step, nullptr);
    ASSERT_TRUE(ops_->set_single_step(&cpu_, true, &err)) << err->message;
    EXPECT_FALSE(kvm_vcpu_take_debug_exit(&cpu_));

    EXPECT_EQ(ops_->vcpu_run(&cpu_), VCPU_RUN_KICKED);
    EXPECT_TRUE(kvm_vcpu_take_debug_exit(&cpu_));
    EXPECT_FALSE(kvm_vcpu_take_debug_exit(&cpu_));
    EXPECT_EQ(GetState().rip, kCode + 1);
    EXPECT_EQ(ops_->vcpu_run(&cpu_), VCPU_RUN_KICKED);
    EXPECT_TRUE(kvm_vcpu_take_debug_exit(&cpu_));
    EXPECT_EQ(GetState().rip, kCode + 2);

    ASSERT_TRUE(ops_->set_single_step(&cpu_, false, &err)) << err->message;
    EXPECT_EQ(RunOnThread(std::chrono::milliseconds(50)), VCPU_RUN_KICKED);
    EXPECT_FALSE(kvm_vcpu_take_debug_exit(&cpu_));
}

/*
 * A triple fault asks the machine for a reset, which ends the process's
 * main loop (a global, sticky state): checked in a child process.
 */
TEST_F(KvmAccelTest, TripleFaultRequestsReset)
{
    ::testing::GTEST_FLAG(death_test_style) = "threadsafe";
    EXPECT_EXIT(
        {
            /* No IDT: ud2 faults into a triple fault. */
            LoadGuest({0x0f, 0x0b});
            MachineConfig cfg = {};
            cfg.no_reboot = true;
            machine_.cfg = &cfg;
            VCPURunResult r = ops_->vcpu_run(&cpu_);
            exit(r == VCPU_RUN_SHUTDOWN && main_loop_quitting() ? 0 : 1);
        },
        ::testing::ExitedWithCode(0), "");
}

/*
 * Code fetched from MMIO cannot be emulated: the failure is reported with
 * a diagnostic naming the exit, the registers and the code.
 */
TEST_F(KvmAccelTest, InternalErrorPrintsDiagnostic)
{
    /* mov $0xd0000800, %eax ; jmp *%rax */
    LoadGuest({0xb8, 0x00, 0x08, 0x00, 0xd0, 0xff, 0xe0});
    ::testing::internal::CaptureStderr();
    VCPURunResult r = ops_->vcpu_run(&cpu_);
    std::string out = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(r, VCPU_RUN_ERROR);
    EXPECT_NE(out.find("KVM_EXIT_INTERNAL_ERROR"), std::string::npos) << out;
    EXPECT_NE(out.find("RIP=00000000d0000800"), std::string::npos) << out;
    EXPECT_NE(out.find("CR0=80000031"), std::string::npos) << out;
    EXPECT_NE(out.find("CS =0010"), std::string::npos) << out;
    EXPECT_NE(out.find("code at RIP: not readable"), std::string::npos) << out;
}

TEST_F(KvmAccelTest, DiagnosticShowsCodeBytesInRam)
{
    /*
     * mov $0x3ffffe, %eax ; jmp *%rax, to an instruction whose first two
     * bytes (mov $imm32, %eax) end the RAM.
     */
    LoadGuest({0xb8, 0xfe, 0xff, 0x3f, 0x00, 0xff, 0xe0});
    Ram(kRamSize - 2)[0] = 0xb8;
    Ram(kRamSize - 2)[1] = 0x01;
    ::testing::internal::CaptureStderr();
    VCPURunResult r = ops_->vcpu_run(&cpu_);
    std::string out = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(r, VCPU_RUN_ERROR);
    EXPECT_NE(out.find("RIP=00000000003ffffe"), std::string::npos) << out;
    EXPECT_NE(out.find("code at RIP: b8 01\n"), std::string::npos) << out;
}

TEST_F(KvmAccelTest, SetIrqDrivesInKernelLines)
{
    ::testing::internal::CaptureStderr();
    for (unsigned gsi : {0u, 1u, 4u, 8u, 12u, 23u}) {
        machine_set_irq(&machine_, gsi, true);
        machine_set_irq(&machine_, gsi, false);
    }
    EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST_F(KvmAccelTest, ApWaitsForStartupUntilKicked)
{
    VCPU ap = {};
    ap.machine = &machine_;
    ap.index = 1;
    GError *err = nullptr;
    ASSERT_TRUE(ops_->vcpu_init(&ap, &err)) << err->message;

    /* The machine's reset: the AP's power-on state, waiting for SIPI. */
    X86CPUState s;
    x86_cpu_state_reset(&s, 1);
    EXPECT_TRUE(ops_->set_state(&ap, &s, &err)) << (err ? err->message : "");
    X86CPUState out;
    EXPECT_TRUE(ops_->get_state(&ap, &out, &err)) << (err ? err->message : "");
    EXPECT_EQ(out.mp_state, X86_MP_WAIT_SIPI);
    EXPECT_EQ(out.segs[SEG_CS].selector, 0xf000);
    EXPECT_EQ(out.segs[SEG_CS].base, 0xffff0000u);
    EXPECT_EQ(out.rip, 0xfff0u);
    EXPECT_EQ(out.apic_base, APIC_DEFAULT_BASE | MSR_APICBASE_ENABLE);

    /* Without INIT and SIPI it does not run; a kick brings it back. */
    std::atomic<int> result{-1};
    std::thread t([&] { result = ops_->vcpu_run(&ap); });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(result, -1);
    g_atomic_int_set(&ap.exit_request, 1);
    ops_->kick(&ap);
    t.join();
    EXPECT_EQ(result, VCPU_RUN_KICKED);
    EXPECT_TRUE(ops_->get_state(&ap, &out, &err));
    EXPECT_EQ(out.mp_state, X86_MP_WAIT_SIPI);
    EXPECT_EQ(out.rip, 0xfff0u);
    ops_->vcpu_cleanup(&ap);
}

}  // namespace
