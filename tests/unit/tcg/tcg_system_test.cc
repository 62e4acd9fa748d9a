/*
 * The software CPU end to end on small guest programs (guest/NAME.S): paging,
 * exception delivery, privilege changes, real mode and the AP trampoline
 * path to long mode, self-modifying code, string, SSE and x87
 * instructions, and LOCKed read-modify-writes from two vCPU threads.
 */
#include <cinttypes>
#include <cmath>
#include <thread>
#include <vector>

#include "tests/unit/tcg/tcg_harness.h"

extern "C" {
#include "accel/tcg/tb.h"
#include "core/memory.h"
}

namespace tcgtest {
namespace {

TEST_F(TcgTest, RegistersAsTcg)
{
    EXPECT_STREQ(ops_->name, "tcg");
    EXPECT_STREQ(ops_->description, "software x86-64 CPU");
    EXPECT_EQ(ops_->flags, 0u);
    EXPECT_TRUE(ops_->probe(nullptr));
}

TEST_F(TcgTest, StateRoundTrips)
{
    X86CPUState s = LongModeState(kCode);

    s.regs[R_R9] = 0x1122334455667788ull;
    s.rflags = X86_FLAG_FIXED | X86_FLAG_CF | X86_FLAG_ZF | X86_FLAG_DF;
    SetState(0, s);
    X86CPUState t = GetState();
    EXPECT_EQ(t.regs[R_R9], s.regs[R_R9]);
    EXPECT_EQ(t.rflags, s.rflags);
    EXPECT_EQ(t.cr3, s.cr3);
    EXPECT_EQ(t.segs[SEG_CS].attrib, s.segs[SEG_CS].attrib);
}

TEST_F(TcgTest, SelfModifyingCodeInTheSameBlock)
{
    Load(kCode, guest_smc, sizeof(guest_smc));
    X86CPUState s = RunFrom(LongModeState(kCode));
    EXPECT_EQ(s.regs[R_RBX] & 0xffffffff, 0x33333333u);
}

TEST_F(TcgTest, HostWritesAfterInvalidationAreSeen)
{
    /* Run once, patch the code through the guest, run the new code. */
    /* mov $1, %eax; hlt */
    static const uint8_t first[] = { 0xb8, 0x01, 0, 0, 0, 0xf4 };
    static const uint8_t patch[] = {
        0xc6, 0x04, 0x25, 0x01, 0x00, 0x10, 0x00, 0x05,  /* movb $5, 0x100001 */
        0xf4,
    };

    Load(kCode, first, sizeof(first));
    Load(kCode + 0x800, patch, sizeof(patch));
    EXPECT_EQ(RunFrom(LongModeState(kCode)).regs[R_RAX], 1u);
    RunFrom(LongModeState(kCode + 0x800));
    EXPECT_EQ(RunFrom(LongModeState(kCode)).regs[R_RAX], 5u);
}

/*
 * RAM written through the memory API (a loader, a device's DMA) drops the
 * decoded code of every page it touches, and only those.
 */
TEST_F(TcgTest, RamWrittenByDevicesInvalidatesCodePages)
{
    TCGPages *pages = static_cast<TCGPages *>(m_.accel_state);
    uint8_t buf[0x1002] = {};

    for (uint64_t page : {kCode, kCode + 0x1000, kCode + 0x2000, kCode + 0x3000}) {
        tcg_page_mark_code(pages, page);
    }
    /* Two bytes into the third page, from the end of the first. */
    ASSERT_TRUE(address_space_write(m_.memory, kCode + 0xfff, buf, sizeof(buf)));
    EXPECT_FALSE(tcg_page_has_code(pages, kCode));
    EXPECT_FALSE(tcg_page_has_code(pages, kCode + 0x1000));
    EXPECT_FALSE(tcg_page_has_code(pages, kCode + 0x2000));
    EXPECT_TRUE(tcg_page_has_code(pages, kCode + 0x3000));
    ASSERT_TRUE(address_space_write_val(m_.memory, kCode + 0x3008, 4, 0));
    EXPECT_FALSE(tcg_page_has_code(pages, kCode + 0x3000));
}

/* Runs the exceptions.S entry at OFF; expects the handler for VEC. */
class ExceptionTest : public TcgTest {
  protected:
    X86CPUState RunEntry(uint64_t off, uint64_t vec)
    {
        Load(kCode, guest_exceptions, sizeof(guest_exceptions));
        X86CPUState s = RunFrom(LongModeState(kCode + off));
        EXPECT_EQ(s.regs[R_R15], vec);
        return s;
    }
};

TEST_F(ExceptionTest, PageFaultOnNotPresentRead)
{
    X86CPUState s = RunEntry(0x000, 14);
    uint64_t sp = s.regs[R_RSP];

    EXPECT_EQ(s.cr2, kPageAbsent + 8);
    EXPECT_EQ(Get64(sp), 0u);                   /* not present, read, CPL0 */
    EXPECT_EQ(Get64(sp + 8), kCode + 0x000);    /* faulting RIP */
    EXPECT_EQ(Get64(sp + 16), 0x10u);           /* CS */
    EXPECT_EQ(Get64(sp + 32), kStack);          /* RSP */
    EXPECT_EQ(Get64(sp + 40), 0x18u);           /* SS */
    EXPECT_EQ(sp, kStack - 48);
}

TEST_F(ExceptionTest, PageFaultOnReadOnlyWrite)
{
    X86CPUState s = RunEntry(0x040, 14);

    EXPECT_EQ(s.cr2, kPageRo + 0x10);
    EXPECT_EQ(Get64(s.regs[R_RSP]), 0x3u);      /* present | write */
    EXPECT_EQ(Get64(kPageRo + 0x10), 0u);       /* nothing written */
}

TEST_F(ExceptionTest, PageFaultOnNxFetch)
{
    X86CPUState s = RunEntry(0x1c0, 14);

    EXPECT_EQ(s.cr2, kPageNx);
    EXPECT_EQ(Get64(s.regs[R_RSP]), 0x11u);     /* present | fetch */
    EXPECT_EQ(Get64(s.regs[R_RSP] + 8), kPageNx);
}

TEST_F(ExceptionTest, DivideError)
{
    X86CPUState s = RunEntry(0x080, 0);

    /* RIP of the DIV, and no error code */
    EXPECT_EQ(Get64(s.regs[R_RSP]), kCode + 0x082);
}

TEST_F(ExceptionTest, InvalidOpcode)
{
    X86CPUState s = RunEntry(0x0c0, 6);

    EXPECT_EQ(Get64(s.regs[R_RSP]), kCode + 0x0c0);
}

TEST_F(ExceptionTest, GeneralProtectionFromUnknownMsr)
{
    X86CPUState s = RunEntry(0x100, 13);

    EXPECT_EQ(Get64(s.regs[R_RSP]), 0u);
    EXPECT_EQ(Get64(s.regs[R_RSP] + 8), kCode + 0x105);
}

TEST_F(ExceptionTest, BreakpointReturnsAfterInt3)
{
    X86CPUState s = RunEntry(0x140, 3);

    EXPECT_EQ(Get64(s.regs[R_RSP]), kCode + 0x141);
}

TEST_F(ExceptionTest, IretqResumes)
{
    X86CPUState s = RunEntry(0x180, 0x77);

    EXPECT_EQ(s.regs[R_R14], 2u);
    EXPECT_EQ(s.regs[R_RSP], kStack);
    EXPECT_TRUE(s.rflags & X86_FLAG_FIXED);
}

TEST_F(ExceptionTest, DoubleFaultOnIst)
{
    /* The #PF frame lands on the absent page: #DF, delivered on IST1. */
    X86CPUState s = RunEntry(0x200, 8);

    EXPECT_EQ(s.regs[R_RSP], kIst1 - 48);
    EXPECT_EQ(Get64(s.regs[R_RSP]), 0u);
}

TEST_F(ExceptionTest, TripleFaultShutsDown)
{
    X86CPUState s = LongModeState(kCode + 0x200);

    Load(kCode, guest_exceptions, sizeof(guest_exceptions));
    s.idt.limit = 0;    /* every delivery faults */
    SetState(0, s);
    EXPECT_EQ(Run(), VCPU_RUN_SHUTDOWN);
}

TEST_F(TcgTest, SyscallSysretAndUserFault)
{
    Load(kCode, guest_syscall, sizeof(guest_syscall));
    X86CPUState s = RunFrom(LongModeState(kCode));

    EXPECT_EQ(s.regs[R_R14], 1u);               /* one syscall */
    EXPECT_EQ(s.regs[R_R13], kCode + 0x1009);   /* RCX: after SYSCALL */
    EXPECT_EQ(s.regs[R_R12], 0x2u);             /* R11: user RFLAGS */
    EXPECT_EQ(s.regs[R_RBX], 0x33u);            /* user CS */
    EXPECT_EQ(s.regs[R_RBP], 0x2bu);            /* user SS */
    EXPECT_EQ(s.regs[R_R15], 13u);              /* HLT at CPL3: #GP */
    /* The #GP frame is on RSP0, with the user's CS and SS. */
    EXPECT_EQ(s.regs[R_RSP], kRsp0 - 48);
    EXPECT_EQ(Get64(s.regs[R_RSP] + 16), 0x33u);
    EXPECT_EQ(Get64(s.regs[R_RSP] + 40), 0x2bu);
    EXPECT_EQ(s.segs[SEG_CS].selector, 0x10u);
}

TEST_F(TcgTest, RealModeTrampolineToLongMode)
{
    X86CPUState s;

    Load(GUEST_TRAMPOLINE_ADDR, guest_trampoline, sizeof(guest_trampoline));
    x86_cpu_state_reset(&s, 1);
    s.segs[SEG_CS].selector = 0x0800;       /* as a SIPI with vector 8 */
    s.segs[SEG_CS].base = 0x8000;
    s.rip = 0;
    s.mp_state = X86_MP_RUNNABLE;
    SetState(0, s);
    ASSERT_EQ(Run(), VCPU_RUN_HALT);
    s = GetState();
    EXPECT_EQ(s.regs[R_RAX], 0x123456789abcdef0ull);
    EXPECT_EQ(s.regs[R_RBX], 0xb4b4u);
    EXPECT_TRUE(s.efer & X86_EFER_LMA);
    EXPECT_EQ(s.segs[SEG_CS].selector, 0x18u);
    EXPECT_TRUE(s.segs[SEG_CS].attrib & SEG_ATTR_L);
}

TEST_F(TcgTest, StringInstructions)
{
    X86CPUState s;

    Load(kCode, guest_strings, sizeof(guest_strings));
    for (int i = 0; i < 10000; i++) {
        ram_[0x20000 + i] = (uint8_t)(i * 7 + 1);
    }
    s = RunFrom(LongModeState(kCode + 0x000));
    EXPECT_EQ(memcmp(ram_ + 0x20000, ram_ + 0x30000, 10000), 0);
    EXPECT_EQ(s.regs[R_RCX], 0u);
    EXPECT_EQ(s.regs[R_RSI], 0x20000u + 10000);

    s = RunFrom(LongModeState(kCode + 0x040));
    EXPECT_EQ(Get64(0x30000), 0x0123456789abcdefull);
    EXPECT_EQ(Get64(0x30000 + 999 * 8), 0x0123456789abcdefull);
    EXPECT_EQ(s.regs[R_RDI], 0x30000u + 8000);

    memcpy(ram_ + 0x20000, "hello, world", 13);
    s = RunFrom(LongModeState(kCode + 0x080));
    EXPECT_EQ(s.regs[R_RCX], 12u);

    memcpy(ram_ + 0x30000, "hello, there", 13);
    s = RunFrom(LongModeState(kCode + 0x0c0));
    EXPECT_EQ(s.regs[R_RSI], 0x20008u);         /* stopped after 'w' != 't' */
    EXPECT_EQ(s.regs[R_RCX], 92u);
    EXPECT_FALSE(s.rflags & X86_FLAG_ZF);

    memcpy(ram_ + 0x20000, "0123456789abcdef", 16);
    memset(ram_ + 0x30000, 0, 16);
    s = RunFrom(LongModeState(kCode + 0x100));
    EXPECT_EQ(memcmp(ram_ + 0x30000, "0123456789abcdef", 16), 0);
    EXPECT_EQ(s.regs[R_RSI], 0x1fffcu);
    EXPECT_FALSE(s.rflags & X86_FLAG_DF);

    s = RunFrom(LongModeState(kCode + 0x140));
    EXPECT_EQ(s.regs[R_RAX] & 0xffffffff, 0x33323534u);  /* "0123", then "45" */
    EXPECT_EQ(s.regs[R_RSI], 0x20006u);
}

TEST_F(TcgTest, SseStringSearchAndArithmetic)
{
    X86CPUState s;
    static const uint8_t a[16] = { 'a', 'b', 'c', 'd', 'e', 0, 'g', 'h',
                                   1, 2, 3, 4, 5, 6, 7, 8 };
    static const uint8_t b[16] = { 1, 0, 0, 0, 2, 0, 0, 0,
                                   3, 0, 0, 0, 4, 0, 0, 0 };

    Load(kCode, guest_sse, sizeof(guest_sse));
    memcpy(ram_ + 0x20000, a, 16);
    memcpy(ram_ + 0x20010, b, 16);
    s = RunFrom(LongModeState(kCode));
    EXPECT_EQ(s.regs[R_RAX], 5u);

    s = RunFrom(LongModeState(kCode + 0x40));
    /* paddd: dwords of a + b */
    uint32_t a32[4], b32[4], sum[4];
    memcpy(a32, a, 16);
    memcpy(b32, b, 16);
    for (int i = 0; i < 4; i++) {
        sum[i] = a32[i] + b32[i];
    }
    EXPECT_EQ(s.regs[R_RBX], sum[0]);
    /* pshufd 0x1b reverses the dwords, then psubb, pminub, punpcklbw, psrldq */
    uint8_t x[16], y[16];
    uint32_t rev[4] = { sum[3], sum[2], sum[1], sum[0] };
    memcpy(x, rev, 16);
    for (int i = 0; i < 16; i++) {
        x[i] = (uint8_t)(x[i] - b[i]);
        x[i] = x[i] < b[i] ? x[i] : b[i];
    }
    for (int i = 0; i < 8; i++) {
        y[2 * i] = x[i];
        y[2 * i + 1] = b[i];
    }
    uint8_t z[16] = {};
    memcpy(z, y + 3, 13);
    EXPECT_EQ(memcmp(ram_ + 0x20040, z, 16), 0);
    uint64_t lo;
    memcpy(&lo, z, 8);
    EXPECT_EQ(s.regs[R_RAX], lo);

    s = RunFrom(LongModeState(kCode + 0xc0));
    EXPECT_EQ(s.regs[R_RBX], 5u);               /* sqrt(3*3 + 4*4) */
    EXPECT_EQ(s.regs[R_RCX] & 0xff, 0u);        /* not 5 > 16 */
    EXPECT_EQ(s.xmm[0].f[0], 5.0);

    s = RunFrom(LongModeState(kCode + 0x140));
    EXPECT_EQ(Get32(0x20100) & 0xffff, 0x37fu);
    EXPECT_EQ(Get32(0x20104), 0x1f80u);
    EXPECT_EQ(Get32(0x20200 + 24), 0x1f80u);    /* FXSAVE's MXCSR */
    EXPECT_EQ(Get64(0x20200 + 160 + 16), s.xmm[1].q[0]);
}

TEST_F(TcgTest, LockedIncrementsFromTwoVcpus)
{
    const uint64_t n = 200000;

    Load(kCode, guest_lock, sizeof(guest_lock));
    Put64(0x40000, 0);
    for (unsigned i = 0; i < 2; i++) {
        X86CPUState s = LongModeState(kCode);

        s.regs[R_RCX] = n;
        s.regs[R_RSP] = kStack - i * 0x1000;
        SetState(i, s);
    }
    VCPURunResult r0 = VCPU_RUN_ERROR, r1 = VCPU_RUN_ERROR;
    std::thread t0([&] { r0 = Run(0); });
    std::thread t1([&] { r1 = Run(1); });
    t0.join();
    t1.join();
    EXPECT_EQ(r0, VCPU_RUN_HALT);
    EXPECT_EQ(r1, VCPU_RUN_HALT);
    EXPECT_EQ(Get64(0x40000), 4 * n);
}

TEST_F(TcgTest, ApWaitsForSipi)
{
    X86CPUState s;

    x86_cpu_state_reset(&s, 1);
    SetState(1, s);
    EXPECT_EQ(ops_->vcpu_run(cpus_[1]), VCPU_RUN_HALT);
}

TEST_F(TcgTest, KickReturnsPromptly)
{
    static const uint8_t spin[] = { 0xeb, 0xfe };    /* jmp . */

    Load(kCode, spin, sizeof(spin));
    SetState(0, LongModeState(kCode));
    VCPURunResult r = VCPU_RUN_ERROR;
    std::thread t([&] { r = ops_->vcpu_run(cpus_[0]); });
    g_usleep(20000);
    g_atomic_int_set(&cpus_[0]->exit_request, 1);
    ops_->kick(cpus_[0]);
    t.join();
    EXPECT_EQ(r, VCPU_RUN_KICKED);
    EXPECT_EQ(GetState().rip, kCode);
}

/*
 * add $-5, %eax; sub $1, %ebx; lea 7(%rax), %ecx; hlt.  Run whole, the
 * ADD's flags are dead (the SUB overwrites them all): a step must still
 * leave them.
 */
const uint8_t kStepCode[] = {
    0x83, 0xc0, 0xfb, 0x83, 0xeb, 0x01, 0x8d, 0x48, 0x07, 0xf4,
};
constexpr uint64_t kArith = X86_FLAG_CF | X86_FLAG_PF | X86_FLAG_AF |
                            X86_FLAG_ZF | X86_FLAG_SF | X86_FLAG_OF;

class StepTest : public TcgTest {
  protected:
    X86CPUState StepStart()
    {
        X86CPUState s = LongModeState(kCode);

        s.regs[R_RAX] = 5;
        s.regs[R_RBX] = 0;
        s.regs[R_RCX] = 0x99;
        return s;
    }

