/*
 * 16550A UART: eight byte-wide registers on the port-I/O bus, 16-byte FIFOs,
 * a level-triggered interrupt line through machine_set_irq().
 *
 * Transmission is immediate: a byte written to THR goes straight to the
 * host backend (or, in loopback, to the receiver) and THR is empty again at
 * once; the divisor latch is kept but does not pace anything.  The
 * character-timeout interrupt fires as soon as received bytes sit below the
 * FIFO trigger level, since host input arrives in bursts that are complete
 * when the backend hands them over.
 */
#ifndef HW_CHAR_SERIAL_H
#define HW_CHAR_SERIAL_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/machine.h"
#include "hw/char/chardev.h"

#define SERIAL_COM1_BASE    0x3f8
#define SERIAL_COM1_IRQ     4

/* Register offsets from the base port. */
enum {
    UART_RBR = 0,   /* read, DLAB=0 */
    UART_THR = 0,   /* write, DLAB=0 */
    UART_DLL = 0,   /* DLAB=1 */
    UART_IER = 1,   /* DLAB=0 */
    UART_DLM = 1,   /* DLAB=1 */
    UART_IIR = 2,   /* read */
    UART_FCR = 2,   /* write */
    UART_LCR = 3,
    UART_MCR = 4,
    UART_LSR = 5,
    UART_MSR = 6,
    UART_SCR = 7,
};

#define UART_IER_ERBFI  0x01    /* received data available */
#define UART_IER_ETBEI  0x02    /* THR empty */
#define UART_IER_ELSI   0x04    /* receiver line status */
#define UART_IER_EDSSI  0x08    /* modem status */

#define UART_IIR_NO_INT 0x01
#define UART_IIR_ID     0x0e
#define UART_IIR_MSI    0x00
#define UART_IIR_THRI   0x02
#define UART_IIR_RDI    0x04
#define UART_IIR_RLSI   0x06
#define UART_IIR_CTI    0x0c
#define UART_IIR_FIFO   0xc0    /* FIFOs enabled */

#define UART_FCR_ENABLE 0x01
#define UART_FCR_CLR_RX 0x02
#define UART_FCR_CLR_TX 0x04
#define UART_FCR_TRIG   0xc0

#define UART_LCR_DLAB   0x80

#define UART_MCR_DTR    0x01
#define UART_MCR_RTS    0x02
#define UART_MCR_OUT1   0x04
#define UART_MCR_OUT2   0x08
#define UART_MCR_LOOP   0x10

#define UART_LSR_DR     0x01
#define UART_LSR_OE     0x02
#define UART_LSR_PE     0x04
#define UART_LSR_FE     0x08
#define UART_LSR_BI     0x10
#define UART_LSR_THRE   0x20
#define UART_LSR_TEMT   0x40
#define UART_LSR_ERR    0x1e    /* OE | PE | FE | BI: line status interrupt */

#define UART_MSR_DCTS   0x01
#define UART_MSR_DDSR   0x02
#define UART_MSR_TERI   0x04
#define UART_MSR_DDCD   0x08
#define UART_MSR_CTS    0x10
#define UART_MSR_DSR    0x20
#define UART_MSR_RI     0x40
#define UART_MSR_DCD    0x80

#define UART_FIFO_SIZE  16

typedef struct SerialState SerialState;

/*
 * Maps a UART at BASE (8 ports of M->io) on IRQ, connected to CHR (the
 * UART owns it from then on, also on failure).
 */
SerialState *serial_create(Machine *m, uint16_t base, unsigned irq,
                           CharBackend *chr, GError **errp);
/* Unmaps it and frees it with its backend. */
void serial_free(SerialState *s);

/* A UART whose backend is M->cfg's -serial setting (null without a config). */
bool serial_init(Machine *m, uint16_t base, unsigned irq, GError **errp);

CharBackend *serial_chardev(SerialState *s);
/* The level the UART drives on its IRQ line now. */
bool serial_irq_level(const SerialState *s);

#endif
