/*
 * The GLib main loop runs on the main thread: timers, host character
 * input, signals.  Device state is protected by one big lock (the BQL):
 * the memory API takes it around every I/O-region callback, and every
 * main-loop callback that touches device state takes it too.
 */
#ifndef CORE_MAIN_LOOP_H
#define CORE_MAIN_LOOP_H

#include <glib.h>
#include <stdbool.h>

void bql_lock(void);
void bql_unlock(void);
bool bql_locked(void);          /* by the calling thread */

/* Main context used by the machine (the default one unless a test sets it). */
GMainContext *main_loop_context(void);

/* Runs until main_loop_quit(); returns the status passed to it. */
int main_loop_run(void);
/* Thread-safe: ends main_loop_run() with STATUS (first caller wins). */
void main_loop_quit(int status);
bool main_loop_quitting(void);

/* Monotonic host clock in nanoseconds. */
int64_t clock_ns(void);

#endif