    void SetStep(bool on)
    {
        GError *err = nullptr;

        ASSERT_NE(ops_->set_single_step, nullptr);
        ASSERT_TRUE(ops_->set_single_step(cpus_[0], on, &err));
    }
};

TEST_F(StepTest, EachRunExecutesOneInstruction)
{
    Load(kCode, kStepCode, sizeof(kStepCode));
    /* A whole run first, so that the multi-instruction block is cached. */
    X86CPUState whole = RunFrom(StepStart());
    EXPECT_EQ(whole.rip, kCode + 10);
    EXPECT_EQ(whole.regs[R_RCX], 7u);

    SetState(0, StepStart());
    SetStep(true);
    ASSERT_EQ(ops_->vcpu_run(cpus_[0]), VCPU_RUN_KICKED);
    X86CPUState s = GetState();
    EXPECT_EQ(s.rip, kCode + 3);
    EXPECT_EQ(s.regs[R_RAX], 0u);
    EXPECT_EQ(s.regs[R_RBX], 0u);
    EXPECT_EQ(s.rflags & kArith,
              X86_FLAG_CF | X86_FLAG_PF | X86_FLAG_AF | X86_FLAG_ZF);

    ASSERT_EQ(ops_->vcpu_run(cpus_[0]), VCPU_RUN_KICKED);
    s = GetState();
    EXPECT_EQ(s.rip, kCode + 6);
    EXPECT_EQ(s.regs[R_RBX], 0xffffffffu);
    EXPECT_EQ(s.regs[R_RCX], 0x99u);
    EXPECT_EQ(s.rflags & kArith,
              X86_FLAG_CF | X86_FLAG_PF | X86_FLAG_AF | X86_FLAG_SF);

    ASSERT_EQ(ops_->vcpu_run(cpus_[0]), VCPU_RUN_KICKED);
    s = GetState();
    EXPECT_EQ(s.rip, kCode + 9);
    EXPECT_EQ(s.regs[R_RCX], 7u);
    EXPECT_EQ(s.rflags & kArith,
              X86_FLAG_CF | X86_FLAG_PF | X86_FLAG_AF | X86_FLAG_SF);

    /* The HLT is the fourth step. */
    EXPECT_EQ(ops_->vcpu_run(cpus_[0]), VCPU_RUN_HALT);
    s = GetState();
    EXPECT_EQ(s.rip, kCode + 10);
    EXPECT_EQ(s.regs[R_RAX], whole.regs[R_RAX]);
    EXPECT_EQ(s.regs[R_RBX], whole.regs[R_RBX]);
    EXPECT_EQ(s.rflags, whole.rflags);
}

TEST_F(StepTest, DisablingRunsToHlt)
{
    Load(kCode, kStepCode, sizeof(kStepCode));
    SetState(0, StepStart());
    SetStep(true);
    ASSERT_EQ(ops_->vcpu_run(cpus_[0]), VCPU_RUN_KICKED);
    EXPECT_EQ(GetState().rip, kCode + 3);
    SetStep(false);
    EXPECT_EQ(ops_->vcpu_run(cpus_[0]), VCPU_RUN_HALT);
    X86CPUState s = GetState();
    EXPECT_EQ(s.rip, kCode + 10);
    EXPECT_EQ(s.regs[R_RBX], 0xffffffffu);
    EXPECT_EQ(s.regs[R_RCX], 7u);
}

TEST_F(StepTest, FaultingInstructionIsOneStep)
{
    static const uint8_t ud2[] = { 0x0f, 0x0b };

    Load(kCode, ud2, sizeof(ud2));
    SetState(0, StepStart());
    SetStep(true);
    ASSERT_EQ(ops_->vcpu_run(cpus_[0]), VCPU_RUN_KICKED);
    X86CPUState s = GetState();
    /* #UD delivered: at the handler, with the faulting RIP on the stack */
    EXPECT_EQ(s.rip, kHandlers + 6 * 16);
    EXPECT_EQ(Get64(s.regs[R_RSP]), kCode);
    ASSERT_EQ(ops_->vcpu_run(cpus_[0]), VCPU_RUN_KICKED);
    EXPECT_NE(GetState().rip, kHandlers + 6 * 16);
}

}  // namespace
}  // namespace tcgtest

