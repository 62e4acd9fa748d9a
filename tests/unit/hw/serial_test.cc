// The 16550A driven as a driver would: Linux's 8250 probe, FIFOs, interrupts.
#include <gtest/gtest.h>

#include <string>

#include "tests/unit/hw/fake_machine.h"

extern "C" {
#include "hw/char/chardev.h"
#include "hw/char/serial.h"
}

namespace {

constexpr uint16_t kBase = SERIAL_COM1_BASE;
constexpr unsigned kIrq = SERIAL_COM1_IRQ;

class SerialTest : public ::testing::Test {
  protected:
    void SetUp() override
    {
        chr_ = chardev_new_test();
        GError *err = nullptr;
        uart_ = serial_create(fm_.m(), kBase, kIrq, chr_, &err);
        ASSERT_NE(uart_, nullptr) << (err ? err->message : "");
    }
    void TearDown() override { serial_free(uart_); }

    uint8_t in(unsigned reg) { return (uint8_t)fm_.in(kBase + reg); }
    void out(unsigned reg, uint8_t v) { fm_.out(kBase + reg, v); }

    void inject(const std::string &s)
    {
        BqlGuard g;
        chardev_test_inject(chr_, s.data(), s.size());
    }
    size_t pending()
    {
        BqlGuard g;
        return chardev_test_pending_input(chr_);
    }
    std::string output()
    {
        size_t len;
        const uint8_t *p = chardev_test_output(chr_, &len);
        return std::string(reinterpret_cast<const char *>(p), len);
    }
    bool irq() { return fm_.level(kIrq); }

