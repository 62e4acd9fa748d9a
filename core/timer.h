/*
 * Device timers: a callback run on the main loop, with the BQL held, once
 * clock_ns() reaches a deadline.  What the LAPIC timers and the PIT use.
 */
#ifndef CORE_TIMER_H
#define CORE_TIMER_H

#include <stdint.h>

typedef struct DeviceTimer DeviceTimer;

DeviceTimer *device_timer_new(const char *name, void (*cb)(void *opaque),
                              void *opaque);
void device_timer_free(DeviceTimer *t);

/*
 * Fires once at DEADLINE_NS (clock_ns() time); a negative deadline
 * disarms.  Safe from any thread; a later call replaces the deadline.
 */
void device_timer_arm(DeviceTimer *t, int64_t deadline_ns);

#endif
