// IOAPIC and LAPICs: redirection to LAPIC IRR, acceptance by priority,
// EOI and Remote IRR, IPIs and INIT/SIPI/NMI events, the LAPIC timer.
#include "tests/unit/intc/fake_machine.h"

extern "C" {
#include "hw/intc/ioapic.h"
#include "hw/intc/lapic.h"
#include "hw/intc/x86_intc.h"
#include "target/x86_64/cpu.h"
}

namespace {

constexpr uint64_t kIoapic = 0xfec00000;

class ApicTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        f = FakeMachine::create();
        g_autoptr(GError) err = nullptr;
        ASSERT_TRUE(x86_intc_init(&f->m, &err));
        intc = f->m.intc;
        for (int i = 0; i < 2; i++) {
            cpu[i] = &f->cpu[i];
            lapic[i] = static_cast<LAPIC *>(cpu[i]->intc);
            ASSERT_NE(lapic[i], nullptr);
            lw(i, LAPIC_SVR, 0x1ff);        // software-enable
        }
    }

    void lw(int i, unsigned reg, uint32_t v)
    {
        bql_lock();
        lapic_write(lapic[i], reg, v);
        bql_unlock();
    }
    uint32_t lr(int i, unsigned reg)
    {
        bql_lock();
        uint32_t v = lapic_read(lapic[i], reg);
        bql_unlock();
        return v;
    }
    bool lbit(int i, unsigned base, unsigned vector)
    {
        return lr(i, base + 0x10 * (vector / 32)) & (1u << (vector % 32));
    }
    void ioapic_write(uint8_t index, uint32_t v)
    {
        f->writel(kIoapic, index);
        f->writel(kIoapic + 0x10, v);
    }
    uint32_t ioapic_read(uint8_t index)
    {
        f->writel(kIoapic, index);
        return f->readl(kIoapic + 0x10);
    }
    void route(unsigned pin, uint32_t low, uint8_t dest)
    {
        ioapic_write(0x10 + 2 * pin + 1, (uint32_t)dest << 24);
        ioapic_write(0x10 + 2 * pin, low);
    }
    void irq(unsigned n, bool level)
    {
        bql_lock();
        machine_set_irq(&f->m, n, level);
        bql_unlock();
    }
    void self_ipi(int i, uint8_t vector) { lw(i, LAPIC_ICR_LO, 0x44000 | vector); }

    FakeMachine *f;
    const X86InterruptSource *intc;
    VCPU *cpu[2];
    LAPIC *lapic[2];
};

TEST_F(ApicTest, IoapicIdentification)
{
    EXPECT_EQ(ioapic_read(0x01), 0x00170020u);      // 24 pins, version 0x20
    EXPECT_EQ(ioapic_read(0x00) >> 24, 2u);         // after the CPUs' IDs
    EXPECT_EQ(ioapic_read(0x10), 1u << 16);         // masked after reset
    ioapic_write(0x00, 5u << 24);
    EXPECT_EQ(ioapic_read(0x00), 5u << 24);
}

TEST_F(ApicTest, LapicIdentification)
{
    EXPECT_EQ(lr(0, LAPIC_ID), 0u);
    EXPECT_EQ(lr(1, LAPIC_ID), 1u << 24);
    EXPECT_EQ(lr(1, LAPIC_VERSION), 0x50014u);
    EXPECT_EQ(lr(1, LAPIC_LVT_LINT0), 1u << 16);
    EXPECT_EQ(lr(1, LAPIC_DFR), 0xffffffffu);
}

TEST_F(ApicTest, MmioGoesToTheCallersLapic)
{
    // Outside a vCPU thread the page is the BSP's.
    EXPECT_EQ(f->readl(APIC_DEFAULT_BASE + LAPIC_VERSION), 0x50014u);
    f->writel(APIC_DEFAULT_BASE + LAPIC_TPR, 0x30);
    EXPECT_EQ(lr(0, LAPIC_TPR), 0x30u);
    EXPECT_EQ(intc->get_tpr(cpu[0]), 3);
}

