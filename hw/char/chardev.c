/*
 * Character backends: stdio, file, null and an in-memory test backend.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "core/error.h"
#include "core/main_loop.h"
#include "hw/char/chardev.h"

typedef enum CharKind {
    CHAR_NULL,
    CHAR_FILE,
    CHAR_STDIO,
    CHAR_TEST,
} CharKind;

struct CharBackend {
    CharKind kind;
    int out_fd;                 /* -1: output discarded */

    const CharFrontendOps *fe;
    void *fe_opaque;

    /* stdio */
    Machine *machine;
    int in_fd;
    bool is_tty;                /* escape handling on */
    GSource *watch;             /* NULL while paused or after EOF; BQL */
    bool input_eof;
    CharEscapeState esc;

    /* test */
    GByteArray *output;
    GByteArray *input;
    bool delivering;
};

/* ---- terminal state ---------------------------------------------------- */

static struct termios saved_tty;
static volatile sig_atomic_t tty_modified;
static bool stdio_in_use;

void chardev_restore_terminal(void)
{
    if (tty_modified) {
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
        tty_modified = 0;
    }
}

static void restore_and_reraise(int sig)
{
    chardev_restore_terminal();
    signal(sig, SIG_DFL);
    raise(sig);
}

/*
 * Signals that would end the process without running atexit handlers.
 * Only default dispositions are replaced: whoever installed a handler
 * (the main loop) ends the process in an orderly way, through exit().
 */
static void install_restore_handlers(void)
{
    static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGABRT };

    for (size_t i = 0; i < G_N_ELEMENTS(sigs); i++) {
        struct sigaction old;

        if (sigaction(sigs[i], NULL, &old) == 0 &&
            !(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_DFL) {
            struct sigaction sa = { .sa_handler = restore_and_reraise };

            sigemptyset(&sa.sa_mask);
            sigaction(sigs[i], &sa, NULL);
        }
    }
}

/* Raw mode as QEMU's stdio chardev sets it: OPOST kept, signals off. */
static void terminal_make_raw(int fd)
{
    static bool atexit_done;
    struct termios tty;

    if (tcgetattr(fd, &saved_tty) < 0) {
        return;
    }
    tty = saved_tty;
    tty.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR |
                     ICRNL | IXON);
    tty.c_oflag |= OPOST;
    tty.c_lflag &= ~(ECHO | ECHONL | ICANON | IEXTEN | ISIG);
    tty.c_cflag &= ~(CSIZE | PARENB);
    tty.c_cflag |= CS8;
    tty.c_cc[VMIN] = 1;
    tty.c_cc[VTIME] = 0;

    if (!atexit_done) {
        atexit(chardev_restore_terminal);
        install_restore_handlers();
        atexit_done = true;
    }
    if (tcsetattr(fd, TCSANOW, &tty) == 0) {
        tty_modified = 1;
    }
}

/* ---- escape key -------------------------------------------------------- */

size_t chardev_escape_filter(CharEscapeState *st, uint8_t *buf, size_t len,
                             CharEscapeAction *action)
{
    size_t out = 0;

    *action = CHAR_ESCAPE_NONE;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = buf[i];

        if (!st->got_escape) {
            if (c == CHAR_ESCAPE_KEY) {
                st->got_escape = true;
            } else {
                buf[out++] = c;
            }
            continue;
        }
        st->got_escape = false;
        switch (c) {
        case CHAR_ESCAPE_KEY:
            buf[out++] = c;
            break;
        case 'x':
            *action = CHAR_ESCAPE_QUIT;
            return out;
        case 'h':
        case '?':
            *action = CHAR_ESCAPE_HELP;
            break;
        default:
            /* Unknown escapes are swallowed, as in QEMU. */
            break;
        }
    }
    return out;
}

/* OPOST stays on in raw mode, so "\n" is enough. */
static const char escape_help[] =
    "\n"
    "C-a h    print this help\n"
    "C-a x    exit emulator\n"
    "C-a C-a  sends C-a\n";

