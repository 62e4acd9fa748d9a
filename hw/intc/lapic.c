/*
 * Local APIC model (xAPIC), after the Intel SDM's APIC chapter.
 *
 * Interrupt acceptance: the highest vector in IRR whose priority class is
 * above the processor priority (PPR) is delivered; INTA moves it from IRR
 * to ISR, EOI clears the highest ISR bit and, for a level-triggered vector
 * (TMR), tells the IOAPIC.  A software-disabled LAPIC keeps its IRR but
 * delivers nothing itself; the first LAPIC then passes the 8259's INTR
 * through, as it does when LINT0 is an unmasked ExtINT (virtual wire).
 *
 * The timer's state is the time counting started: the current count is
 * computed from the host clock, and a main-loop source fires at the next
 * expiry.
 */
#include "hw/intc/lapic.h"

#include <string.h>

#include "core/main_loop.h"
#include "core/timer.h"
#include "hw/intc/x86_intc.h"

enum { LVT_TIMER, LVT_THERM, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR, LVT_COUNT };

#define LVT_TIMER_PERIODIC  (1u << 17)
#define ICR_DEST_LOGICAL    (1u << 11)
#define ICR_LEVEL_ASSERT    (1u << 14)
#define ICR_TRIGGER_LEVEL   (1u << 15)

struct LAPIC {
    LAPICBus *bus;
    VCPU *cpu;

    uint8_t id;
    uint32_t tpr, ldr, dfr, svr;
    uint32_t esr, esr_pending;
    uint32_t icr_lo, icr_hi;
    uint32_t lvt[LVT_COUNT];
    uint32_t irr[8], isr[8], tmr[8];

    uint32_t timer_initial, timer_dcr;
    bool timer_active;
    int64_t timer_start_ns;     /* the count was initial then */
    int64_t timer_next_ns;      /* next expiry to signal */
    DeviceTimer *timer;

    bool extint;                /* ExtINT message from the IOAPIC */
    int pic_intr;               /* 8259 INTR, for the first LAPIC (atomic) */
    int irr_any;                /* IRR not empty (atomic) */
    unsigned events;            /* X86_INTC_EVENT_* (atomic) */
    int sipi_vector;            /* atomic */
};

/* 256-bit registers */

static void bits_set(uint32_t *r, unsigned v)
{
    r[v >> 5] |= 1u << (v & 31);
}

static void bits_clear(uint32_t *r, unsigned v)
{
    r[v >> 5] &= ~(1u << (v & 31));
}

static bool bits_test(const uint32_t *r, unsigned v)
{
    return r[v >> 5] & (1u << (v & 31));
}

static int bits_highest(const uint32_t *r)
{
    for (int i = 7; i >= 0; i--) {
        if (r[i]) {
            return i * 32 + 31 - __builtin_clz(r[i]);
        }
    }
    return -1;
}

static bool lapic_enabled(const LAPIC *s)
{
    return s->svr & APIC_SVR_ENABLE;
}

static bool lapic_is_first(const LAPIC *s)
{
    return s->bus->ncpus && s->bus->cpus[0] == s;
}

static uint32_t lapic_ppr(const LAPIC *s)
{
    int isrv = bits_highest(s->isr);
    uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;

    return (s->tpr & 0xf0) >= isr_class ? s->tpr & 0xff : isr_class;
}

static void lapic_sync_attention(LAPIC *s)
{
    bool any = false;
    for (int i = 0; i < 8; i++) {
        any |= s->irr[i] != 0;
    }
    g_atomic_int_set(&s->irr_any, any || s->extint);
}

/* Does this LAPIC take the 8259's interrupts (virtual wire)? */
static bool lapic_accepts_pic(const LAPIC *s)
{
    uint32_t lint0 = s->lvt[LVT_LINT0];

    if (s->extint) {
        return true;
    }
    if (!lapic_is_first(s)) {
        return false;
    }
    return !lapic_enabled(s) ||
           (!(lint0 & APIC_LVT_MASKED) && ((lint0 >> 8) & 7) == APIC_DM_EXTINT);
}

/* The LAPIC's own deliverable vector, or -1. */
static int lapic_own_pending(const LAPIC *s)
{
    if (!lapic_enabled(s)) {
        return -1;
    }
    int v = bits_highest(s->irr);
    if (v < 0 || ((uint32_t)v & 0xf0) <= (lapic_ppr(s) & 0xf0)) {
        return -1;
    }
    return v;
}