namespace tcgtest {
namespace {

class MiscTest : public TcgTest {
  protected:
    X86CPUState RunEntry(uint64_t off)
    {
        Load(kCode, guest_misc, sizeof(guest_misc));
        return RunFrom(LongModeState(kCode + off));
    }
};

/*
 * ALU instructions with a memory destination have a fast path through the
 * soft TLB; these are the cases it must hand to the slow path.
 */
class MemAluTest : public TcgTest {
  protected:
    /* movabs $ADDR, %rbx; mov $EAX, %eax; INSN; hlt */
    X86CPUState RunOn(uint64_t addr, uint32_t eax, std::vector<uint8_t> insn)
    {
        std::vector<uint8_t> code = {0x48, 0xbb};
        for (int i = 0; i < 8; i++) {
            code.push_back(addr >> (8 * i));
        }
        code.push_back(0xb8);
        for (int i = 0; i < 4; i++) {
            code.push_back(eax >> (8 * i));
        }
        code.insert(code.end(), insn.begin(), insn.end());
        code.push_back(0xf4);
        Load(kCode, code.data(), code.size());
        return RunFrom(LongModeState(kCode));
    }
};

TEST_F(MemAluTest, AccessStraddlingTwoPages)
{
    const uint64_t addr = kCode + 0x1ffe;
    memcpy(ram_ + addr, "\x04\x03\x02\x01", 4);
    RunOn(addr, 0x11111111, {0x01, 0x03});          /* add %eax, (%rbx) */
    EXPECT_EQ(Get32(addr), 0x12131415u);
    X86CPUState s = RunOn(addr, 0x12131416, {0x2b, 0x03});   /* sub (%rbx), %eax */
    EXPECT_EQ(s.regs[R_RAX], 1u);
}

TEST_F(MemAluTest, ReadOnlyPageFaultsAndWritesNothing)
{
    X86CPUState s = RunOn(kPageRo + 0x10, 0, {0x83, 0x03, 0x01});   /* addl $1, (%rbx) */
    EXPECT_EQ(s.regs[R_R15], 14u);
    EXPECT_EQ(s.cr2, kPageRo + 0x10);
    EXPECT_EQ(Get64(kPageRo + 0x10), 0u);
}

struct MmioCell {
    uint64_t value = 40;
    int reads = 0, writes = 0;
};

TEST_F(MemAluTest, MmioGoesToTheDevice)
{
    static const MemoryRegionOps ops = {
        [](void *opaque, uint64_t, unsigned) -> uint64_t {
            MmioCell *c = static_cast<MmioCell *>(opaque);
            c->reads++;
            return c->value;
        },
        [](void *opaque, uint64_t, uint64_t value, unsigned) {
            MmioCell *c = static_cast<MmioCell *>(opaque);
            c->writes++;
            c->value = value;
        },
        0,
    };
    MmioCell cell;
    ASSERT_NE(address_space_add_io(m_.memory, "cell", 0x40000000, 0x1000, &ops,
                                   &cell, nullptr), nullptr);
    RunOn(0x40000000, 0, {0x83, 0x03, 0x02});       /* addl $2, (%rbx) */
    EXPECT_EQ(cell.value, 42u);
    EXPECT_EQ(cell.reads, 1);
    EXPECT_EQ(cell.writes, 1);
}

TEST_F(MiscTest, AccessedAndDirtyBits)
{
    RunEntry(0x000);
    EXPECT_EQ(Get64(kPt + 0x180 * 8) & 0x60, 0x20u);   /* A, not D */
    EXPECT_EQ(Get64(kPt + 0x181 * 8) & 0x60, 0x60u);   /* A and D */
    EXPECT_EQ(Get64(kPt + 0x17f * 8) & 0x60, 0u);      /* untouched */
    EXPECT_TRUE(Get64(kPdpt) & 0x20);                   /* upper levels: A */
}

TEST_F(MiscTest, InvlpgAndCr3ReloadFlushTheTlb)
{
    Put64(0x182000, 0x1111);
    Put64(0x183000, 0x2222);
    X86CPUState s = RunEntry(0x080);
    EXPECT_EQ(s.regs[R_RAX], 0x1111u);
    EXPECT_EQ(s.regs[R_RCX], 0x2222u);
    EXPECT_EQ(s.regs[R_RDX], 0x1111u);
}

TEST_F(MiscTest, WriteProtectOffAllowsSupervisorWrites)
{
    X86CPUState s = RunEntry(0x100);
    EXPECT_EQ(s.regs[R_R15], 0u);
    EXPECT_EQ(Get64(kPageRo + 0x18), 0x55u);
}

TEST_F(MiscTest, Cmpxchg16b)
{
    Put64(0x20000, 5);
    Put64(0x20008, 6);
    X86CPUState s = RunEntry(0x180);
    EXPECT_EQ(s.regs[R_R8] & 0xff, 0u);
    EXPECT_EQ(s.regs[R_R9] & 0xff, 1u);
    EXPECT_EQ(Get64(0x20000), 1u);
    EXPECT_EQ(Get64(0x20008), 2u);
}

TEST_F(MiscTest, FlagsOfRotatesAndIncAreKept)
{
    X86CPUState s = RunEntry(0x200);
    EXPECT_EQ(s.regs[R_RBX] & 0xffff, 0x0001u);    /* BL = 1, BH = 0 */
    EXPECT_EQ(s.regs[R_RCX] & 0xff, 1u);
}

TEST_F(MiscTest, FarReturnAndSegmentLoads)
{
    X86CPUState s = RunEntry(0x280);
    EXPECT_EQ(s.regs[R_RBX], 0x10u);
    EXPECT_EQ(s.regs[R_RCX], 0x18u);
    EXPECT_EQ(s.regs[R_R15], 0u);
}

TEST_F(MiscTest, StringStoresToNothingAndReadsOfNothing)
{
    X86CPUState s = RunEntry(0x300);
    EXPECT_EQ(s.regs[R_RCX], 0u);
    EXPECT_EQ(s.regs[R_RDI], 0xe0000040u);
    EXPECT_EQ(s.regs[R_RAX], ~0ull);
}

}  // namespace
}  // namespace tcgtest

