/*
 * Interrupt and event delivery of the software CPU through the
 * X86InterruptSource interface, with a scripted stand-in for the
 * interrupt controllers: external interrupts and the STI shadow, HLT and
 * wake-up, NMI, and INIT/SIPI starting an AP through the trampoline.
 */
#include "tests/unit/tcg/tcg_harness.h"

namespace tcgtest {
namespace {

struct FakeIntc {
    int pending_vector = -1;
    int acks = 0;
    unsigned events = 0;
    uint8_t sipi_vector = 0;
};

FakeIntc fake;

int FakePending(VCPU *)
{
    return fake.pending_vector;
}

int FakeAck(VCPU *)
{
    int v = fake.pending_vector;

    fake.pending_vector = -1;
    if (v >= 0) {
        fake.acks++;
    }
    return v;
}

unsigned FakeTakeEvents(VCPU *, uint8_t *sipi_vector)
{
    unsigned ev = fake.events;

    fake.events = 0;
    *sipi_vector = fake.sipi_vector;
    return ev;
}

void FakeSetTpr(VCPU *, uint8_t) {}
uint8_t FakeGetTpr(VCPU *) { return 0; }

const X86InterruptSource kFakeSource = {
    FakePending, FakeAck, FakeTakeEvents, FakeSetTpr, FakeGetTpr,
};

class IrqTest : public TcgTest {
  protected:
    void SetUp() override
    {
        TcgTest::SetUp();
        fake = FakeIntc();
        m_.intc = &kFakeSource;
        Load(kCode, guest_irq, sizeof(guest_irq));
        Load(kHandlers + 0x40 * 16, guest_irq + 0x400, 16);
    }

    void Raise(int vector, unsigned cpu = 0)
    {
        fake.pending_vector = vector;
        g_atomic_int_set(&cpus_[cpu]->interrupt_request, 1);
    }
};

TEST_F(IrqTest, HaltThenWakeOnInterrupt)
{
    SetState(0, LongModeState(kCode));
    ASSERT_EQ(Run(), VCPU_RUN_HALT);
    EXPECT_EQ(GetState().rip, kCode + 2);       /* after HLT */
    EXPECT_EQ(GetState().mp_state, X86_MP_HALTED);

    /* A spurious wake-up with nothing pending halts again at once. */
    g_atomic_int_set(&cpus_[0]->interrupt_request, 1);
    EXPECT_EQ(Run(), VCPU_RUN_HALT);
    EXPECT_EQ(g_atomic_int_get(&cpus_[0]->interrupt_request), 0);

    Raise(0x40);
    ASSERT_EQ(Run(), VCPU_RUN_HALT);
    X86CPUState s = GetState();
    EXPECT_EQ(s.regs[R_R14], 1u);
    EXPECT_EQ(s.regs[R_R15], 0x99u);
    EXPECT_EQ(fake.acks, 1);
}

TEST_F(IrqTest, NotDeliveredWhileInterruptsAreOff)
{
    X86CPUState s = LongModeState(kCode + 0x080);

    Raise(0x40);
    s.regs[R_R14] = 0;
    /* Skip the STI: start at the MOV with IF clear. */
    s.rip = kCode + 0x081;
    s = RunFrom(s);
    EXPECT_EQ(s.regs[R_R14], 0u);
    EXPECT_EQ(fake.acks, 0);
}

TEST_F(IrqTest, StiShadowDelaysDeliveryByOneInstruction)
{
    Raise(0x40);
    X86CPUState s = RunFrom(LongModeState(kCode + 0x080));

    EXPECT_EQ(s.regs[R_R13], 0u);               /* the MOV ran first */
    EXPECT_EQ(s.regs[R_R14], 1u);
}

TEST_F(IrqTest, DeliveredInALoop)
{
    Raise(0x40);
    X86CPUState s = RunFrom(LongModeState(kCode + 0x040));

    EXPECT_EQ(s.regs[R_R14], 1u);
    EXPECT_GE(s.regs[R_RBX], 1u);
}

TEST_F(IrqTest, NmiIgnoresIf)
{
    static const uint8_t spin[] = { 0xeb, 0xfe };   /* jmp . */

    Load(kCode + 0x800, spin, sizeof(spin));
    fake.events = X86_INTC_EVENT_NMI;
    g_atomic_int_set(&cpus_[0]->interrupt_request, 1);
    X86CPUState s = RunFrom(LongModeState(kCode + 0x800));
    EXPECT_EQ(s.regs[R_R15], 2u);
    EXPECT_EQ(Get64(s.regs[R_RSP]), kCode + 0x800);
}

TEST_F(IrqTest, InitSipiStartsAnAp)
{
    X86CPUState s;

    Load(GUEST_TRAMPOLINE_ADDR, guest_trampoline, sizeof(guest_trampoline));
    x86_cpu_state_reset(&s, 1);
    SetState(1, s);
    EXPECT_EQ(ops_->vcpu_run(cpus_[1]), VCPU_RUN_HALT);     /* waits for SIPI */

    fake.events = X86_INTC_EVENT_INIT | X86_INTC_EVENT_SIPI;
    fake.sipi_vector = 8;
    g_atomic_int_set(&cpus_[1]->interrupt_request, 1);
    ASSERT_EQ(Run(1), VCPU_RUN_HALT);
    s = GetState(1);
    EXPECT_EQ(s.regs[R_RAX], 0x123456789abcdef0ull);
    EXPECT_TRUE(s.efer & X86_EFER_LMA);
    EXPECT_EQ(s.mp_state, X86_MP_HALTED);
}

}  // namespace
}  // namespace tcgtest