int lapic_pending(LAPIC *s)
{
    int v = lapic_own_pending(s);

    if (v < 0 && lapic_accepts_pic(s) && s->bus->extint_peek) {
        v = s->bus->extint_peek(s->bus->opaque);
    }
    return v;
}

int lapic_ack(LAPIC *s)
{
    int v = lapic_own_pending(s);

    if (v >= 0) {
        bits_clear(s->irr, v);
        bits_set(s->isr, v);
        lapic_sync_attention(s);
        return v;
    }
    if (lapic_accepts_pic(s) && s->bus->extint_peek &&
        s->bus->extint_peek(s->bus->opaque) >= 0) {
        s->extint = false;
        lapic_sync_attention(s);
        return s->bus->extint_ack(s->bus->opaque);
    }
    return -1;
}

bool lapic_needs_attention(LAPIC *s)
{
    return g_atomic_int_get(&s->irr_any) || g_atomic_int_get(&s->pic_intr);
}

static void lapic_kick_if_pending(LAPIC *s)
{
    if (s->cpu && lapic_pending(s) >= 0) {
        vcpu_interrupt(s->cpu);
    }
}

static void lapic_post_event(LAPIC *s, unsigned event)
{
    g_atomic_int_or(&s->events, event);
    if (s->cpu) {
        vcpu_interrupt(s->cpu);
    }
}

unsigned lapic_take_events(LAPIC *s, uint8_t *sipi_vector)
{
    unsigned ev = g_atomic_int_and(&s->events, 0);

    if (sipi_vector) {
        *sipi_vector = g_atomic_int_get(&s->sipi_vector);
    }
    return ev;
}

void lapic_set_tpr(LAPIC *s, uint8_t cr8)
{
    s->tpr = (cr8 & 0xf) << 4;
    lapic_kick_if_pending(s);
}

uint8_t lapic_get_tpr(LAPIC *s)
{
    return s->tpr >> 4;
}

/* Accepts a fixed interrupt into IRR. */
static void lapic_accept(LAPIC *s, uint8_t vector, bool level)
{
    if (vector < 16) {
        s->esr_pending |= 1u << 6;      /* received illegal vector */
        return;
    }
    bits_set(s->irr, vector);
    if (level) {
        bits_set(s->tmr, vector);
    } else {
        bits_clear(s->tmr, vector);
    }
    lapic_sync_attention(s);
    lapic_kick_if_pending(s);
}

/* Timer */

static unsigned lapic_timer_divisor(const LAPIC *s)
{
    unsigned v = (s->timer_dcr & 3) | ((s->timer_dcr >> 1) & 4);
    return v == 7 ? 1 : 2u << v;
}

static int64_t lapic_tick_ns(const LAPIC *s)
{
    return (int64_t)(1000000000ull / LAPIC_BUS_HZ) * lapic_timer_divisor(s);
}

static bool lapic_timer_periodic(const LAPIC *s)
{
    return s->lvt[LVT_TIMER] & LVT_TIMER_PERIODIC;
}

static int64_t lapic_timer_period_ns(const LAPIC *s)
{
    return (int64_t)s->timer_initial * lapic_tick_ns(s);
}

static void lapic_timer_rearm(LAPIC *s)
{
    device_timer_arm(s->timer, s->timer_active ? s->timer_next_ns : -1);
}

static uint32_t lapic_timer_current(const LAPIC *s, int64_t now)
{
    if (!s->timer_active || s->timer_initial == 0) {
        return 0;
    }
    uint64_t ticks = (uint64_t)(now - s->timer_start_ns) / lapic_tick_ns(s);
    if (lapic_timer_periodic(s)) {
        return s->timer_initial - ticks % s->timer_initial;
    }
    return ticks >= s->timer_initial ? 0 : s->timer_initial - ticks;
}

static void lapic_timer_start(LAPIC *s, int64_t now)
{
    s->timer_start_ns = now;
    s->timer_active = s->timer_initial != 0;
    if (s->timer_active) {
        int64_t period = lapic_timer_period_ns(s);
        if (lapic_timer_periodic(s)) {
            period = MAX(period, LAPIC_MIN_PERIOD_NS);
        }
        s->timer_next_ns = now + period;
    }
    lapic_timer_rearm(s);
}

static void lapic_timer_expired(void *opaque)
{
    LAPIC *s = opaque;
    int64_t now = clock_ns();

    if (!s->timer_active || now < s->timer_next_ns) {
        lapic_timer_rearm(s);
        return;
    }
    if (!(s->lvt[LVT_TIMER] & APIC_LVT_MASKED)) {
        lapic_accept(s, s->lvt[LVT_TIMER] & 0xff, false);
    }
    if (lapic_timer_periodic(s)) {
        /* Expiries missed while the host was busy are coalesced. */
        int64_t period = MAX(lapic_timer_period_ns(s), LAPIC_MIN_PERIOD_NS);
        s->timer_next_ns += period * (1 + (now - s->timer_next_ns) / period);
    } else {
        s->timer_active = false;
    }
    lapic_timer_rearm(s);
}

