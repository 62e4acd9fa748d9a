/*
 * Device timers as GSources on the machine's main context.  GLib's ready
 * time is CLOCK_MONOTONIC in microseconds, the clock of clock_ns().
 */
#include <glib.h>

#include "core/main_loop.h"
#include "core/timer.h"

struct DeviceTimer {
    GSource source;
    void (*cb)(void *opaque);
    void *opaque;
};

static gboolean device_timer_dispatch(GSource *source, GSourceFunc unused_cb,
                                      gpointer unused_data)
{
    DeviceTimer *t = (DeviceTimer *)source;

    /* One-shot: the callback re-arms if it wants more. */
    g_source_set_ready_time(source, -1);
    bql_lock();
    t->cb(t->opaque);
    bql_unlock();
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs device_timer_funcs = {
    .dispatch = device_timer_dispatch,
};

DeviceTimer *device_timer_new(const char *name, void (*cb)(void *opaque),
                              void *opaque)
{
    DeviceTimer *t = (DeviceTimer *)g_source_new(&device_timer_funcs,
                                                 sizeof(DeviceTimer));

    t->cb = cb;
    t->opaque = opaque;
    g_source_set_name(&t->source, name);
    g_source_attach(&t->source, main_loop_context());
    return t;
}

void device_timer_free(DeviceTimer *t)
{
    if (t) {
        g_source_destroy(&t->source);
        g_source_unref(&t->source);
    }
}

void device_timer_arm(DeviceTimer *t, int64_t deadline_ns)
{
    g_source_set_ready_time(&t->source,
                            deadline_ns < 0 ? -1 : (deadline_ns + 999) / 1000);
}
