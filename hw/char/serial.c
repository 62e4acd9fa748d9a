/*
 * 16550A UART.
 *
 * Interrupt sources in priority order (IIR identification):
 *   receiver line status  (OE/PE/FE/BI in LSR, IER.ELSI)
 *   received data         (FIFO at trigger level, or any byte without FIFO)
 *   character timeout     (FIFO below trigger level but not empty)
 *   THR empty             (IER.ETBEI; cleared by reading IIR or writing THR)
 *   modem status          (delta bits in MSR, IER.EDSSI)
 * The IRQ line is high while any enabled source is pending.
 */
#include <string.h>

#include "core/error.h"
#include "hw/char/serial.h"

struct SerialState {
    Machine *machine;
    MemoryRegion *mr;
    unsigned irq;
    bool irq_level;
    CharBackend *chr;

    uint16_t divisor;
    uint8_t ier;
    uint8_t fcr;                /* enable, DMA mode and trigger bits */
    uint8_t lcr;
    uint8_t mcr;
    uint8_t lsr;
    uint8_t msr;                /* line states (7:4) and deltas (3:0) */
    uint8_t scr;
    bool thr_ipending;

    uint8_t rx[UART_FIFO_SIZE];
    unsigned rx_head;
    unsigned rx_count;
    uint8_t rbr;                /* last byte read, returned when empty */
};

static bool fifo_enabled(const SerialState *s)
{
    return s->fcr & UART_FCR_ENABLE;
}

static unsigned rx_capacity(const SerialState *s)
{
    return fifo_enabled(s) ? UART_FIFO_SIZE : 1;
}

static unsigned rx_trigger(const SerialState *s)
{
    static const unsigned levels[4] = { 1, 4, 8, 14 };

    return levels[s->fcr >> 6];
}

static bool loopback(const SerialState *s)
{
    return s->mcr & UART_MCR_LOOP;
}

static uint8_t pending_iir_id(const SerialState *s)
{
    if ((s->ier & UART_IER_ELSI) && (s->lsr & UART_LSR_ERR)) {
        return UART_IIR_RLSI;
    }
    if ((s->ier & UART_IER_ERBFI) && s->rx_count > 0) {
        if (fifo_enabled(s) && s->rx_count < rx_trigger(s)) {
            return UART_IIR_CTI;
        }
        return UART_IIR_RDI;
    }
    if ((s->ier & UART_IER_ETBEI) && s->thr_ipending) {
        return UART_IIR_THRI;
    }
    if ((s->ier & UART_IER_EDSSI) && (s->msr & 0x0f)) {
        return UART_IIR_MSI;
    }
    return UART_IIR_NO_INT;
}

static void update_irq(SerialState *s)
{
    bool level = pending_iir_id(s) != UART_IIR_NO_INT;

    if (level != s->irq_level) {
        s->irq_level = level;
        machine_set_irq(s->machine, s->irq, level);
    }
}

static void rx_clear(SerialState *s)
{
    s->rx_head = 0;
    s->rx_count = 0;
    s->lsr &= ~UART_LSR_DR;
}

static void rx_push(SerialState *s, uint8_t byte)
{
    if (s->rx_count >= rx_capacity(s)) {
        s->lsr |= UART_LSR_OE;      /* the new character is lost */
        return;
    }
    s->rx[(s->rx_head + s->rx_count) % UART_FIFO_SIZE] = byte;
    s->rx_count++;
    s->lsr |= UART_LSR_DR;
}

static uint8_t rx_pop(SerialState *s)
{
    if (s->rx_count > 0) {
        s->rbr = s->rx[s->rx_head];
        s->rx_head = (s->rx_head + 1) % UART_FIFO_SIZE;
        s->rx_count--;
    }
    if (s->rx_count == 0) {
        s->lsr &= ~UART_LSR_DR;
    }
    return s->rbr;
}

/* Modem lines: from MCR in loopback, else a connected, ready host. */
static void msr_update(SerialState *s)
{
    uint8_t old = s->msr & 0xf0;
    uint8_t lines = UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
    uint8_t delta = s->msr & 0x0f;

    if (loopback(s)) {
        lines = 0;
        lines |= (s->mcr & UART_MCR_RTS) ? UART_MSR_CTS : 0;
        lines |= (s->mcr & UART_MCR_DTR) ? UART_MSR_DSR : 0;
        lines |= (s->mcr & UART_MCR_OUT1) ? UART_MSR_RI : 0;
        lines |= (s->mcr & UART_MCR_OUT2) ? UART_MSR_DCD : 0;
    }
    delta |= ((old ^ lines) & UART_MSR_CTS) ? UART_MSR_DCTS : 0;
    delta |= ((old ^ lines) & UART_MSR_DSR) ? UART_MSR_DDSR : 0;
    delta |= ((old ^ lines) & UART_MSR_DCD) ? UART_MSR_DDCD : 0;
    delta |= ((old & UART_MSR_RI) && !(lines & UART_MSR_RI)) ? UART_MSR_TERI : 0;
    s->msr = lines | delta;
}

static void transmit(SerialState *s, uint8_t byte)
{
    if (loopback(s)) {
        rx_push(s, byte);
    } else {
        chardev_write(s->chr, &byte, 1);
    }
    /* Sent at once: THR and the shift register are empty again. */
    s->lsr |= UART_LSR_THRE | UART_LSR_TEMT;
    s->thr_ipending = true;
}