/* Registers */

static void lapic_write_lvt(LAPIC *s, unsigned idx, uint32_t val)
{
    static const uint32_t writable[LVT_COUNT] = {
        [LVT_TIMER] = 0x300ff,  /* vector, mask, periodic (no TSC deadline) */
        [LVT_THERM] = 0x107ff,
        [LVT_PERF] = 0x107ff,
        [LVT_LINT0] = 0x1a7ff,
        [LVT_LINT1] = 0x1a7ff,
        [LVT_ERROR] = 0x100ff,
    };
    uint32_t old = s->lvt[idx];
    int64_t now = clock_ns();
    uint32_t cur = lapic_timer_current(s, now);

    val &= writable[idx];
    if (!lapic_enabled(s)) {
        val |= APIC_LVT_MASKED;
    }
    s->lvt[idx] = val;
    if (idx == LVT_TIMER && ((old ^ val) & LVT_TIMER_PERIODIC) &&
        s->timer_initial) {
        /* A mode switch keeps counting from where the count is. */
        s->timer_active = cur != 0 || lapic_timer_periodic(s);
        s->timer_start_ns = now - (int64_t)(s->timer_initial - cur) *
                                  lapic_tick_ns(s);
        s->timer_next_ns = now + (int64_t)cur * lapic_tick_ns(s);
        if (lapic_timer_periodic(s)) {
            s->timer_next_ns = MAX(s->timer_next_ns, now + LAPIC_MIN_PERIOD_NS);
        }
        lapic_timer_rearm(s);
    }
    if (idx == LVT_LINT0) {
        lapic_kick_if_pending(s);
    }
}

static void lapic_write_dcr(LAPIC *s, uint32_t val)
{
    int64_t now = clock_ns();
    uint32_t cur = lapic_timer_current(s, now);
    uint32_t done = s->timer_initial - cur;

    s->timer_dcr = val & 0xb;
    if (!s->timer_active) {
        return;
    }
    /* Keep the count where it is and go on at the new rate. */
    s->timer_start_ns = now - (int64_t)done * lapic_tick_ns(s);
    s->timer_next_ns = now + (int64_t)cur * lapic_tick_ns(s);
    lapic_timer_rearm(s);
}

static void lapic_write_svr(LAPIC *s, uint32_t val)
{
    s->svr = val & 0x3ff;
    if (!lapic_enabled(s)) {
        for (int i = 0; i < LVT_COUNT; i++) {
            s->lvt[i] |= APIC_LVT_MASKED;
        }
    }
    lapic_kick_if_pending(s);
}

static void lapic_eoi(LAPIC *s)
{
    int v = bits_highest(s->isr);

    if (v < 0) {
        return;
    }
    bits_clear(s->isr, v);
    if (bits_test(s->tmr, v) && s->bus->eoi) {
        s->bus->eoi(s->bus->opaque, v);
    }
    lapic_kick_if_pending(s);
}

static bool lapic_match_dest(const LAPIC *s, uint8_t dest, bool logical)
{
    if (!logical) {
        return dest == 0xff || dest == s->id;
    }
    uint8_t ldr = s->ldr >> 24;
    if (dest == 0xff) {
        return true;
    }
    if ((s->dfr >> 28) == 0xf) {            /* flat model */
        return (ldr & dest) != 0;
    }
    /* cluster model: cluster in the high nibble, member bits in the low */
    return (ldr >> 4) == (dest >> 4) && (ldr & dest & 0xf) != 0;
}

static void lapic_deliver_one(LAPIC *d, unsigned mode, uint8_t vector,
                              bool level)
{
    switch (mode) {
    case APIC_DM_FIXED:
    case APIC_DM_LOWEST:
        lapic_accept(d, vector, level);
        break;
    case APIC_DM_NMI:
        lapic_post_event(d, X86_INTC_EVENT_NMI);
        break;
    case APIC_DM_INIT:
        lapic_reset(d);
        lapic_post_event(d, X86_INTC_EVENT_INIT);
        break;
    case APIC_DM_STARTUP:
        g_atomic_int_set(&d->sipi_vector, vector);
        lapic_post_event(d, X86_INTC_EVENT_SIPI);
        break;
    case APIC_DM_EXTINT:
        d->extint = true;
        lapic_sync_attention(d);
        lapic_kick_if_pending(d);
        break;
    default:                    /* SMI: not modelled */
        break;
    }
}