/* ---- output ------------------------------------------------------------ */

static void write_all(int fd, const uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                struct pollfd pfd = { .fd = fd, .events = POLLOUT };

                poll(&pfd, 1, -1);
                continue;
            }
            /* EPIPE, EIO, ENOSPC: the output is gone; drop it. */
            return;
        }
        buf += n;
        len -= (size_t)n;
    }
}

void chardev_write(CharBackend *chr, const uint8_t *buf, size_t len)
{
    switch (chr->kind) {
    case CHAR_TEST:
        g_byte_array_append(chr->output, buf, (guint)len);
        break;
    case CHAR_FILE:
    case CHAR_STDIO:
        write_all(chr->out_fd, buf, len);
        break;
    case CHAR_NULL:
        break;
    }
}

/* ---- stdio input ------------------------------------------------------- */

static gboolean stdio_readable(gint fd, GIOCondition cond, gpointer opaque);

/* Called with the BQL held. */
static void stdio_watch_start(CharBackend *chr)
{
    if (chr->watch || chr->input_eof) {
        return;
    }
    chr->watch = g_unix_fd_source_new(chr->in_fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
    g_source_set_callback(chr->watch, G_SOURCE_FUNC(stdio_readable),
                          chr, NULL);
    g_source_attach(chr->watch, main_loop_context());
    g_source_unref(chr->watch);     /* the context holds it while attached */
}

static void stdio_watch_stop(CharBackend *chr)
{
    if (chr->watch) {
        g_source_destroy(chr->watch);
        chr->watch = NULL;
    }
}

/* Returns false when the watch must go (EOF, error or no room). */
static bool stdio_read_some(CharBackend *chr)
{
    uint8_t buf[256];
    size_t room = chr->fe ? chr->fe->can_receive(chr->fe_opaque) : 0;
    CharEscapeAction action = CHAR_ESCAPE_NONE;
    ssize_t n;
    size_t len;

    if (room == 0) {
        return false;           /* chardev_accept_input() restarts it */
    }
    n = read(chr->in_fd, buf, MIN(room, sizeof(buf)));
    if (n < 0) {
        if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) {
            return true;
        }
        chr->input_eof = true;
        return false;
    }
    if (n == 0) {
        chr->input_eof = true;
        return false;
    }
    len = (size_t)n;
    if (chr->is_tty) {
        len = chardev_escape_filter(&chr->esc, buf, len, &action);
    }
    if (len > 0) {
        chr->fe->receive(chr->fe_opaque, buf, len);
    }
    if (action == CHAR_ESCAPE_HELP) {
        write_all(chr->out_fd, (const uint8_t *)escape_help,
                  sizeof(escape_help) - 1);
    } else if (action == CHAR_ESCAPE_QUIT) {
        chardev_restore_terminal();
        error_report("terminated by C-a x");
        machine_request_shutdown(chr->machine, 0);
        chr->input_eof = true;
        return false;
    }
    return true;
}

