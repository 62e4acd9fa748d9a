// The 8259A pair through its ports and the GSI router, as a vCPU's
// interrupt source sees it (vCPU 0's LAPIC is software-disabled after
// reset, so the PIC's INTR passes through).
#include "tests/unit/intc/fake_machine.h"

extern "C" {
#include "hw/intc/lapic.h"
#include "hw/intc/x86_intc.h"
}

namespace {

class PicTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        f = FakeMachine::create();
        g_autoptr(GError) err = nullptr;
        ASSERT_TRUE(x86_intc_init(&f->m, &err));
        ASSERT_NE(f->m.intc, nullptr);
        cpu0 = &f->cpu[0];
        linux_init();
    }

    // init_8259A() in Linux: vectors 0x30 and 0x38, cascade on IR2.
    void linux_init()
    {
        f->outb(0x21, 0xff);
        f->outb(0xa1, 0xff);
        f->outb(0x20, 0x11);
        f->outb(0x21, 0x30);
        f->outb(0x21, 0x04);
        f->outb(0x21, 0x01);
        f->outb(0xa0, 0x11);
        f->outb(0xa1, 0x38);
        f->outb(0xa1, 0x02);
        f->outb(0xa1, 0x01);
        f->outb(0x21, 0xfb);    // everything masked but the cascade
        f->outb(0xa1, 0xff);
    }

    int pending(VCPU *c) { return f->m.intc->pending(c); }
    int ack(VCPU *c) { return f->m.intc->ack(c); }
    void irq(unsigned n, bool level)
    {
        bql_lock();
        machine_set_irq(&f->m, n, level);
        bql_unlock();
    }
    uint8_t read_isr(uint16_t cmd)
    {
        f->outb(cmd, 0x0b);
        uint8_t v = f->inb(cmd);
        f->outb(cmd, 0x0a);
        return v;
    }

    FakeMachine *f;
    VCPU *cpu0;
};

TEST_F(PicTest, InitSequenceKeepsMasks)
{
    EXPECT_EQ(f->inb(0x21), 0xfb);
    EXPECT_EQ(f->inb(0xa1), 0xff);
    EXPECT_EQ(pending(cpu0), -1);
}

TEST_F(PicTest, RaiseAckEoi)
{
    f->outb(0x21, 0xf9);        // unmask IRQ 1
    g_atomic_int_set(&cpu0->interrupt_request, 0);
    irq(1, true);
    EXPECT_TRUE(g_atomic_int_get(&cpu0->interrupt_request));
    EXPECT_EQ(pending(cpu0), 0x31);
    EXPECT_EQ(pending(&f->cpu[1]), -1);     // only the BSP takes ExtINT
    f->outb(0x20, 0x0a);        // read IRR
    EXPECT_EQ(f->inb(0x20) & 0x02, 0x02);

    EXPECT_EQ(ack(cpu0), 0x31);
    EXPECT_EQ(read_isr(0x20), 0x02);
    EXPECT_EQ(pending(cpu0), -1);           // edge: IRR cleared by INTA
    f->outb(0x20, 0x20);        // non-specific EOI
    EXPECT_EQ(read_isr(0x20), 0x00);
    EXPECT_EQ(pending(cpu0), -1);

    irq(1, false);
    irq(1, true);               // a new edge
    EXPECT_EQ(pending(cpu0), 0x31);
}

TEST_F(PicTest, PriorityAndSpecificEoi)
{
    f->outb(0x21, 0xe1);        // IRQ 1, 3, 4 unmasked
    irq(4, true);
    EXPECT_EQ(ack(cpu0), 0x34);
    irq(3, true);
    EXPECT_EQ(pending(cpu0), 0x33);         // higher priority nests
    EXPECT_EQ(ack(cpu0), 0x33);
    EXPECT_EQ(read_isr(0x20), 0x18);
    irq(1, true);
    EXPECT_EQ(ack(cpu0), 0x31);
    f->outb(0x20, 0x64);        // specific EOI for IR4
    EXPECT_EQ(read_isr(0x20), 0x0a);
    f->outb(0x20, 0x20);        // non-specific: the highest, IR1
    EXPECT_EQ(read_isr(0x20), 0x08);
    f->outb(0x20, 0x20);
    EXPECT_EQ(read_isr(0x20), 0x00);
}

TEST_F(PicTest, Masking)
{
    irq(3, true);
    EXPECT_EQ(pending(cpu0), -1);
    f->outb(0x21, 0xf3);        // unmask IRQ 3: the latched edge shows
    EXPECT_EQ(pending(cpu0), 0x33);
    f->outb(0x21, 0xfb);
    EXPECT_EQ(pending(cpu0), -1);
    EXPECT_EQ(ack(cpu0), -1);   // the request is masked again
}

