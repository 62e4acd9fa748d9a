/*
 * Host side of a character device (the serial port's "-serial" backend).
 *
 * A backend carries bytes between one frontend (a UART model) and the
 * host: stdio, a file, nothing, or an in-memory "test" backend that tests
 * use to inject input and capture output.
 *
 * Input is flow-controlled: the backend never hands the frontend more than
 * its can_receive() says.  When that is 0 the backend stops reading the
 * host (stdin stays unread, injected test bytes stay queued) until the
 * frontend calls chardev_accept_input() after the guest drained its FIFO,
 * so no byte is lost.
 *
 * Frontend callbacks run with the BQL held: the stdio backend takes it in
 * its main-loop watch, the test backend expects its caller to hold it.
 */
#ifndef HW_CHAR_CHARDEV_H
#define HW_CHAR_CHARDEV_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/machine.h"

typedef struct CharBackend CharBackend;

typedef struct CharFrontendOps {
    /* How many bytes the frontend can take now. */
    size_t (*can_receive)(void *opaque);
    /* LEN is at most what can_receive() returned just before. */
    void (*receive)(void *opaque, const uint8_t *buf, size_t len);
} CharFrontendOps;

/*
 * Stdio: output to fd 1, input from fd 0 through a watch on the main
 * loop.  A terminal on fd 0 is put in raw mode (restored at exit) and the
 * escape key Ctrl-A is interpreted: Ctrl-A x quits (machine_request_shutdown
 * of M with status 0), Ctrl-A h prints help, Ctrl-A Ctrl-A sends Ctrl-A.
 * Only one stdio backend may exist at a time.
 */
CharBackend *chardev_new_stdio(Machine *m, GError **errp);
/* Output to PATH (created or truncated); no input. */
CharBackend *chardev_new_file(const char *path, GError **errp);
/* Output discarded, no input. */
CharBackend *chardev_new_null(void);
/* In memory: chardev_test_inject() and chardev_test_output(). */
CharBackend *chardev_new_test(void);

/* The backend for CFG's -serial setting (null when CFG is NULL). */
CharBackend *chardev_new_from_config(Machine *m, const MachineConfig *cfg,
                                     GError **errp);

void chardev_free(CharBackend *chr);

/* Connects the frontend; input starts flowing when FE can receive. */
void chardev_set_frontend(CharBackend *chr, const CharFrontendOps *fe,
                          void *opaque);

/* Sends LEN bytes to the host; blocks until they are written. */
void chardev_write(CharBackend *chr, const uint8_t *buf, size_t len);

/*
 * The frontend has room again: resume reading.  Cheap when input was not
 * held back; may call the frontend's receive() at once (test backend).
 */
void chardev_accept_input(CharBackend *chr);

/* Test backend: queues input and delivers as much as the frontend takes. */
void chardev_test_inject(CharBackend *chr, const void *buf, size_t len);
/* Test backend: bytes still queued (not yet taken by the frontend). */
size_t chardev_test_pending_input(CharBackend *chr);
/* Test backend: everything written so far (not NUL-terminated). */
const uint8_t *chardev_test_output(CharBackend *chr, size_t *len);
void chardev_test_clear_output(CharBackend *chr);

/*
 * Puts the host terminal back as it was, if a stdio backend changed it.
 * Idempotent and async-signal-safe; also registered with atexit().
 */
void chardev_restore_terminal(void);

/* Ctrl-A escape handling of the stdio backend, exposed for tests. */
typedef struct CharEscapeState {
    bool got_escape;
} CharEscapeState;

typedef enum CharEscapeAction {
    CHAR_ESCAPE_NONE,
    CHAR_ESCAPE_QUIT,
    CHAR_ESCAPE_HELP,
} CharEscapeAction;

#define CHAR_ESCAPE_KEY 0x01    /* Ctrl-A */

/*
 * Filters LEN input bytes in place, dropping escape sequences; returns the
 * number of bytes left for the guest in BUF and the first action seen in
 * *ACTION (the bytes after a quit are dropped).
 */
size_t chardev_escape_filter(CharEscapeState *st, uint8_t *buf, size_t len,
                             CharEscapeAction *action);

#endif