/*
 * Delivers to the LAPICs selected by MATCH (a bit per bus index).  Lowest
 * priority goes to the lowest APIC ID in the set, which is as good an
 * arbitration as any and keeps delivery deterministic.
 */
static unsigned lapic_bus_send(LAPICBus *bus, const bool *match,
                               unsigned mode, uint8_t vector, bool level)
{
    unsigned n = 0;
    int lowest = -1;

    for (unsigned i = 0; i < bus->ncpus; i++) {
        if (!match[i] || !bus->cpus[i]) {
            continue;
        }
        if (mode == APIC_DM_LOWEST) {
            if (lowest < 0 || bus->cpus[i]->id < bus->cpus[lowest]->id) {
                lowest = i;
            }
            continue;
        }
        lapic_deliver_one(bus->cpus[i], mode, vector, level);
        n++;
    }
    if (lowest >= 0) {
        lapic_deliver_one(bus->cpus[lowest], mode, vector, level);
        n++;
    }
    return n;
}

unsigned lapic_bus_deliver(LAPICBus *bus, uint8_t dest, bool logical,
                           unsigned delivery_mode, uint8_t vector,
                           bool level_triggered)
{
    g_autofree bool *match = g_new0(bool, bus->ncpus);

    for (unsigned i = 0; i < bus->ncpus; i++) {
        match[i] = bus->cpus[i] && lapic_match_dest(bus->cpus[i], dest, logical);
    }
    return lapic_bus_send(bus, match, delivery_mode, vector, level_triggered);
}

void lapic_bus_extint_changed(LAPICBus *bus, bool level)
{
    for (unsigned i = 0; i < bus->ncpus; i++) {
        LAPIC *s = bus->cpus[i];
        if (!s) {
            continue;
        }
        if (lapic_is_first(s)) {
            g_atomic_int_set(&s->pic_intr, level);
        }
        if (level && lapic_accepts_pic(s) && s->cpu) {
            vcpu_interrupt(s->cpu);
        }
    }
}

static void lapic_send_ipi(LAPIC *s)
{
    uint32_t lo = s->icr_lo;
    unsigned mode = (lo >> 8) & 7;
    unsigned shorthand = (lo >> 18) & 3;
    bool level = lo & ICR_TRIGGER_LEVEL;
    LAPICBus *bus = s->bus;

    if (mode == APIC_DM_INIT && level && !(lo & ICR_LEVEL_ASSERT)) {
        return;                 /* INIT level de-assert: nothing to do */
    }
    g_autofree bool *match = g_new0(bool, bus->ncpus);
    for (unsigned i = 0; i < bus->ncpus; i++) {
        LAPIC *d = bus->cpus[i];
        if (!d) {
            continue;
        }
        switch (shorthand) {
        case 0:
            match[i] = lapic_match_dest(d, s->icr_hi >> 24, lo & ICR_DEST_LOGICAL);
            break;
        case 1:
            match[i] = d == s;
            break;
        case 2:
            match[i] = true;
            break;
        default:
            match[i] = d != s;
            break;
        }
    }
    lapic_bus_send(bus, match, mode, lo & 0xff, level);
}

uint32_t lapic_read(LAPIC *s, unsigned offset)
{
    switch (offset) {
    case LAPIC_ID:
        return (uint32_t)s->id << 24;
    case LAPIC_VERSION:
        return LAPIC_VERSION_VALUE;
    case LAPIC_TPR:
        return s->tpr;
    case LAPIC_PPR:
        return lapic_ppr(s);
    case LAPIC_LDR:
        return s->ldr;
    case LAPIC_DFR:
        return s->dfr;
    case LAPIC_SVR:
        return s->svr;
    case LAPIC_ESR:
        return s->esr;
    case LAPIC_ICR_LO:
        return s->icr_lo;       /* delivery status: always idle */
    case LAPIC_ICR_HI:
        return s->icr_hi;
    case LAPIC_LVT_TIMER ... LAPIC_LVT_ERROR:
        return s->lvt[(offset - LAPIC_LVT_TIMER) >> 4];
    case LAPIC_TIMER_ICR:
        return s->timer_initial;
    case LAPIC_TIMER_CCR:
        return lapic_timer_current(s, clock_ns());
    case LAPIC_TIMER_DCR:
        return s->timer_dcr;
    case LAPIC_ISR ... LAPIC_ISR + 0x70:
        return s->isr[(offset - LAPIC_ISR) >> 4];
    case LAPIC_TMR ... LAPIC_TMR + 0x70:
        return s->tmr[(offset - LAPIC_TMR) >> 4];
    case LAPIC_IRR ... LAPIC_IRR + 0x70:
        return s->irr[(offset - LAPIC_IRR) >> 4];
    default:
        return 0;
    }
}

