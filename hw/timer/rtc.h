/*
 * MC146818 RTC and CMOS memory (ports 0x70 index, 0x71 data).
 *
 * The clock is the host's UTC time plus an offset the guest sets by
 * writing the time registers; register B's binary (DM) and 24-hour bits
 * are honoured, as is its SET bit (updates frozen while the guest writes a
 * new time).  UIP is set during the last 244 us of every second, as on
 * the chip, so it is never stuck.  No interrupts are generated (periodic,
 * alarm and update-ended IRQ 8 are not modelled); status C reports the
 * update-ended flag when a second has passed since it was last read.
 *
 * The CMOS bytes firmware and Linux read for the memory size (0x15-0x18,
 * 0x30/0x31, 0x34/0x35, 0x5b-0x5d) and the CPU count (0x5f) are filled in.
 */
#ifndef HW_TIMER_RTC_H
#define HW_TIMER_RTC_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/machine.h"

#define RTC_BASE_PORT   0x70

enum {
    RTC_SECONDS = 0x00,
    RTC_SECONDS_ALARM = 0x01,
    RTC_MINUTES = 0x02,
    RTC_MINUTES_ALARM = 0x03,
    RTC_HOURS = 0x04,
    RTC_HOURS_ALARM = 0x05,
    RTC_DAY_OF_WEEK = 0x06,
    RTC_DAY_OF_MONTH = 0x07,
    RTC_MONTH = 0x08,
    RTC_YEAR = 0x09,
    RTC_REG_A = 0x0a,
    RTC_REG_B = 0x0b,
    RTC_REG_C = 0x0c,
    RTC_REG_D = 0x0d,
    RTC_CENTURY = 0x32,
};

#define RTC_A_UIP       0x80
#define RTC_B_SET       0x80
#define RTC_B_PIE       0x40
#define RTC_B_AIE       0x20
#define RTC_B_UIE       0x10
#define RTC_B_DM_BINARY 0x04
#define RTC_B_24H       0x02
#define RTC_C_UF        0x10
#define RTC_C_IRQF      0x80
#define RTC_D_VRT       0x80

/* Width of the UIP window before each update, in nanoseconds. */
#define RTC_UIP_NS      244000

typedef struct RTCState RTCState;

/* Source of the host's UTC time in nanoseconds since the epoch. */
typedef int64_t (*RTCClockFunc)(void *opaque);

RTCState *rtc_create(Machine *m, uint16_t base, uint64_t ram_below_4g,
                     uint64_t ram_above_4g, GError **errp);
void rtc_free(RTCState *s);

/* The microvm's RTC at 0x70; the RTC lives as long as the process. */
bool rtc_init(Machine *m, uint64_t ram_below_4g, uint64_t ram_above_4g,
              GError **errp);

/* Tests: replace the host clock (NULL restores it). */
void rtc_set_clock(RTCState *s, RTCClockFunc fn, void *opaque);

#endif