TEST_F(ApicTest, EdgeRedirectionToLapic)
{
    route(4, 0x41, 1);          // fixed, physical, edge, to APIC 1
    g_atomic_int_set(&cpu[1]->interrupt_request, 0);
    irq(4, true);
    EXPECT_TRUE(lbit(1, LAPIC_IRR, 0x41));
    EXPECT_TRUE(g_atomic_int_get(&cpu[1]->interrupt_request));
    EXPECT_EQ(intc->pending(cpu[0]), -1);
    EXPECT_EQ(intc->pending(cpu[1]), 0x41);
    EXPECT_EQ(intc->ack(cpu[1]), 0x41);
    EXPECT_FALSE(lbit(1, LAPIC_IRR, 0x41));
    EXPECT_TRUE(lbit(1, LAPIC_ISR, 0x41));
    EXPECT_EQ(lr(1, LAPIC_PPR), 0x40u);
    irq(4, true);               // no new edge while high
    EXPECT_EQ(intc->pending(cpu[1]), -1);
    lw(1, LAPIC_EOI, 0);
    EXPECT_FALSE(lbit(1, LAPIC_ISR, 0x41));
    irq(4, false);
    irq(4, true);
    EXPECT_EQ(intc->pending(cpu[1]), 0x41);
}

TEST_F(ApicTest, MaskedPinIsIgnored)
{
    route(5, 0x10000 | 0x45, 0);
    irq(5, true);
    EXPECT_FALSE(lbit(0, LAPIC_IRR, 0x45));
    EXPECT_EQ(intc->pending(cpu[0]), -1);
}

TEST_F(ApicTest, Irq0GoesToPin2)
{
    route(2, 0x30, 0);
    route(0, 0x50, 0);
    irq(0, true);
    EXPECT_TRUE(lbit(0, LAPIC_IRR, 0x30));
    EXPECT_FALSE(lbit(0, LAPIC_IRR, 0x50));
}

TEST_F(ApicTest, HighGsiGoesToIoapicOnly)
{
    route(20, 0x60, 1);
    irq(20, true);
    EXPECT_EQ(intc->pending(cpu[1]), 0x60);
}

TEST_F(ApicTest, LevelRemoteIrrClearedByEoi)
{
    route(9, 0x8000 | 0x59, 0);             // level
    irq(9, true);
    EXPECT_TRUE(ioapic_read(0x10 + 18) & (1u << 14));
    EXPECT_TRUE(lbit(0, LAPIC_TMR, 0x59));
    EXPECT_EQ(intc->ack(cpu[0]), 0x59);
    lw(0, LAPIC_EOI, 0);
    // Still asserted: Remote IRR was cleared and the pin fired again.
    EXPECT_TRUE(lbit(0, LAPIC_IRR, 0x59));
    EXPECT_TRUE(ioapic_read(0x10 + 18) & (1u << 14));
    EXPECT_EQ(intc->ack(cpu[0]), 0x59);
    irq(9, false);
    lw(0, LAPIC_EOI, 0);
    EXPECT_FALSE(ioapic_read(0x10 + 18) & (1u << 14));
    EXPECT_EQ(intc->pending(cpu[0]), -1);
}

TEST_F(ApicTest, IoapicEoiRegister)
{
    route(10, 0x8000 | 0x5a, 0);
    irq(10, true);
    irq(10, false);
    EXPECT_TRUE(ioapic_read(0x10 + 20) & (1u << 14));
    f->writel(kIoapic + 0x40, 0x5a);
    EXPECT_FALSE(ioapic_read(0x10 + 20) & (1u << 14));
}

