/*
 * timer: LAPIC timer one-shot and periodic, then PIT channel 0 through
 * the IOAPIC (the pin of ISA IRQ 0 per the MP table, 2 without one), each
 * counted in STI+HLT loops.  The 8259s are masked throughout.
 */
#include "lib/guest.h"

#define VEC_LAPIC_TIMER 0x40
#define VEC_PIT         0x41
#define VEC_SPURIOUS    0xff

#define LVT_MASKED   (1u << 16)
#define LVT_PERIODIC (1u << 17)
#define DIVIDE_BY_16 0x3

#define PERIODIC_TICKS 5
#define PIT_TICKS      20
#define PIT_RATE_HZ    1000

static volatile unsigned lapic_ticks;
static volatile unsigned pit_ticks;

static void on_lapic_timer(TrapFrame *f)
{
    (void)f;
    lapic_ticks++;
    lapic_eoi();
}

static void on_pit(TrapFrame *f)
{
    (void)f;
    pit_ticks++;
    lapic_eoi();
}

static void on_spurious(TrapFrame *f)
{
    (void)f;
}

static bool test_lapic_oneshot(void)
{
    bool ok = true;

    lapic_ticks = 0;
    lapic_write(LAPIC_TIMER_DCR, DIVIDE_BY_16);
    lapic_write(LAPIC_LVT_TIMER, VEC_LAPIC_TIMER);
    lapic_write(LAPIC_TIMER_ICR, 200000);
    while (!lapic_ticks) {
        sti_hlt();
    }
    ok &= check(lapic_ticks == 1, "LAPIC one-shot timer fired once");
    ok &= check(lapic_read(LAPIC_TIMER_CCR) == 0, "one-shot current count is 0");
    return ok;
}

static bool test_lapic_periodic(void)
{
    lapic_ticks = 0;
    lapic_write(LAPIC_LVT_TIMER, VEC_LAPIC_TIMER | LVT_PERIODIC);
    lapic_write(LAPIC_TIMER_ICR, 100000);
    while (lapic_ticks < PERIODIC_TICKS) {
        sti_hlt();
    }
    lapic_write(LAPIC_LVT_TIMER, VEC_LAPIC_TIMER | LVT_MASKED);
    lapic_write(LAPIC_TIMER_ICR, 0);
    printf("lapic periodic ticks: %u\n", lapic_ticks);
    return check(lapic_ticks >= PERIODIC_TICKS, "LAPIC periodic timer ticks");
}

static bool test_pit_ioapic(void)
{
    MPInfo mp;
    int pin = 2;

    if (mptable_find(&mp) && mp.isa_irq0_pin >= 0) {
        pin = mp.isa_irq0_pin;
    }
    printf("PIT (ISA IRQ 0) on IOAPIC pin %d\n", pin);
    pit_ticks = 0;
    ioapic_route((unsigned)pin, VEC_PIT, lapic_id(), false);
    pit_start_periodic(PIT_RATE_HZ);
    while (pit_ticks < PIT_TICKS) {
        sti_hlt();
    }
    ioapic_route((unsigned)pin, VEC_PIT, lapic_id(), true);
    printf("pit ticks: %u\n", pit_ticks);
    return check(pit_ticks >= PIT_TICKS, "PIT interrupts through the IOAPIC");
}

int main(void)
{
    bool ok = true;

    pic_mask_all();
    idt_set_handler(VEC_LAPIC_TIMER, on_lapic_timer);
    idt_set_handler(VEC_PIT, on_pit);
    idt_set_handler(VEC_SPURIOUS, on_spurious);
    lapic_enable(VEC_SPURIOUS);
    ok &= test_lapic_oneshot();
    ok &= test_lapic_periodic();
    ok &= test_pit_ioapic();
    if (!ok) {
        guest_fail("timer", "a timer check failed");
    }
    guest_pass("timer");
}
