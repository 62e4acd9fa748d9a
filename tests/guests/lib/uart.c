/* 16550 console at 0x3f8 and a printf subset: %s %d %u %x %lx %p %c. */
#include "guest.h"

#define COM1 0x3f8
#define UART_LSR_THRE 0x20

void uart_init(void)
{
    outb(COM1 + 1, 0x00);       /* no interrupts */
    outb(COM1 + 3, 0x80);       /* DLAB */
    outb(COM1 + 0, 0x01);       /* 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03);       /* 8N1 */
    outb(COM1 + 2, 0x07);       /* FIFO on, cleared */
    outb(COM1 + 4, 0x03);       /* DTR, RTS */
}

void uart_putc(char c)
{
    /* Bounded: a VMM without a transmitter model must not hang us. */
    for (int i = 0; i < 100000 && !(inb(COM1 + 5) & UART_LSR_THRE); i++) {
        cpu_relax();
    }
    outb(COM1, (uint8_t)c);
}

void uart_puts(const char *s)
{
    while (*s) {
        uart_putc(*s++);
    }
}

typedef struct Spec {
    bool zero_pad;
    bool left;
    unsigned width;
} Spec;

static int emit_padded(const char *s, size_t len, const Spec *sp)
{
    size_t pad = sp->width > len ? sp->width - len : 0;
    char fill = sp->zero_pad && !sp->left ? '0' : ' ';
    int n = (int)(len + pad);

    if (!sp->left) {
        /* A sign stays in front of zero padding. */
        if (fill == '0' && len && *s == '-') {
            uart_putc(*s++);
            len--;
        }
        while (pad--) {
            uart_putc(fill);
        }
    }
    while (len--) {
        uart_putc(*s++);
    }
    if (sp->left) {
        while (pad--) {
            uart_putc(' ');
        }
    }
    return n;
}

static int emit_number(uint64_t v, unsigned base, bool negative,
                       const Spec *sp)
{
    char buf[24];
    char *p = buf + sizeof(buf);

    do {
        *--p = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    if (negative) {
        *--p = '-';
    }
    return emit_padded(p, (size_t)(buf + sizeof(buf) - p), sp);
}

int vprintf(const char *fmt, va_list ap)
{
    int n = 0;

    for (; *fmt; fmt++) {
        Spec sp = { 0 };
        int longs = 0;

        if (*fmt != '%') {
            uart_putc(*fmt);
            n++;
            continue;
        }
        fmt++;
        for (; *fmt == '0' || *fmt == '-'; fmt++) {
            sp.zero_pad |= *fmt == '0';
            sp.left |= *fmt == '-';
        }
        for (; *fmt >= '0' && *fmt <= '9'; fmt++) {
            sp.width = sp.width * 10 + (unsigned)(*fmt - '0');
        }
        for (; *fmt == 'l'; fmt++) {
            longs++;
        }
        switch (*fmt) {
        case 'd': {
            int64_t v = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
            uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;
            n += emit_number(mag, 10, v < 0, &sp);
            break;
        }
        case 'u':
        case 'x': {
            uint64_t v = longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
            n += emit_number(v, *fmt == 'u' ? 10 : 16, false, &sp);
            break;
        }
        case 'p':
            uart_puts("0x");
            n += 2 + emit_number((uintptr_t)va_arg(ap, void *), 16, false,
                                 &sp);
            break;
        case 'c': {
            char c = (char)va_arg(ap, int);
            n += emit_padded(&c, 1, &sp);
            break;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s) {
                s = "(null)";
            }
            n += emit_padded(s, strlen(s), &sp);
            break;
        }
        case '%':
            uart_putc('%');
            n++;
            break;
        case '\0':
            return n;
        default:
            uart_putc('%');
            uart_putc(*fmt);
            n += 2;
            break;
        }
    }
    return n;
}

int printf(const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}