TEST_F(ApicTest, LogicalFlatAndLowestPriority)
{
    lw(0, LAPIC_LDR, 0x01000000);
    lw(1, LAPIC_LDR, 0x02000000);
    route(6, 0x800 | 0x66, 0x02);           // logical, fixed
    irq(6, true);
    EXPECT_TRUE(lbit(1, LAPIC_IRR, 0x66));
    EXPECT_FALSE(lbit(0, LAPIC_IRR, 0x66));

    route(7, 0x800 | 0x100 | 0x67, 0x03);   // logical, lowest priority
    irq(7, true);
    EXPECT_TRUE(lbit(0, LAPIC_IRR, 0x67));
    EXPECT_FALSE(lbit(1, LAPIC_IRR, 0x67));

    route(3, 0x800 | 0x63, 0x03);           // fixed to both
    irq(3, true);
    EXPECT_TRUE(lbit(0, LAPIC_IRR, 0x63));
    EXPECT_TRUE(lbit(1, LAPIC_IRR, 0x63));
}

TEST_F(ApicTest, PriorityAndTpr)
{
    self_ipi(0, 0x45);
    self_ipi(0, 0x62);
    lw(0, LAPIC_TPR, 0x50);
    EXPECT_EQ(intc->pending(cpu[0]), 0x62);
    lw(0, LAPIC_TPR, 0x70);
    EXPECT_EQ(intc->pending(cpu[0]), -1);   // class 6 <= TPR class 7
    EXPECT_EQ(intc->ack(cpu[0]), -1);
    intc->set_tpr(cpu[0], 2);
    EXPECT_EQ(lr(0, LAPIC_TPR), 0x20u);
    EXPECT_EQ(intc->get_tpr(cpu[0]), 2);
    EXPECT_EQ(intc->ack(cpu[0]), 0x62);
    EXPECT_EQ(lr(0, LAPIC_PPR), 0x60u);
    EXPECT_EQ(intc->pending(cpu[0]), -1);   // 0x45 is below the in-service class
    lw(0, LAPIC_EOI, 0);
    EXPECT_EQ(lr(0, LAPIC_PPR), 0x20u);
    EXPECT_EQ(intc->ack(cpu[0]), 0x45);
    lw(0, LAPIC_EOI, 0);
    EXPECT_EQ(intc->pending(cpu[0]), -1);
}

TEST_F(ApicTest, SoftwareDisabledLapicDeliversNothing)
{
    self_ipi(1, 0x70);
    lw(1, LAPIC_SVR, 0xff);
    EXPECT_EQ(intc->pending(cpu[1]), -1);
    lw(1, LAPIC_LVT_TIMER, 0x40);
    EXPECT_TRUE(lr(1, LAPIC_LVT_TIMER) & (1u << 16));   // mask forced
    lw(1, LAPIC_SVR, 0x1ff);
    EXPECT_EQ(intc->pending(cpu[1]), 0x70);
}

TEST_F(ApicTest, FixedIpiToAnotherCpu)
{
    g_atomic_int_set(&cpu[1]->interrupt_request, 0);
    lw(0, LAPIC_ICR_HI, 1u << 24);
    lw(0, LAPIC_ICR_LO, 0x4000 | 0xa5);
    EXPECT_EQ(lr(0, LAPIC_ICR_LO) & (1u << 12), 0u);    // delivered (idle)
    EXPECT_TRUE(g_atomic_int_get(&cpu[1]->interrupt_request));
    EXPECT_EQ(intc->pending(cpu[1]), 0xa5);
    EXPECT_EQ(intc->pending(cpu[0]), -1);

    lw(1, LAPIC_ICR_LO, 0xc4000 | 0xb1);    // all excluding self
    EXPECT_EQ(intc->pending(cpu[0]), 0xb1);
    EXPECT_FALSE(lbit(1, LAPIC_IRR, 0xb1));

    lw(1, LAPIC_ICR_LO, 0x84000 | 0xb2);    // all including self
    EXPECT_TRUE(lbit(0, LAPIC_IRR, 0xb2));
    EXPECT_TRUE(lbit(1, LAPIC_IRR, 0xb2));
}

