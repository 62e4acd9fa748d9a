/* 8254 channel 0: periodic interrupts, or a free-running counter for delays. */
#include "guest.h"

#define PIT_CH0 0x40
#define PIT_CMD 0x43

void pit_start_periodic(unsigned hz)
{
    unsigned div = PIT_HZ / hz;

    outb(PIT_CMD, 0x34);        /* channel 0, lobyte/hibyte, mode 2 */
    outb(PIT_CH0, (uint8_t)div);
    outb(PIT_CH0, (uint8_t)(div >> 8));
}

void pit_start_free_running(void)
{
    outb(PIT_CMD, 0x34);
    outb(PIT_CH0, 0);           /* 0 means 65536 */
    outb(PIT_CH0, 0);
}

uint16_t pit_read_counter(void)
{
    uint8_t lo, hi;

    outb(PIT_CMD, 0x00);        /* latch channel 0 */
    lo = inb(PIT_CH0);
    hi = inb(PIT_CH0);
    return (uint16_t)(lo | hi << 8);
}

void pit_delay_us(uint64_t us)
{
    uint64_t ticks = us * PIT_HZ / 1000000 + 1;
    uint16_t last = pit_read_counter();

    while (ticks) {
        uint16_t now = pit_read_counter();
        uint16_t elapsed = (uint16_t)(last - now);   /* counts down, wraps */
        last = now;
        ticks = elapsed >= ticks ? 0 : ticks - elapsed;
    }
}