TEST_F(PicTest, CascadeToSlave)
{
    f->outb(0xa1, 0xfe);        // unmask IRQ 8
    irq(8, true);
    EXPECT_EQ(pending(cpu0), 0x38);
    EXPECT_EQ(ack(cpu0), 0x38);
    EXPECT_EQ(read_isr(0x20), 0x04);
    EXPECT_EQ(read_isr(0xa0), 0x01);
    EXPECT_EQ(pending(cpu0), -1);
    f->outb(0xa0, 0x20);
    f->outb(0x20, 0x20);
    EXPECT_EQ(read_isr(0x20), 0x00);
    EXPECT_EQ(read_isr(0xa0), 0x00);

    f->outb(0xa1, 0xf6);        // IRQ 8 and 11
    irq(11, true);
    EXPECT_EQ(ack(cpu0), 0x3b);
    f->outb(0xa0, 0x20);
    f->outb(0x20, 0x20);
    EXPECT_EQ(pending(cpu0), -1);
}

TEST_F(PicTest, LevelVersusEdge)
{
    f->outb(0x4d1, 0x04);       // IRQ 10 level-triggered
    EXPECT_EQ(f->inb(0x4d1), 0x04);
    f->outb(0x4d0, 0xff);
    EXPECT_EQ(f->inb(0x4d0), 0xf8);         // IRQ 0-2 are always edge
    f->outb(0x4d0, 0x00);
    f->outb(0xa1, 0xf3);        // IRQ 10 and 11

    irq(10, true);
    EXPECT_EQ(ack(cpu0), 0x3a);
    f->outb(0xa0, 0x20);
    f->outb(0x20, 0x20);
    EXPECT_EQ(pending(cpu0), 0x3a);         // still asserted
    irq(10, false);
    EXPECT_EQ(pending(cpu0), -1);

    irq(11, true);
    EXPECT_EQ(ack(cpu0), 0x3b);
    f->outb(0xa0, 0x20);
    f->outb(0x20, 0x20);
    EXPECT_EQ(pending(cpu0), -1);           // edge: one interrupt per edge
}

TEST_F(PicTest, AutoEoi)
{
    f->outb(0x20, 0x11);
    f->outb(0x21, 0x30);
    f->outb(0x21, 0x04);
    f->outb(0x21, 0x03);        // ICW4 with AEOI
    f->outb(0x21, 0xf9);
    irq(1, true);
    EXPECT_EQ(ack(cpu0), 0x31);
    EXPECT_EQ(read_isr(0x20), 0x00);
}

TEST_F(PicTest, PollCommand)
{
    f->outb(0x21, 0xf9);
    irq(1, true);
    f->outb(0x20, 0x0c);        // OCW3 poll
    EXPECT_EQ(f->inb(0x20), 0x81);
    EXPECT_EQ(read_isr(0x20), 0x02);
    f->outb(0x20, 0x20);
    f->outb(0x20, 0x0c);
    EXPECT_EQ(f->inb(0x20), 0x00);
}

TEST_F(PicTest, RotateCommandsDoNotCrash)
{
    f->outb(0x21, 0xe1);
    irq(3, true);
    irq(4, true);
    EXPECT_EQ(ack(cpu0), 0x33);
    f->outb(0x20, 0xa0);        // rotate on non-specific EOI: IR3 lowest
    EXPECT_EQ(ack(cpu0), 0x34);
    f->outb(0x20, 0xe4);        // rotate on specific EOI
    f->outb(0x20, 0xc7);        // set priority: IR7 lowest again
    irq(1, false);
    irq(1, true);
    EXPECT_EQ(ack(cpu0), 0x31);
    f->outb(0x20, 0x20);
    EXPECT_EQ(read_isr(0x20), 0x00);
}

TEST_F(PicTest, EnabledLapicTakesPicOnlyThroughExtIntLint0)
{
    LAPIC *l = static_cast<LAPIC *>(cpu0->intc);
    f->outb(0x21, 0xf9);
    irq(1, true);
    EXPECT_EQ(pending(cpu0), 0x31);
    bql_lock();
    lapic_write(l, LAPIC_SVR, 0x1ff);       // software-enable
    bql_unlock();
    EXPECT_EQ(pending(cpu0), -1);           // LINT0 masked
    bql_lock();
    lapic_write(l, LAPIC_LVT_LINT0, 0x700); // ExtINT, unmasked
    bql_unlock();
    EXPECT_EQ(pending(cpu0), 0x31);
    EXPECT_EQ(ack(cpu0), 0x31);
}

}  // namespace
