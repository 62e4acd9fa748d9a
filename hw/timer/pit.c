/*
 * Intel 8254 programmable interval timer.
 *
 * A counter is not decremented tick by tick: loading a count records the
 * host time, and the count and OUT are computed from the time elapsed at
 * 1.193182 MHz.  Channel 0's OUT drives IRQ 0 through a main-loop source
 * that wakes at the next terminal count: modes 2 and 3 pulse the line once
 * per period (missed periods are coalesced), modes 4 and 5 pulse it once,
 * modes 0 and 1 raise it at terminal count and keep it up until the
 * channel is reprogrammed, like OUT.
 *
 * Gates: channels 0 and 1 are wired high; channel 2's is bit 0 of port
 * 0x61, where bit 5 reads channel 2's OUT (Linux's PIT calibration polls
 * it) and bit 4 is the refresh clock, toggling on every read.  A low gate
 * stops counting in modes 0, 2, 3 and 4; a rising gate reloads the count
 * in modes 2 and 3 and triggers modes 1 and 5.
 *
 * BCD counting is not modelled (the bit is kept for the status byte).
 */
#include "hw/timer/pit.h"

#include "core/error.h"
#include "core/main_loop.h"
#include "core/timer.h"

#define PIT_HZ              1193182ull
#define PIT_BASE_PORT       0x40
#define PIT_PORT61          0x61
/* Periodic IRQ 0 pulses come at most this often. */
#define PIT_MIN_PERIOD_NS   100000

typedef struct PIT PIT;

typedef struct PITChannel {
    PIT *pit;
    uint8_t mode;               /* 0-5 */
    uint8_t rw_mode;            /* 1 LSB, 2 MSB, 3 LSB then MSB */
    bool bcd;
    bool gate;

    uint32_t count;             /* reload value, 1-65536 */
    bool loaded;                /* a count was written since the mode */
    bool triggered;             /* modes 1 and 5: gate edge seen */
    bool null_count;
    int64_t start_ns;           /* the counter held COUNT at this time */
    bool paused;                /* gate low: the elapsed ticks are frozen */
    uint64_t paused_ticks;

    bool write_msb;             /* next byte written is the MSB (mode 3) */
    uint8_t write_lsb;
    bool read_msb;
    bool count_latched;
    bool latch_msb;
    uint16_t latched;
    bool status_latched;
    uint8_t status;

    /* Channel 0 only: terminal counts already signalled on IRQ 0. */
    uint64_t irq_done;
    int64_t last_irq_ns;
} PITChannel;

struct PIT {
    Machine *machine;
    PITChannel ch[3];
    bool speaker_data;
    bool refresh;
    bool irq_level;
    DeviceTimer *timer;
};

static uint64_t ns_to_ticks(int64_t ns)
{
    return ns <= 0 ? 0 : (uint64_t)(((unsigned __int128)ns * PIT_HZ) / 1000000000u);
}

/* The first instant at which TICKS ticks have elapsed. */
static int64_t ticks_to_ns(uint64_t ticks)
{
    return (int64_t)(((unsigned __int128)ticks * 1000000000u + PIT_HZ - 1) / PIT_HZ);
}

static bool ch_counting(const PITChannel *c)
{
    if (!c->loaded) {
        return false;
    }
    return (c->mode != 1 && c->mode != 5) || c->triggered;
}

static uint64_t ch_ticks(const PITChannel *c, int64_t now)
{
    return c->paused ? c->paused_ticks : ns_to_ticks(now - c->start_ns);
}

static uint16_t ch_count(const PITChannel *c, int64_t now)
{
    if (!ch_counting(c)) {
        return c->count;
    }
    uint64_t n = ch_ticks(c, now);
    uint32_t N = c->count;

    switch (c->mode) {
    case 2:
        return N - n % N;
    case 3: {
        /* Counts down by two, once per half period. */
        uint64_t p = n % N;
        uint64_t high = (N + 1) / 2;
        uint64_t h = p < high ? p : p - high;
        return ((N & ~1u) - 2 * h) & 0xffff;
    }
    default:                    /* 0, 1, 4, 5: count down and wrap */
        return (N - n) & 0xffff;
    }
}

static bool ch_out(const PITChannel *c, int64_t now)
{
    if (!ch_counting(c)) {
        return c->mode != 0 && !(c->mode == 1 && c->triggered);
    }
    uint64_t n = ch_ticks(c, now);
    uint32_t N = c->count;

    switch (c->mode) {
    case 0:
    case 1:
        return n >= N;
    case 2:
        return c->paused || n % N != N - 1;
    case 3:
        return c->paused || n % N < (N + 1) / 2;
    default:                    /* 4, 5: low for the clock at terminal count */
        return n != N;
    }
}