namespace tcgtest {
namespace {

/*
 * Interpreter speed on a fixed guest workload (about 9 M guest
 * instructions); run by hand: --gtest_also_run_disabled_tests.
 */
}  // namespace
}  // namespace tcgtest

namespace tcgtest {
namespace {

TEST_F(TcgTest, RealModeSixteenBitCode)
{
    X86CPUState s;

    Load(GUEST_REAL_ADDR, guest_real, sizeof(guest_real));
    x86_cpu_state_reset(&s, 0);
    s.segs[SEG_CS].selector = 0x0800;
    s.segs[SEG_CS].base = 0x8000;
    s.rip = 0;
    s.idt.base = 0;
    s.idt.limit = 0x3ff;
    SetState(0, s);
    ASSERT_EQ(Run(), VCPU_RUN_HALT);
    s = GetState();
    EXPECT_EQ(ram_[0x8130] | ram_[0x8131] << 8, 0x1234);
    EXPECT_EQ(s.regs[R_RDX] & 0xffff, 5u);
    EXPECT_EQ(s.regs[R_RCX] & 0xffff, 0u);
    EXPECT_EQ(s.regs[R_RDI] & 0xffff, 0x2eu);
    EXPECT_EQ(Get32(0x8210), 0x89abcdefu);
    EXPECT_EQ(s.regs[R_RBP] & 0xffff, 0x4242u);     /* the INT 0x40 handler */
    EXPECT_EQ(s.regs[R_RSP] & 0xffff, 0x1000u);
}

TEST_F(TcgTest, InstructionStraddlingTwoPages)
{
    /* mov $0x12345678, %eax; hlt -- split 3 + 3 across 0x1fc000 */
    static const uint8_t code[] = { 0xb8, 0x78, 0x56, 0x34, 0x12, 0xf4 };
    static const uint8_t patch[] = {
        /* movb $0x99, 0x1fc000 */
        0xc6, 0x04, 0x25, 0x00, 0xc0, 0x1f, 0x00, 0x99,
        0xf4,
    };

    Load(0x1fbffd, code, sizeof(code));
    X86CPUState s = RunFrom(LongModeState(0x1fbffd));
    EXPECT_EQ(s.regs[R_RAX], 0x12345678u);
    EXPECT_EQ(s.rip, 0x1fc003u);

    /* A guest write to the second page invalidates the block. */
    Load(kCode, patch, sizeof(patch));
    RunFrom(LongModeState(kCode));
    SetState(0, LongModeState(0x1fbffd));
    ASSERT_EQ(Run(), VCPU_RUN_HALT);
    EXPECT_EQ(GetState().regs[R_RAX], 0x12995678u);
}

TEST_F(TcgTest, FetchFaultOnTheSecondPageOfAnInstruction)
{
    static const uint8_t code[] = { 0xbb, 0xf0, 0xde, 0xbc, 0x9a, 0xf4 };

    Load(kPageNx - 3, code, sizeof(code));
    X86CPUState s = RunFrom(LongModeState(kPageNx - 3));
    EXPECT_EQ(s.regs[R_R15], 14u);
    EXPECT_EQ(s.cr2, kPageNx);
    EXPECT_EQ(Get64(s.regs[R_RSP]), 0x11u);
    EXPECT_EQ(Get64(s.regs[R_RSP] + 8), kPageNx - 3);
}

TEST_F(TcgTest, OverlongInstructionRaisesGp)
{
    /* 15 prefixes and a NOP: 16 bytes */
    uint8_t code[17];

    memset(code, 0x66, 15);
    code[15] = 0x90;
    code[16] = 0xf4;
    Load(kCode, code, sizeof(code));
    X86CPUState s = RunFrom(LongModeState(kCode));
    EXPECT_EQ(s.regs[R_R15], 13u);
    EXPECT_EQ(Get64(s.regs[R_RSP] + 8), kCode);
}

}  // namespace
}  // namespace tcgtest

