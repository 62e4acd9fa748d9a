/*
 * MC146818 RTC and CMOS memory.
 *
 * The time registers are not stored: each read computes them from the
 * host clock plus the guest's offset (whole seconds, so UIP stays in phase
 * with the host's second boundaries).
 */
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "hw/timer/rtc.h"

#define NS_PER_SEC 1000000000LL

struct RTCState {
    Machine *machine;
    MemoryRegion *mr;
    uint8_t index;
    uint8_t cmos[128];

    int64_t offset_sec;         /* guest time - host time */
    struct tm set_tm;           /* the time being written while B.SET */
    int64_t last_c_read_sec;    /* guest second of the last status C read */

    RTCClockFunc clock;
    void *clock_opaque;
};

static int64_t host_realtime_ns(void *opaque)
{
    struct timespec ts;

    (void)opaque;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

static int64_t guest_now_ns(RTCState *s)
{
    return s->clock(s->clock_opaque) + s->offset_sec * NS_PER_SEC;
}

static int64_t guest_now_sec(RTCState *s)
{
    int64_t ns = guest_now_ns(s);

    return ns >= 0 ? ns / NS_PER_SEC : -((-ns + NS_PER_SEC - 1) / NS_PER_SEC);
}

static bool set_mode(const RTCState *s)
{
    return s->cmos[RTC_REG_B] & RTC_B_SET;
}

/* The time the registers show: frozen while the guest sets it. */
static void current_tm(RTCState *s, struct tm *tm)
{
    time_t t;

    if (set_mode(s)) {
        *tm = s->set_tm;
        return;
    }
    t = (time_t)guest_now_sec(s);
    gmtime_r(&t, tm);
}

static uint8_t encode(const RTCState *s, int value)
{
    if (s->cmos[RTC_REG_B] & RTC_B_DM_BINARY) {
        return (uint8_t)value;
    }
    return (uint8_t)(((value / 10) << 4) | (value % 10));
}

static int decode(const RTCState *s, uint8_t value)
{
    if (s->cmos[RTC_REG_B] & RTC_B_DM_BINARY) {
        return value;
    }
    return (value >> 4) * 10 + (value & 0x0f);
}

static uint8_t encode_hour(const RTCState *s, int hour)
{
    int h12;

    if (s->cmos[RTC_REG_B] & RTC_B_24H) {
        return encode(s, hour);
    }
    h12 = hour % 12 ? hour % 12 : 12;
    return encode(s, h12) | (hour >= 12 ? 0x80 : 0);
}

static int decode_hour(const RTCState *s, uint8_t value)
{
    int h;

    if (s->cmos[RTC_REG_B] & RTC_B_24H) {
        return decode(s, value);
    }
    h = decode(s, value & 0x7f) % 12;
    return (value & 0x80) ? h + 12 : h;
}

static uint8_t read_time_reg(RTCState *s, unsigned reg)
{
    struct tm tm;

    current_tm(s, &tm);
    switch (reg) {
    case RTC_SECONDS:
        return encode(s, tm.tm_sec);
    case RTC_MINUTES:
        return encode(s, tm.tm_min);
    case RTC_HOURS:
        return encode_hour(s, tm.tm_hour);
    case RTC_DAY_OF_WEEK:
        return encode(s, tm.tm_wday + 1);
    case RTC_DAY_OF_MONTH:
        return encode(s, tm.tm_mday);
    case RTC_MONTH:
        return encode(s, tm.tm_mon + 1);
    case RTC_YEAR:
        return encode(s, (tm.tm_year + 1900) % 100);
    case RTC_CENTURY:
        return encode(s, (tm.tm_year + 1900) / 100);
    }
    g_assert_not_reached();
}

/* Applies TM as the time shown now (or when SET is cleared). */
static void commit_tm(RTCState *s, struct tm *tm)
{
    if (set_mode(s)) {
        s->set_tm = *tm;
        return;
    }
    s->offset_sec += (int64_t)timegm(tm) - guest_now_sec(s);
}

static void write_time_reg(RTCState *s, unsigned reg, uint8_t val)
{
    struct tm tm;
    int year;

    current_tm(s, &tm);
    year = tm.tm_year + 1900;
    switch (reg) {
    case RTC_SECONDS:
        tm.tm_sec = decode(s, val);
        break;
    case RTC_MINUTES:
        tm.tm_min = decode(s, val);
        break;
    case RTC_HOURS:
        tm.tm_hour = decode_hour(s, val);
        break;
    case RTC_DAY_OF_WEEK:
        return;                 /* derived from the date */
    case RTC_DAY_OF_MONTH:
        tm.tm_mday = decode(s, val);
        break;
    case RTC_MONTH:
        tm.tm_mon = decode(s, val) - 1;
        break;
    case RTC_YEAR:
        tm.tm_year = year / 100 * 100 + decode(s, val) % 100 - 1900;
        break;
    case RTC_CENTURY:
        tm.tm_year = decode(s, val) * 100 + year % 100 - 1900;
        break;
    }
    commit_tm(s, &tm);
}

static bool is_time_reg(unsigned reg)
{
    switch (reg) {
    case RTC_SECONDS:
    case RTC_MINUTES:
    case RTC_HOURS:
    case RTC_DAY_OF_WEEK:
    case RTC_DAY_OF_MONTH:
    case RTC_MONTH:
    case RTC_YEAR:
    case RTC_CENTURY:
        return true;
    }
    return false;
}

/* The 22-stage divider runs (DV = 010) and the guest is not setting the time. */
static bool update_in_progress(RTCState *s)
{
    int64_t ns = guest_now_ns(s) % NS_PER_SEC;

    if (set_mode(s) || ((s->cmos[RTC_REG_A] >> 4) & 7) != 2) {
        return false;
    }
    if (ns < 0) {
        ns += NS_PER_SEC;
    }
    return ns >= NS_PER_SEC - RTC_UIP_NS;
}

static uint8_t read_status_c(RTCState *s)
{
    int64_t now = guest_now_sec(s);
    uint8_t v = 0;

    if (now != s->last_c_read_sec && !set_mode(s)) {
        v |= RTC_C_UF;
        if (s->cmos[RTC_REG_B] & RTC_B_UIE) {
            v |= RTC_C_IRQF;
        }
    }
    s->last_c_read_sec = now;
    return v;
}

static uint8_t cmos_read(RTCState *s, unsigned reg)
{
    if (is_time_reg(reg)) {
        return read_time_reg(s, reg);
    }
    switch (reg) {
    case RTC_REG_A:
        return (s->cmos[RTC_REG_A] & 0x7f) | (update_in_progress(s) ? RTC_A_UIP : 0);
    case RTC_REG_C:
        return read_status_c(s);
    case RTC_REG_D:
        return RTC_D_VRT;
    }
    return s->cmos[reg];
}

static void write_reg_b(RTCState *s, uint8_t val)
{
    bool was_set = set_mode(s);

    if ((val & RTC_B_SET) && !was_set) {
        current_tm(s, &s->set_tm);
        val &= ~RTC_B_UIE;      /* SET clears UIE on the chip */
    }
    if (!(val & RTC_B_SET) && was_set) {
        /* Leave SET mode first so that commit_tm moves the offset. */
        s->cmos[RTC_REG_B] = val;
        commit_tm(s, &s->set_tm);
        return;
    }
    s->cmos[RTC_REG_B] = val;
}

static void cmos_write(RTCState *s, unsigned reg, uint8_t val)
{
    if (is_time_reg(reg)) {
        write_time_reg(s, reg, val);
        return;
    }
    switch (reg) {
    case RTC_REG_A:
        s->cmos[RTC_REG_A] = val & 0x7f;
        return;
    case RTC_REG_B:
        write_reg_b(s, val);
        return;
    case RTC_REG_C:
    case RTC_REG_D:
        return;                 /* read-only */
    }
    s->cmos[reg] = val;
}

static uint8_t port_read(RTCState *s, unsigned port)
{
    /* The index port is write-only. */
    return port == 0 ? 0xff : cmos_read(s, s->index);
}

static void port_write(RTCState *s, unsigned port, uint8_t val)
{
    if (port == 0) {
        s->index = val & 0x7f;  /* bit 7 masks NMI: nothing to mask here */
    } else {
        cmos_write(s, s->index, val);
    }
}

static uint64_t rtc_io_read(void *opaque, uint64_t offset, unsigned size)
{
    return port_read(opaque, offset);
}

static void rtc_io_write(void *opaque, uint64_t offset, uint64_t value,
                         unsigned size)
{
    port_write(opaque, offset, value);
}

static const MemoryRegionOps rtc_ops = {
    .read = rtc_io_read,
    .write = rtc_io_write,
    .max_access_size = 1,
};

static void put16(uint8_t *cmos, unsigned lo, uint64_t value)
{
    cmos[lo] = value & 0xff;
    cmos[lo + 1] = (value >> 8) & 0xff;
}

/* The memory-size bytes of the PC CMOS layout. */
static void fill_memory_size(RTCState *s, uint64_t below_4g, uint64_t above_4g)
{
    uint64_t ext_kib = below_4g > (1 << 20) ? (below_4g - (1 << 20)) >> 10 : 0;
    uint64_t above_16m = below_4g > (16 << 20) ? (below_4g - (16 << 20)) >> 16 : 0;
    uint64_t high = above_4g >> 16;

    put16(s->cmos, 0x15, 640);                      /* base memory, KiB */
    put16(s->cmos, 0x17, MIN(ext_kib, 0xffff));     /* above 1 MiB, KiB */
    put16(s->cmos, 0x30, MIN(ext_kib, 0xffff));
    put16(s->cmos, 0x34, MIN(above_16m, 0xffff));   /* above 16 MiB, 64 KiB */
    s->cmos[0x5b] = high & 0xff;                    /* above 4 GiB, 64 KiB */
    s->cmos[0x5c] = (high >> 8) & 0xff;
    s->cmos[0x5d] = (high >> 16) & 0xff;
}

RTCState *rtc_create(Machine *m, uint16_t base, uint64_t ram_below_4g,
                     uint64_t ram_above_4g, GError **errp)
{
    RTCState *s = g_new0(RTCState, 1);

    s->machine = m;
    s->clock = host_realtime_ns;
    s->cmos[RTC_REG_A] = 0x26;              /* 32.768 kHz, 1024 Hz rate */
    s->cmos[RTC_REG_B] = RTC_B_24H;         /* BCD, 24-hour */
    s->cmos[0x14] = 0x02;                   /* equipment: FPU present */
    s->cmos[0x5f] = m->ncpus ? (uint8_t)(m->ncpus - 1) : 0;
    fill_memory_size(s, ram_below_4g, ram_above_4g);
    s->last_c_read_sec = guest_now_sec(s);

    s->mr = address_space_add_io(m->io, "rtc", base, 2, &rtc_ops, s, errp);
    if (!s->mr) {
        g_free(s);
        return NULL;
    }
    return s;
}

void rtc_free(RTCState *s)
{
    if (s) {
        address_space_remove(s->machine->io, s->mr);
        g_free(s);
    }
}

bool rtc_init(Machine *m, uint64_t ram_below_4g, uint64_t ram_above_4g,
              GError **errp)
{
    return rtc_create(m, RTC_BASE_PORT, ram_below_4g, ram_above_4g, errp) != NULL;
}

void rtc_set_clock(RTCState *s, RTCClockFunc fn, void *opaque)
{
    s->clock = fn ? fn : host_realtime_ns;
    s->clock_opaque = opaque;
    s->last_c_read_sec = guest_now_sec(s);
}