/* IRQ 0 */

static void pit_set_irq(PIT *pit, bool level)
{
    if (pit->irq_level != level) {
        pit->irq_level = level;
        machine_set_irq(pit->machine, 0, level);
    }
}

/* When channel 0 next reaches a terminal count to signal, or -1. */
static int64_t pit_next_irq_ns(const PIT *pit)
{
    const PITChannel *c = &pit->ch[0];

    if (!ch_counting(c) || c->paused) {
        return -1;
    }
    if (c->mode == 2 || c->mode == 3) {
        int64_t t = c->start_ns + ticks_to_ns((c->irq_done + 1) * c->count);
        return c->irq_done ? MAX(t, c->last_irq_ns + PIT_MIN_PERIOD_NS) : t;
    }
    return c->irq_done ? -1 : c->start_ns + ticks_to_ns(c->count);
}

static void pit_rearm(PIT *pit)
{
    int64_t t = pit_next_irq_ns(pit);

    device_timer_arm(pit->timer, t);
}

static void pit_irq_update(PIT *pit, int64_t now)
{
    PITChannel *c = &pit->ch[0];

    if (ch_counting(c) && !c->paused) {
        uint64_t n = ch_ticks(c, now);
        uint64_t due = n / c->count;

        if (c->mode == 2 || c->mode == 3) {
            if (due > c->irq_done) {
                pit_set_irq(pit, true);
                pit_set_irq(pit, false);
                c->irq_done = due;
                c->last_irq_ns = now;
            }
        } else if (!c->irq_done && due) {
            c->irq_done = 1;
            pit_set_irq(pit, true);
            if (c->mode >= 4) {
                pit_set_irq(pit, false);
            }
        }
    }
    pit_rearm(pit);
}

static void pit_timer_expired(void *opaque)
{
    pit_irq_update(opaque, clock_ns());
}

/* Channel state changes */

static void ch_changed(PITChannel *c)
{
    PIT *pit = c->pit;

    if (c == &pit->ch[0]) {
        c->irq_done = 0;
        pit_set_irq(pit, false);
        pit_rearm(pit);
    }
}

static void ch_start(PITChannel *c, int64_t now)
{
    c->start_ns = now;
    c->paused = !c->gate && c->mode != 1 && c->mode != 5;
    c->paused_ticks = 0;
    ch_changed(c);
}

static void ch_load(PITChannel *c, uint16_t value, int64_t now)
{
    c->count = value ? value : 0x10000;
    c->loaded = true;
    c->null_count = false;
    if (c->mode == 1 || c->mode == 5) {
        ch_changed(c);     /* waits for a gate trigger */
    } else {
        ch_start(c, now);
    }
}

static void ch_set_gate(PITChannel *c, bool gate, int64_t now)
{
    if (gate == c->gate) {
        return;
    }
    c->gate = gate;
    if (!c->loaded) {
        return;
    }
    switch (c->mode) {
    case 0:
    case 4:
        if (!gate) {
            c->paused_ticks = ch_ticks(c, now);
            c->paused = true;
        } else if (c->paused) {
            c->start_ns = now - ticks_to_ns(c->paused_ticks);
            c->paused = false;
        }
        break;
    case 2:
    case 3:
        if (!gate) {
            c->paused_ticks = ch_ticks(c, now);
            c->paused = true;
        } else {
            ch_start(c, now);   /* a rising gate reloads the count */
            return;
        }
        break;
    default:                    /* 1, 5: a rising gate (re)triggers */
        if (gate) {
            c->triggered = true;
            ch_start(c, now);
            return;
        }
        break;
    }
    if (c == &c->pit->ch[0]) {
        pit_rearm(c->pit);
    }
}

static void ch_latch_count(PITChannel *c, int64_t now)
{
    if (!c->count_latched) {
        c->latched = ch_count(c, now);
        c->count_latched = true;
        c->latch_msb = false;
    }
}

static void ch_latch_status(PITChannel *c, int64_t now)
{
    if (!c->status_latched) {
        c->status = (ch_out(c, now) << 7) | (c->null_count << 6) |
                    (c->rw_mode << 4) | (c->mode << 1) | c->bcd;
        c->status_latched = true;
    }
}