namespace tcgtest {
namespace {

TEST_F(TcgTest, X87Arithmetic)
{
    const double a = 7.25, b = -3.5, c = 2.75;
    const int32_t i = 5;

    Load(kCode, guest_x87, sizeof(guest_x87));
    memcpy(ram_ + 0x20000, &a, 8);
    memcpy(ram_ + 0x20008, &b, 8);
    memcpy(ram_ + 0x20010, &c, 8);
    memcpy(ram_ + 0x20018, &i, 4);
    X86CPUState s = RunFrom(LongModeState(kCode));
    ASSERT_EQ(s.regs[R_R15], 0u) << "unexpected exception";

    long double want = std::sqrt(((long double)a + b) * c);
    uint8_t got80[10];
    memcpy(got80, ram_ + 0x20100, 10);
#if defined(__x86_64__)
    EXPECT_EQ(memcmp(got80, &want, 10), 0);
#endif
    double out;
    memcpy(&out, ram_ + 0x20118, 8);
    EXPECT_EQ(out, a / b);
    EXPECT_EQ((int32_t)Get32(0x20110), 16);         /* round(5 pi) */
    EXPECT_EQ(ram_[0x20120], 1);                    /* a > b */
    EXPECT_EQ(ram_[0x20121], 0);
    EXPECT_EQ((int64_t)Get64(0x20128), 7);          /* rint(|-7.25|) */
    memcpy(&out, ram_ + 0x20130, 8);
    EXPECT_NEAR(out, std::log2(std::log2(std::exp(1.0))), 1e-15);
    memcpy(&out, ram_ + 0x20138, 8);
    EXPECT_EQ(out, std::fmod(a, c));
    EXPECT_EQ((s.regs[R_RAX] >> 11) & 7, 0u);       /* stack balanced */
    EXPECT_EQ(Get32(0x20140) & 0xffff, 0x37fu);
}

}  // namespace
}  // namespace tcgtest

namespace tcgtest {
namespace {

TEST_F(MiscTest, TrapFlagSingleSteps)
{
    /* #DB (vector 1) counts in R14 and returns, like the INT 0x80 stub. */
    Load(kHandlers + 1 * 16, guest_handlers + 0x80 * 16, 16);
    X86CPUState s = RunEntry(0x380);

    EXPECT_EQ(s.regs[R_R13], 0x55u);
    EXPECT_EQ(s.regs[R_R14], 5u);       /* nop, nop, pushfq, andq, popfq */
    EXPECT_FALSE(s.rflags & X86_FLAG_TF);
    EXPECT_TRUE(s.dr[6] & (1u << 14));
}

}  // namespace
}  // namespace tcgtest