TEST_F(ApicTest, InitSipiNmiEvents)
{
    uint8_t sipi = 0;
    lw(1, LAPIC_TPR, 0x20);
    EXPECT_EQ(intc->take_events(cpu[1], &sipi), 0u);

    lw(0, LAPIC_ICR_HI, 1u << 24);
    g_atomic_int_set(&cpu[1]->interrupt_request, 0);
    lw(0, LAPIC_ICR_LO, 0xc500);            // INIT, level assert
    EXPECT_TRUE(g_atomic_int_get(&cpu[1]->interrupt_request));
    EXPECT_EQ(intc->take_events(cpu[1], &sipi), X86_INTC_EVENT_INIT);
    EXPECT_EQ(lr(1, LAPIC_SVR), 0xffu);     // the LAPIC was reset
    EXPECT_EQ(lr(1, LAPIC_TPR), 0u);
    EXPECT_EQ(lr(1, LAPIC_ID), 1u << 24);   // but keeps its ID

    lw(0, LAPIC_ICR_LO, 0x8500);            // INIT level de-assert: ignored
    EXPECT_EQ(intc->take_events(cpu[1], &sipi), 0u);

    lw(0, LAPIC_ICR_LO, 0x4600 | 0x9a);     // start-up, vector 0x9a
    EXPECT_EQ(intc->take_events(cpu[1], &sipi), X86_INTC_EVENT_SIPI);
    EXPECT_EQ(sipi, 0x9a);
    EXPECT_EQ(intc->take_events(cpu[1], &sipi), 0u);

    lw(0, LAPIC_ICR_LO, 0x4400);            // NMI
    EXPECT_EQ(intc->take_events(cpu[1], &sipi), X86_INTC_EVENT_NMI);
    EXPECT_EQ(intc->take_events(cpu[0], &sipi), 0u);
}

TEST_F(ApicTest, TimerOneShotFires)
{
    lw(0, LAPIC_TIMER_DCR, 0xb);            // divide by 1
    lw(0, LAPIC_LVT_TIMER, 0xec);
    lw(0, LAPIC_TIMER_ICR, 2000000);        // 2 ms at 1 GHz
    uint32_t c1 = lr(0, LAPIC_TIMER_CCR);
    EXPECT_LE(c1, 2000000u);
    ASSERT_TRUE(run_main_loop_until([&] { return lbit(0, LAPIC_IRR, 0xec); }));
    EXPECT_EQ(lr(0, LAPIC_TIMER_CCR), 0u);
    EXPECT_EQ(intc->ack(cpu[0]), 0xec);
    lw(0, LAPIC_EOI, 0);
    // One-shot: it does not come back.
    run_main_loop_until([] { return false; }, std::chrono::milliseconds(20));
    EXPECT_FALSE(lbit(0, LAPIC_IRR, 0xec));
}

TEST_F(ApicTest, TimerPeriodicRearms)
{
    lw(1, LAPIC_TIMER_DCR, 0x3);            // divide by 16
    lw(1, LAPIC_LVT_TIMER, 0x20000 | 0xed);
    lw(1, LAPIC_TIMER_ICR, 62500);          // 1 ms
    for (int i = 0; i < 3; i++) {
        ASSERT_TRUE(run_main_loop_until([&] { return lbit(1, LAPIC_IRR, 0xed); }))
            << "period " << i;
        EXPECT_EQ(intc->ack(cpu[1]), 0xed);
        lw(1, LAPIC_EOI, 0);
    }
    uint32_t c = lr(1, LAPIC_TIMER_CCR);
    EXPECT_GT(c, 0u);
    EXPECT_LE(c, 62500u);
    lw(1, LAPIC_TIMER_ICR, 0);              // stops it
    EXPECT_EQ(lr(1, LAPIC_TIMER_CCR), 0u);
}

TEST_F(ApicTest, MaskedTimerDoesNotInterrupt)
{
    lw(0, LAPIC_TIMER_DCR, 0xb);
    lw(0, LAPIC_LVT_TIMER, 0x10000 | 0xee);
    lw(0, LAPIC_TIMER_ICR, 100000);
    ASSERT_TRUE(run_main_loop_until([&] { return lr(0, LAPIC_TIMER_CCR) == 0; }));
    run_main_loop_until([] { return false; }, std::chrono::milliseconds(5));
    EXPECT_FALSE(lbit(0, LAPIC_IRR, 0xee));
}

}  // namespace