static void pit_write_control(PIT *pit, uint8_t val, int64_t now)
{
    unsigned sel = val >> 6;

    if (sel == 3) {             /* read-back */
        for (unsigned i = 0; i < 3; i++) {
            if (!(val & (2u << i))) {
                continue;
            }
            if (!(val & 0x20)) {
                ch_latch_count(&pit->ch[i], now);
            }
            if (!(val & 0x10)) {
                ch_latch_status(&pit->ch[i], now);
            }
        }
        return;
    }
    PITChannel *c = &pit->ch[sel];
    unsigned rw = (val >> 4) & 3;
    if (rw == 0) {
        ch_latch_count(c, now);
        return;
    }
    c->rw_mode = rw;
    c->mode = (val >> 1) & 7;
    if (c->mode > 5) {
        c->mode -= 4;           /* 6 and 7 are 2 and 3 */
    }
    c->bcd = val & 1;
    c->loaded = false;
    c->triggered = false;
    c->paused = false;
    c->null_count = true;
    c->write_msb = false;
    c->read_msb = false;
    c->count_latched = false;
    c->status_latched = false;
    ch_changed(c);
}

static void ch_write(PITChannel *c, uint8_t val, int64_t now)
{
    switch (c->rw_mode) {
    case 1:
        ch_load(c, val, now);
        break;
    case 2:
        ch_load(c, val << 8, now);
        break;
    case 3:
        if (!c->write_msb) {
            c->write_lsb = val;
            c->write_msb = true;
        } else {
            c->write_msb = false;
            ch_load(c, c->write_lsb | (val << 8), now);
        }
        break;
    default:                    /* not programmed yet */
        break;
    }
}

static uint8_t ch_read(PITChannel *c, int64_t now)
{
    if (c->status_latched) {
        c->status_latched = false;
        return c->status;
    }
    if (c->count_latched) {
        uint16_t v = c->latched;
        if (c->rw_mode == 2 || (c->rw_mode == 3 && c->latch_msb)) {
            c->count_latched = false;
            return v >> 8;
        }
        if (c->rw_mode == 3) {
            c->latch_msb = true;
        } else {
            c->count_latched = false;
        }
        return v & 0xff;
    }
    uint16_t v = ch_count(c, now);
    switch (c->rw_mode) {
    case 2:
        return v >> 8;
    case 3:
        c->read_msb = !c->read_msb;
        return c->read_msb ? v & 0xff : v >> 8;
    default:
        return v & 0xff;
    }
}

/* Ports */

static uint64_t pit_port_read(void *opaque, uint64_t offset, unsigned size)
{
    PIT *pit = opaque;

    (void)size;
    if (offset >= 3) {
        return 0xff;            /* the control word is write-only */
    }
    return ch_read(&pit->ch[offset], clock_ns());
}

static void pit_port_write(void *opaque, uint64_t offset, uint64_t value,
                           unsigned size)
{
    PIT *pit = opaque;
    int64_t now = clock_ns();

    (void)size;
    if (offset == 3) {
        pit_write_control(pit, value, now);
    } else if (offset < 3) {
        ch_write(&pit->ch[offset], value, now);
    }
}

static const MemoryRegionOps pit_ops = {
    .read = pit_port_read,
    .write = pit_port_write,
};

static uint64_t port61_read(void *opaque, uint64_t offset, unsigned size)
{
    PIT *pit = opaque;
    PITChannel *c2 = &pit->ch[2];

    (void)offset;
    (void)size;
    pit->refresh = !pit->refresh;
    return c2->gate | (pit->speaker_data << 1) | (pit->refresh << 4) |
           (ch_out(c2, clock_ns()) << 5);
}

static void port61_write(void *opaque, uint64_t offset, uint64_t value,
                         unsigned size)
{
    PIT *pit = opaque;

    (void)offset;
    (void)size;
    pit->speaker_data = value & 2;
    ch_set_gate(&pit->ch[2], value & 1, clock_ns());
}

static const MemoryRegionOps port61_ops = {
    .read = port61_read,
    .write = port61_write,
};

bool x86_pit_init(Machine *m, GError **errp)
{
    PIT *pit = g_new0(PIT, 1);

    pit->machine = m;
    for (unsigned i = 0; i < 3; i++) {
        pit->ch[i].pit = pit;
        pit->ch[i].gate = i != 2;
        pit->ch[i].count = 0x10000;
    }
    pit->timer = device_timer_new("pit", pit_timer_expired, pit);

    if (!address_space_add_io(m->io, "pit", PIT_BASE_PORT, 4, &pit_ops, pit,
                              errp) ||
        !address_space_add_io(m->io, "port61", PIT_PORT61, 1, &port61_ops,
                              pit, errp)) {
        /* A mapped region may still point at PIT: it stays allocated. */
        device_timer_arm(pit->timer, -1);
        return false;
    }
    return true;
}
