/*
 * The big lock and the main loop.
 *
 * The BQL is a plain (non-recursive) mutex; a thread-local flag tells
 * whether the calling thread holds it.  Taking it twice is a bug and
 * aborts.
 *
 * main_loop_run() iterates the main context until main_loop_quit() has
 * published a status.  Quitting sets the flag and then wakes the context;
 * the wake-up is sticky (GLib's wakeup fd), so a quit that lands between
 * the flag check and the poll is not lost.  A quit that comes before
 * main_loop_run() makes it return at once.
 */
#include <time.h>

#include "core/main_loop.h"

static GMutex bql;
static __thread bool bql_held;

static int quit_claimed;
static int quit_status;
static int quitting;

void bql_lock(void)
{
    g_assert(!bql_held);
    g_mutex_lock(&bql);
    bql_held = true;
}

void bql_unlock(void)
{
    g_assert(bql_held);
    bql_held = false;
    g_mutex_unlock(&bql);
}

bool bql_locked(void)
{
    return bql_held;
}

GMainContext *main_loop_context(void)
{
    return g_main_context_default();
}

int main_loop_run(void)
{
    GMainContext *ctx = main_loop_context();

    while (!main_loop_quitting()) {
        g_main_context_iteration(ctx, TRUE);
    }
    return g_atomic_int_get(&quit_status);
}

void main_loop_quit(int status)
{
    if (!g_atomic_int_compare_and_exchange(&quit_claimed, 0, 1)) {
        return;
    }
    /* The status is published before the flag that readers test. */
    g_atomic_int_set(&quit_status, status);
    g_atomic_int_set(&quitting, 1);
    g_main_context_wakeup(main_loop_context());
}

bool main_loop_quitting(void)
{
    return g_atomic_int_get(&quitting) != 0;
}

int64_t clock_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