static gboolean stdio_readable(gint fd, GIOCondition cond, gpointer opaque)
{
    CharBackend *chr = opaque;
    bool keep;

    (void)fd;
    (void)cond;
    bql_lock();
    keep = stdio_read_some(chr);
    if (!keep) {
        chr->watch = NULL;      /* GLib destroys it when we return REMOVE */
    }
    bql_unlock();
    return keep ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/* ---- test input -------------------------------------------------------- */

static void test_deliver(CharBackend *chr)
{
    if (chr->delivering || !chr->fe) {
        return;
    }
    chr->delivering = true;
    while (chr->input->len > 0) {
        size_t room = chr->fe->can_receive(chr->fe_opaque);
        size_t n = MIN(room, (size_t)chr->input->len);

        if (n == 0) {
            break;
        }
        chr->fe->receive(chr->fe_opaque, chr->input->data, n);
        g_byte_array_remove_range(chr->input, 0, (guint)n);
    }
    chr->delivering = false;
}

void chardev_test_inject(CharBackend *chr, const void *buf, size_t len)
{
    g_assert(chr->kind == CHAR_TEST);
    g_byte_array_append(chr->input, buf, (guint)len);
    test_deliver(chr);
}

size_t chardev_test_pending_input(CharBackend *chr)
{
    g_assert(chr->kind == CHAR_TEST);
    return chr->input->len;
}

const uint8_t *chardev_test_output(CharBackend *chr, size_t *len)
{
    g_assert(chr->kind == CHAR_TEST);
    *len = chr->output->len;
    return chr->output->data;
}

void chardev_test_clear_output(CharBackend *chr)
{
    g_assert(chr->kind == CHAR_TEST);
    g_byte_array_set_size(chr->output, 0);
}

/* ---- common ------------------------------------------------------------ */

void chardev_accept_input(CharBackend *chr)
{
    switch (chr->kind) {
    case CHAR_STDIO:
        stdio_watch_start(chr);
        break;
    case CHAR_TEST:
        test_deliver(chr);
        break;
    case CHAR_FILE:
    case CHAR_NULL:
        break;
    }
}

void chardev_set_frontend(CharBackend *chr, const CharFrontendOps *fe,
                          void *opaque)
{
    chr->fe = fe;
    chr->fe_opaque = opaque;
    chardev_accept_input(chr);
}

static CharBackend *chardev_alloc(CharKind kind, int out_fd)
{
    CharBackend *chr = g_new0(CharBackend, 1);

    chr->kind = kind;
    chr->out_fd = out_fd;
    chr->in_fd = -1;
    return chr;
}

CharBackend *chardev_new_null(void)
{
    return chardev_alloc(CHAR_NULL, -1);
}

CharBackend *chardev_new_test(void)
{
    CharBackend *chr = chardev_alloc(CHAR_TEST, -1);

    chr->output = g_byte_array_new();
    chr->input = g_byte_array_new();
    return chr;
}

CharBackend *chardev_new_file(const char *path, GError **errp)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);

    if (fd < 0) {
        g_set_error(errp, QEMU_ERROR, 0, "could not open serial file '%s': %s",
                    path, g_strerror(errno));
        return NULL;
    }
    return chardev_alloc(CHAR_FILE, fd);
}

CharBackend *chardev_new_stdio(Machine *m, GError **errp)
{
    CharBackend *chr;

    if (stdio_in_use) {
        g_set_error(errp, QEMU_ERROR, 0, "stdio can be used by one serial port only");
        return NULL;
    }
    stdio_in_use = true;
    chr = chardev_alloc(CHAR_STDIO, STDOUT_FILENO);
    chr->machine = m;
    chr->in_fd = STDIN_FILENO;
    if (isatty(STDIN_FILENO)) {
        chr->is_tty = true;
        terminal_make_raw(STDIN_FILENO);
    }
    return chr;
}

CharBackend *chardev_new_from_config(Machine *m, const MachineConfig *cfg,
                                     GError **errp)
{
    if (!cfg) {
        return chardev_new_null();
    }
    switch (cfg->serial) {
    case SERIAL_STDIO:
        return chardev_new_stdio(m, errp);
    case SERIAL_FILE:
        return chardev_new_file(cfg->serial_path, errp);
    case SERIAL_NONE:
        break;
    }
    return chardev_new_null();
}

void chardev_free(CharBackend *chr)
{
    if (!chr) {
        return;
    }
    switch (chr->kind) {
    case CHAR_STDIO:
        stdio_watch_stop(chr);
        chardev_restore_terminal();
        stdio_in_use = false;
        break;
    case CHAR_FILE:
        close(chr->out_fd);
        break;
    case CHAR_TEST:
        g_byte_array_unref(chr->output);
        g_byte_array_unref(chr->input);
        break;
    case CHAR_NULL:
        break;
    }
    g_free(chr);
}