    FakeMachine fm_;
    CharBackend *chr_ = nullptr;
    SerialState *uart_ = nullptr;
};

TEST_F(SerialTest, PowerOnState)
{
    EXPECT_EQ(in(UART_IER), 0x00);
    EXPECT_EQ(in(UART_IIR), UART_IIR_NO_INT);
    EXPECT_EQ(in(UART_LCR), 0x00);
    EXPECT_EQ(in(UART_MCR), 0x00);
    EXPECT_EQ(in(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
    // A connected host: carrier, data set ready, clear to send; no deltas.
    EXPECT_EQ(in(UART_MSR), UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS);
    EXPECT_FALSE(irq());
    EXPECT_TRUE(fm_.history().empty());
}

TEST_F(SerialTest, ScratchRegister)
{
    for (uint8_t v : { 0x55, 0xaa, 0x00, 0xff }) {
        out(UART_SCR, v);
        EXPECT_EQ(in(UART_SCR), v);
    }
}

// serial8250's autoconfig: IER keeps exactly its low 4 bits.
TEST_F(SerialTest, IerHoldsLowFourBits)
{
    out(UART_IER, 0x00);
    EXPECT_EQ(in(UART_IER), 0x00);
    out(UART_IER, 0xff);
    EXPECT_EQ(in(UART_IER), 0x0f);
    out(UART_IER, 0x00);
    EXPECT_EQ(in(UART_IER), 0x00);
}

// autoconfig's loopback test: MCR = LOOP|OUT2|RTS must give MSR 0x90.
TEST_F(SerialTest, LinuxLoopbackProbe)
{
    out(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2 | UART_MCR_RTS);
    EXPECT_EQ(in(UART_MSR) & 0xf0, UART_MSR_DCD | UART_MSR_CTS);
    out(UART_MCR, UART_MCR_LOOP | 0x0f);
    EXPECT_EQ(in(UART_MSR) & 0xf0, 0xf0);
    out(UART_MCR, UART_MCR_LOOP);
    EXPECT_EQ(in(UART_MSR) & 0xf0, 0x00);
    EXPECT_EQ(in(UART_MCR), UART_MCR_LOOP);
    out(UART_MCR, 0);
    EXPECT_EQ(in(UART_MSR) & 0xf0, UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS);
}

TEST_F(SerialTest, FifoDetection)
{
    EXPECT_EQ(in(UART_IIR) & UART_IIR_FIFO, 0);
    out(UART_FCR, UART_FCR_ENABLE);
    EXPECT_EQ(in(UART_IIR) & UART_IIR_FIFO, 0xc0);   // 16550A
    // The 16750 test (64-byte FIFO bit 5) must not see bit 5 in IIR.
    out(UART_FCR, UART_FCR_ENABLE | 0x20);
    EXPECT_EQ(in(UART_IIR) >> 5, 6);
    out(UART_FCR, 0);
    EXPECT_EQ(in(UART_IIR) & UART_IIR_FIFO, 0);
}

TEST_F(SerialTest, DivisorLatch)
{
    out(UART_LCR, UART_LCR_DLAB | 0x03);
    out(UART_DLL, 0x01);
    out(UART_DLM, 0x02);
    EXPECT_EQ(in(UART_DLL), 0x01);
    EXPECT_EQ(in(UART_DLM), 0x02);
    EXPECT_EQ(output(), "");            // DLL writes are not data
    out(UART_LCR, 0x03);
    EXPECT_EQ(in(UART_LCR), 0x03);
    EXPECT_EQ(in(UART_IER), 0x00);      // IER again, not DLM
    out(UART_THR, 'x');
    EXPECT_EQ(output(), "x");
    out(UART_LCR, UART_LCR_DLAB);
    EXPECT_EQ(in(UART_DLL), 0x01);      // THR write left the latch alone
}

TEST_F(SerialTest, TransmitGoesToBackendAtOnce)
{
    for (char c : std::string("hello\n")) {
        ASSERT_TRUE(in(UART_LSR) & UART_LSR_THRE);
        out(UART_THR, (uint8_t)c);
    }
    EXPECT_EQ(output(), "hello\n");
    EXPECT_EQ(in(UART_LSR) & (UART_LSR_THRE | UART_LSR_TEMT),
              UART_LSR_THRE | UART_LSR_TEMT);
}

TEST_F(SerialTest, ThreInterruptAndIirReadClearsIt)
{
    out(UART_FCR, UART_FCR_ENABLE);
    out(UART_IER, UART_IER_ETBEI);
    EXPECT_TRUE(irq());
    EXPECT_EQ(in(UART_IIR), 0xc0 | UART_IIR_THRI);
    EXPECT_FALSE(irq());                // reading IIR acknowledged it
    EXPECT_EQ(in(UART_IIR), 0xc0 | UART_IIR_NO_INT);

    out(UART_THR, 'a');                 // sent at once: THR empty again
    EXPECT_TRUE(irq());
    out(UART_IER, 0);
    EXPECT_FALSE(irq());
    EXPECT_EQ(in(UART_IIR) & 0x0f, UART_IIR_NO_INT);
}

// serial8250_startup's UART_BUG_THRE check: re-enabling ETBEI with THR
// empty must raise THRI again.
TEST_F(SerialTest, ThreReassertsWhenReenabled)
{
    out(UART_IER, UART_IER_ETBEI);
    uint8_t iir1 = in(UART_IIR);
    out(UART_IER, 0);
    out(UART_IER, UART_IER_ETBEI);
    uint8_t iir = in(UART_IIR);
    out(UART_IER, 0);
    EXPECT_EQ(iir1 & 0x0f, UART_IIR_THRI);
    EXPECT_EQ(iir & 0x0f, UART_IIR_THRI);
}

TEST_F(SerialTest, ReceiveWithoutFifo)
{
    out(UART_IER, UART_IER_ERBFI);
    EXPECT_FALSE(irq());
    inject("a");
    EXPECT_TRUE(irq());
    EXPECT_TRUE(in(UART_LSR) & UART_LSR_DR);
    EXPECT_EQ(in(UART_IIR), UART_IIR_RDI);
    EXPECT_EQ(in(UART_RBR), 'a');
    EXPECT_FALSE(irq());
    EXPECT_FALSE(in(UART_LSR) & UART_LSR_DR);
    EXPECT_EQ(in(UART_IIR), UART_IIR_NO_INT);
}

TEST_F(SerialTest, ReceiveHoldsBackWhatDoesNotFitWithoutFifo)
{
    inject("xyz");
    EXPECT_EQ(pending(), 2u);           // one holding register
    EXPECT_EQ(in(UART_RBR), 'x');
    EXPECT_EQ(in(UART_RBR), 'y');
    EXPECT_EQ(in(UART_RBR), 'z');
    EXPECT_EQ(pending(), 0u);
    EXPECT_FALSE(in(UART_LSR) & (UART_LSR_DR | UART_LSR_OE));
}

TEST_F(SerialTest, FifoTriggerLevelAndCharacterTimeout)
{
    out(UART_FCR, UART_FCR_ENABLE | 0x80);  // trigger at 8 bytes
    out(UART_IER, UART_IER_ERBFI);
    inject("abc");
    EXPECT_TRUE(irq());                 // below trigger: timeout interrupt
    EXPECT_EQ(in(UART_IIR), 0xc0 | UART_IIR_CTI);
    EXPECT_TRUE(irq());                 // reading IIR does not clear it
    inject("defgh");
    EXPECT_EQ(in(UART_IIR), 0xc0 | UART_IIR_RDI);
    std::string got;
    while (in(UART_LSR) & UART_LSR_DR) {
        got += (char)in(UART_RBR);
    }
    EXPECT_EQ(got, "abcdefgh");
    EXPECT_FALSE(irq());
}

TEST_F(SerialTest, FullFifoStopsInputWithoutLosingBytes)
{
    out(UART_FCR, UART_FCR_ENABLE | 0xc0);
    std::string msg = "0123456789abcdefghij";   // 20 bytes
    inject(msg);
    EXPECT_EQ(pending(), 4u);
    EXPECT_EQ(in(UART_RBR), '0');
    EXPECT_EQ(pending(), 3u);           // room for one more was used
    std::string got = "0";
    while (in(UART_LSR) & UART_LSR_DR) {
        got += (char)in(UART_RBR);
    }
    EXPECT_EQ(got, msg);
    EXPECT_FALSE(in(UART_LSR) & UART_LSR_OE);
}

TEST_F(SerialTest, FcrClearsReceiveFifo)
{
    out(UART_FCR, UART_FCR_ENABLE);
    inject("abc");
    out(UART_FCR, UART_FCR_ENABLE | UART_FCR_CLR_RX);
    EXPECT_FALSE(in(UART_LSR) & UART_LSR_DR);
    inject("z");
    EXPECT_EQ(in(UART_RBR), 'z');
}

TEST_F(SerialTest, LoopbackDoesNotReachHost)
{
    out(UART_FCR, UART_FCR_ENABLE);
    out(UART_MCR, UART_MCR_LOOP);
    out(UART_THR, 'Q');
    EXPECT_EQ(output(), "");
    EXPECT_TRUE(in(UART_LSR) & UART_LSR_DR);
    EXPECT_EQ(in(UART_RBR), 'Q');

    inject("h");                        // the receiver is disconnected
    EXPECT_EQ(pending(), 1u);
    EXPECT_FALSE(in(UART_LSR) & UART_LSR_DR);
    out(UART_MCR, 0);
    EXPECT_EQ(pending(), 0u);
    EXPECT_EQ(in(UART_RBR), 'h');
}

TEST_F(SerialTest, OverrunIsLineStatusInterruptWithTopPriority)
{
    out(UART_IER, UART_IER_ERBFI | UART_IER_ETBEI | UART_IER_ELSI);
    out(UART_MCR, UART_MCR_LOOP);
    out(UART_THR, '1');
    out(UART_THR, '2');                 // no FIFO: overruns the holding register
    EXPECT_EQ(in(UART_IIR), UART_IIR_RLSI);
    uint8_t lsr = in(UART_LSR);
    EXPECT_TRUE(lsr & UART_LSR_OE);
    EXPECT_TRUE(lsr & UART_LSR_DR);
    EXPECT_FALSE(in(UART_LSR) & UART_LSR_OE);    // cleared by the read
    EXPECT_EQ(in(UART_IIR), UART_IIR_RDI);       // next: data
    EXPECT_EQ(in(UART_RBR), '1');
    EXPECT_EQ(in(UART_IIR), UART_IIR_THRI);      // then THR empty
    EXPECT_EQ(in(UART_IIR), UART_IIR_NO_INT);
    EXPECT_FALSE(irq());
}

TEST_F(SerialTest, ModemStatusInterrupt)
{
    out(UART_MCR, UART_MCR_LOOP);
    in(UART_MSR);                       // drop the deltas of entering loopback
    out(UART_IER, UART_IER_EDSSI);
    EXPECT_FALSE(irq());
    out(UART_MCR, UART_MCR_LOOP | UART_MCR_RTS);
    EXPECT_TRUE(irq());
    EXPECT_EQ(in(UART_IIR), UART_IIR_MSI);
    uint8_t msr = in(UART_MSR);
    EXPECT_EQ(msr, UART_MSR_CTS | UART_MSR_DCTS);
    EXPECT_FALSE(irq());
    EXPECT_EQ(in(UART_MSR), UART_MSR_CTS);

    // Trailing edge of RI.
    out(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT1);
    in(UART_MSR);
    out(UART_MCR, UART_MCR_LOOP);
    EXPECT_TRUE(in(UART_MSR) & UART_MSR_TERI);
}

TEST_F(SerialTest, RxDataOutranksThre)
{
    out(UART_IER, UART_IER_ERBFI | UART_IER_ETBEI);
    inject("k");
    EXPECT_EQ(in(UART_IIR), UART_IIR_RDI);
    EXPECT_EQ(in(UART_RBR), 'k');
    EXPECT_EQ(in(UART_IIR), UART_IIR_THRI);
    EXPECT_FALSE(irq());
}

TEST_F(SerialTest, IrqLineOnlyChangesOnTransitions)
{
    out(UART_IER, UART_IER_ERBFI);
    inject("a");
    inject("");
    in(UART_RBR);
    ASSERT_EQ(fm_.history().size(), 2u);
    EXPECT_EQ(fm_.history()[0], std::make_pair(kIrq, true));
    EXPECT_EQ(fm_.history()[1], std::make_pair(kIrq, false));
}

TEST(SerialCreate, RefusesOverlappingPortsAndFreesBackend)
{
    FakeMachine fm;
    GError *err = nullptr;
    SerialState *a = serial_create(fm.m(), kBase, kIrq, chardev_new_null(), &err);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(serial_create(fm.m(), kBase + 4, kIrq, chardev_new_null(), &err),
              nullptr);
    ASSERT_NE(err, nullptr);
    g_error_free(err);
    // The null backend swallows output.
    fm.out(kBase + UART_THR, 'x');
    EXPECT_EQ(fm.in(kBase + UART_LSR) & UART_LSR_THRE, UART_LSR_THRE);
    serial_free(a);
}

}  // namespace