static void write_fcr(SerialState *s, uint8_t val)
{
    bool enable = val & UART_FCR_ENABLE;

    if (enable != fifo_enabled(s)) {
        rx_clear(s);            /* toggling the enable resets both FIFOs */
    }
    if (val & UART_FCR_CLR_RX) {
        rx_clear(s);
    }
    /* The TX FIFO is always empty: nothing to clear. */
    s->fcr = enable ? (val & (UART_FCR_TRIG | 0x08 | UART_FCR_ENABLE)) : 0;
}

static void write_ier(SerialState *s, uint8_t val)
{
    uint8_t changed = (s->ier ^ val) & 0x0f;

    s->ier = val & 0x0f;
    if (changed & UART_IER_ETBEI) {
        /* Enabling it with THR empty raises the interrupt at once. */
        s->thr_ipending = (s->ier & UART_IER_ETBEI) && (s->lsr & UART_LSR_THRE);
    }
}

static uint8_t reg_read(SerialState *s, unsigned reg)
{
    uint8_t v;

    switch (reg) {
    case UART_RBR:
        if (s->lcr & UART_LCR_DLAB) {
            return s->divisor & 0xff;
        }
        v = rx_pop(s);
        update_irq(s);
        if (!loopback(s)) {
            chardev_accept_input(s->chr);
        }
        return v;
    case UART_IER:
        if (s->lcr & UART_LCR_DLAB) {
            return s->divisor >> 8;
        }
        return s->ier;
    case UART_IIR:
        v = pending_iir_id(s);
        if (v == UART_IIR_THRI) {
            s->thr_ipending = false;
            update_irq(s);
        }
        return v | (fifo_enabled(s) ? UART_IIR_FIFO : 0);
    case UART_LCR:
        return s->lcr;
    case UART_MCR:
        return s->mcr;
    case UART_LSR:
        v = s->lsr;
        s->lsr &= ~UART_LSR_ERR;
        update_irq(s);
        return v;
    case UART_MSR:
        v = s->msr;
        s->msr &= 0xf0;
        update_irq(s);
        return v;
    case UART_SCR:
        return s->scr;
    }
    return 0xff;
}

static void reg_write(SerialState *s, unsigned reg, uint8_t val)
{
    bool was_loopback = loopback(s);

    switch (reg) {
    case UART_THR:
        if (s->lcr & UART_LCR_DLAB) {
            s->divisor = (s->divisor & 0xff00) | val;
            return;
        }
        s->thr_ipending = false;
        transmit(s, val);
        break;
    case UART_IER:
        if (s->lcr & UART_LCR_DLAB) {
            s->divisor = (s->divisor & 0x00ff) | (uint16_t)(val << 8);
            return;
        }
        write_ier(s, val);
        break;
    case UART_FCR:
        write_fcr(s, val);
        chardev_accept_input(s->chr);
        break;
    case UART_LCR:
        /* Break (bit 6) has no host counterpart here. */
        s->lcr = val;
        return;
    case UART_MCR:
        s->mcr = val & 0x1f;
        msr_update(s);
        if (was_loopback && !loopback(s)) {
            chardev_accept_input(s->chr);
        }
        break;
    case UART_LSR:
    case UART_MSR:
        return;                 /* factory test registers: ignored */
    case UART_SCR:
        s->scr = val;
        return;
    }
    update_irq(s);
}

static uint64_t serial_io_read(void *opaque, uint64_t offset, unsigned size)
{
    return reg_read(opaque, offset);
}

static void serial_io_write(void *opaque, uint64_t offset, uint64_t value,
                            unsigned size)
{
    reg_write(opaque, offset, value);
}

/* An 8-bit ISA device: wider accesses touch consecutive registers. */
static const MemoryRegionOps serial_ops = {
    .read = serial_io_read,
    .write = serial_io_write,
    .max_access_size = 1,
};

static size_t serial_can_receive(void *opaque)
{
    SerialState *s = opaque;

    if (loopback(s)) {
        return 0;               /* the receiver listens to the transmitter */
    }
    return rx_capacity(s) - s->rx_count;
}

static void serial_receive(void *opaque, const uint8_t *buf, size_t len)
{
    SerialState *s = opaque;

    for (size_t i = 0; i < len; i++) {
        rx_push(s, buf[i]);
    }
    update_irq(s);
}

static const CharFrontendOps serial_frontend = {
    .can_receive = serial_can_receive,
    .receive = serial_receive,
};

SerialState *serial_create(Machine *m, uint16_t base, unsigned irq,
                           CharBackend *chr, GError **errp)
{
    SerialState *s = g_new0(SerialState, 1);

    s->machine = m;
    s->irq = irq;
    s->chr = chr;
    s->divisor = 12;            /* 9600 baud, what firmware leaves */
    s->lsr = UART_LSR_THRE | UART_LSR_TEMT;
    msr_update(s);
    s->msr &= 0xf0;             /* no deltas at power-on */

    s->mr = address_space_add_io(m->io, "serial", base, 8, &serial_ops, s, errp);
    if (!s->mr) {
        chardev_free(chr);
        g_free(s);
        return NULL;
    }
    chardev_set_frontend(chr, &serial_frontend, s);
    return s;
}

void serial_free(SerialState *s)
{
    if (!s) {
        return;
    }
    address_space_remove(s->machine->io, s->mr);
    chardev_free(s->chr);
    g_free(s);
}

bool serial_init(Machine *m, uint16_t base, unsigned irq, GError **errp)
{
    CharBackend *chr = chardev_new_from_config(m, m->cfg, errp);

    if (!chr) {
        return false;
    }
    /* Lives as long as the machine, which is the process. */
    return serial_create(m, base, irq, chr, errp) != NULL;
}

CharBackend *serial_chardev(SerialState *s)
{
    return s->chr;
}

bool serial_irq_level(const SerialState *s)
{
    return s->irq_level;
}