void lapic_write(LAPIC *s, unsigned offset, uint32_t val)
{
    switch (offset) {
    case LAPIC_ID:
        s->id = val >> 24;
        break;
    case LAPIC_TPR:
        s->tpr = val & 0xff;
        lapic_kick_if_pending(s);
        break;
    case LAPIC_EOI:
        lapic_eoi(s);
        break;
    case LAPIC_LDR:
        s->ldr = val & 0xff000000;
        break;
    case LAPIC_DFR:
        s->dfr = val | 0x0fffffff;
        break;
    case LAPIC_SVR:
        lapic_write_svr(s, val);
        break;
    case LAPIC_ESR:
        s->esr = s->esr_pending;
        s->esr_pending = 0;
        break;
    case LAPIC_ICR_LO:
        s->icr_lo = val & 0x000ccfff;
        lapic_send_ipi(s);
        break;
    case LAPIC_ICR_HI:
        s->icr_hi = val & 0xff000000;
        break;
    case LAPIC_LVT_TIMER ... LAPIC_LVT_ERROR:
        if ((offset & 0xf) == 0) {
            lapic_write_lvt(s, (offset - LAPIC_LVT_TIMER) >> 4, val);
        }
        break;
    case LAPIC_TIMER_ICR:
        s->timer_initial = val;
        lapic_timer_start(s, clock_ns());
        break;
    case LAPIC_TIMER_DCR:
        lapic_write_dcr(s, val);
        break;
    default:                    /* read-only or reserved */
        break;
    }
}

static LAPIC *lapic_of_caller(LAPICBus *bus)
{
    VCPU *cpu = vcpu_current();

    if (cpu && cpu->intc) {
        return cpu->intc;
    }
    /* Not from a vCPU thread (a debugger, a test): the BSP's. */
    return bus->ncpus ? bus->cpus[0] : NULL;
}

static uint64_t lapic_mmio_read(void *opaque, uint64_t offset, unsigned size)
{
    LAPIC *s = lapic_of_caller(opaque);

    if (!s || (offset & 0xf) >= 4) {
        return 0;
    }
    uint64_t val = lapic_read(s, offset & 0xff0) >> (8 * (offset & 3));
    return size >= 4 ? val : val & ((1ull << (8 * size)) - 1);
}

static void lapic_mmio_write(void *opaque, uint64_t offset, uint64_t value,
                             unsigned size)
{
    LAPIC *s = lapic_of_caller(opaque);

    /* Registers are written as whole dwords; narrower writes are dropped. */
    if (!s || (offset & 0xf) || size < 4) {
        return;
    }
    lapic_write(s, offset & 0xff0, (uint32_t)value);
}

const MemoryRegionOps lapic_mmio_ops = {
    .read = lapic_mmio_read,
    .write = lapic_mmio_write,
};

void lapic_reset(LAPIC *s)
{
    s->tpr = 0;
    s->ldr = 0;
    s->dfr = 0xffffffff;
    s->svr = 0xff;
    s->esr = s->esr_pending = 0;
    s->icr_lo = s->icr_hi = 0;
    for (int i = 0; i < LVT_COUNT; i++) {
        s->lvt[i] = APIC_LVT_MASKED;
    }
    memset(s->irr, 0, sizeof(s->irr));
    memset(s->isr, 0, sizeof(s->isr));
    memset(s->tmr, 0, sizeof(s->tmr));
    s->timer_initial = 0;
    s->timer_dcr = 0;
    s->timer_active = false;
    s->extint = false;
    lapic_sync_attention(s);
    if (s->timer) {
        lapic_timer_rearm(s);
    }
}

LAPIC *lapic_new(LAPICBus *bus, VCPU *cpu, uint8_t apic_id)
{
    LAPIC *s = g_new0(LAPIC, 1);

    s->bus = bus;
    s->cpu = cpu;
    s->id = apic_id;
    s->timer = device_timer_new("lapic-timer", lapic_timer_expired, s);
    lapic_reset(s);
    return s;
}

void lapic_free(LAPIC *s)
{
    if (!s) {
        return;
    }
    device_timer_free(s->timer);
    g_free(s);
}
