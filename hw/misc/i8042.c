/*
 * i8042 keyboard controller with a silent keyboard and no mouse.
 */
#include "core/error.h"
#include "hw/misc/i8042.h"

#define QUEUE_SIZE 16

/* Controller commands (port 0x64) */
enum {
    CMD_READ_CTR = 0x20,
    CMD_WRITE_CTR = 0x60,
    CMD_AUX_DISABLE = 0xa7,
    CMD_AUX_ENABLE = 0xa8,
    CMD_AUX_TEST = 0xa9,
    CMD_SELF_TEST = 0xaa,
    CMD_KBD_TEST = 0xab,
    CMD_KBD_DISABLE = 0xad,
    CMD_KBD_ENABLE = 0xae,
    CMD_READ_INPUT = 0xc0,
    CMD_READ_OUTPUT = 0xd0,
    CMD_WRITE_OUTPUT = 0xd1,
    CMD_WRITE_KBD_OBUF = 0xd2,
    CMD_WRITE_AUX_OBUF = 0xd3,
    CMD_WRITE_AUX = 0xd4,
    CMD_A20_OFF = 0xdd,
    CMD_A20_ON = 0xdf,
    CMD_PULSE_FIRST = 0xf0,
};

/* Keyboard commands (port 0x60) */
enum {
    KBD_SET_LEDS = 0xed,
    KBD_ECHO = 0xee,
    KBD_SCANSET = 0xf0,
    KBD_GET_ID = 0xf2,
    KBD_SET_RATE = 0xf3,
    KBD_RESET = 0xff,
    KBD_ACK = 0xfa,
    KBD_NAK = 0xfe,
    KBD_BAT_OK = 0xaa,
};

#define OUTPORT_RESET   0x01    /* active low */
#define OUTPORT_A20     0x02

typedef struct OutByte {
    uint8_t value;
    bool aux;
    bool timeout;
} OutByte;

struct I8042State {
    Machine *machine;
    MemoryRegion *mr_data;
    MemoryRegion *mr_cmd;

    uint8_t ctr;                /* command byte */
    uint8_t outport;
    bool last_was_cmd;          /* status bit 3: last write went to 0x64 */
    uint8_t pending_cmd;        /* controller command awaiting its data byte */
    uint8_t kbd_pending;        /* keyboard command awaiting its parameter */
    uint8_t last_read;

    OutByte queue[QUEUE_SIZE];
    unsigned head, count;
    bool irq_kbd, irq_aux;
};

static void update_irq(I8042State *s)
{
    bool kbd = false, aux = false;

    if (s->count > 0) {
        const OutByte *b = &s->queue[s->head];

        kbd = !b->aux && (s->ctr & I8042_CTR_KBDINT);
        aux = b->aux && (s->ctr & I8042_CTR_AUXINT);
    }
    if (kbd != s->irq_kbd) {
        s->irq_kbd = kbd;
        machine_set_irq(s->machine, I8042_KBD_IRQ, kbd);
    }
    if (aux != s->irq_aux) {
        s->irq_aux = aux;
        machine_set_irq(s->machine, I8042_AUX_IRQ, aux);
    }
}

static void queue_byte(I8042State *s, uint8_t value, bool aux, bool timeout)
{
    if (s->count == QUEUE_SIZE) {
        return;                 /* the guest is not reading: drop */
    }
    s->queue[(s->head + s->count) % QUEUE_SIZE] =
        (OutByte){ .value = value, .aux = aux, .timeout = timeout };
    s->count++;
    update_irq(s);
}

static void queue_kbd(I8042State *s, uint8_t value)
{
    queue_byte(s, value, false, false);
}

static uint8_t read_status(I8042State *s)
{
    uint8_t v = I8042_STR_UNLOCKED;

    v |= (s->ctr & I8042_CTR_SYS) ? I8042_STR_SYS : 0;
    v |= s->last_was_cmd ? I8042_STR_CMD : 0;
    if (s->count > 0) {
        const OutByte *b = &s->queue[s->head];

        v |= I8042_STR_OBF;
        v |= b->aux ? I8042_STR_AUXDATA : 0;
        v |= b->timeout ? I8042_STR_TIMEOUT : 0;
    }
    return v;
}

static uint8_t read_data(I8042State *s)
{
    if (s->count > 0) {
        s->last_read = s->queue[s->head].value;
        s->head = (s->head + 1) % QUEUE_SIZE;
        s->count--;
        update_irq(s);
    }
    return s->last_read;
}

static void write_outport(I8042State *s, uint8_t val)
{
    s->outport = val;
    if (!(val & OUTPORT_RESET)) {
        machine_request_reset(s->machine);
    }
}

/* A keyboard that acknowledges everything and never sends a key. */
static void keyboard_write(I8042State *s, uint8_t val)
{
    uint8_t cmd = s->kbd_pending;

    if (cmd) {
        s->kbd_pending = 0;
        queue_kbd(s, KBD_ACK);
        if (cmd == KBD_SCANSET && val == 0) {
            queue_kbd(s, (s->ctr & I8042_CTR_XLATE) ? 0x41 : 0x02);
        }
        return;
    }
    switch (val) {
    case KBD_ECHO:
        queue_kbd(s, KBD_ECHO);
        break;
    case KBD_RESET:
        queue_kbd(s, KBD_ACK);
        queue_kbd(s, KBD_BAT_OK);
        break;
    case KBD_GET_ID:
        queue_kbd(s, KBD_ACK);
        queue_kbd(s, 0xab);
        queue_kbd(s, (s->ctr & I8042_CTR_XLATE) ? 0x41 : 0x83);
        break;
    case KBD_SET_LEDS:
    case KBD_SCANSET:
    case KBD_SET_RATE:
        s->kbd_pending = val;
        queue_kbd(s, KBD_ACK);
        break;
    default:
        queue_kbd(s, KBD_ACK);
        break;
    }
}

static void write_data(I8042State *s, uint8_t val)
{
    uint8_t cmd = s->pending_cmd;

    s->last_was_cmd = false;
    s->pending_cmd = 0;
    switch (cmd) {
    case CMD_WRITE_CTR:
        s->ctr = val;
        update_irq(s);
        break;
    case CMD_WRITE_OUTPUT:
        write_outport(s, val);
        break;
    case CMD_WRITE_KBD_OBUF:
        queue_byte(s, val, false, false);
        break;
    case CMD_WRITE_AUX_OBUF:
        queue_byte(s, val, true, false);
        break;
    case CMD_WRITE_AUX:
        /* No mouse: the transmission times out. */
        queue_byte(s, KBD_NAK, true, true);
        break;
    default:
        keyboard_write(s, val);
        break;
    }
}

static void write_command(I8042State *s, uint8_t cmd)
{
    s->last_was_cmd = true;
    s->pending_cmd = 0;
    if (cmd >= CMD_PULSE_FIRST) {
        /* Bits 0-3 clear pulse output lines 0-3; line 0 is reset. */
        if (!(cmd & 1)) {
            machine_request_reset(s->machine);
        }
        return;
    }
    switch (cmd) {
    case CMD_READ_CTR:
        queue_kbd(s, s->ctr);
        break;
    case CMD_WRITE_CTR:
    case CMD_WRITE_OUTPUT:
    case CMD_WRITE_KBD_OBUF:
    case CMD_WRITE_AUX_OBUF:
    case CMD_WRITE_AUX:
        s->pending_cmd = cmd;
        break;
    case CMD_AUX_DISABLE:
        s->ctr |= I8042_CTR_AUXDIS;
        break;
    case CMD_AUX_ENABLE:
        s->ctr &= ~I8042_CTR_AUXDIS;
        break;
    case CMD_KBD_DISABLE:
        s->ctr |= I8042_CTR_KBDDIS;
        break;
    case CMD_KBD_ENABLE:
        s->ctr &= ~I8042_CTR_KBDDIS;
        break;
    case CMD_AUX_TEST:
    case CMD_KBD_TEST:
        queue_kbd(s, 0x00);     /* interface OK */
        break;
    case CMD_SELF_TEST:
        s->ctr |= I8042_CTR_SYS;
        queue_kbd(s, 0x55);
        break;
    case CMD_READ_INPUT:
        queue_kbd(s, 0x00);
        break;
    case CMD_READ_OUTPUT:
        queue_kbd(s, s->outport);
        break;
    case CMD_A20_OFF:
        s->outport &= ~OUTPORT_A20;
        break;
    case CMD_A20_ON:
        s->outport |= OUTPORT_A20;
        break;
    default:
        break;                  /* unknown commands are ignored */
    }
}

static uint64_t data_read(void *opaque, uint64_t offset, unsigned size)
{
    (void)offset;
    (void)size;
    return read_data(opaque);
}

static void data_write(void *opaque, uint64_t offset, uint64_t value,
                       unsigned size)
{
    (void)offset;
    (void)size;
    write_data(opaque, (uint8_t)value);
}

static uint64_t cmd_read(void *opaque, uint64_t offset, unsigned size)
{
    (void)offset;
    (void)size;
    return read_status(opaque);
}

static void cmd_write(void *opaque, uint64_t offset, uint64_t value,
                      unsigned size)
{
    (void)offset;
    (void)size;
    write_command(opaque, (uint8_t)value);
}

static const MemoryRegionOps data_ops = { .read = data_read, .write = data_write };
static const MemoryRegionOps cmd_ops = { .read = cmd_read, .write = cmd_write };

I8042State *i8042_create(Machine *m, GError **errp)
{
    I8042State *s = g_new0(I8042State, 1);

    s->machine = m;
    /* What firmware leaves: interrupts on, translation, self-test passed. */
    s->ctr = I8042_CTR_KBDINT | I8042_CTR_AUXINT | I8042_CTR_SYS | I8042_CTR_XLATE;
    s->outport = OUTPORT_RESET | OUTPORT_A20;

    s->mr_data = address_space_add_io(m->io, "i8042-data", I8042_DATA_PORT, 1,
                                      &data_ops, s, errp);
    if (!s->mr_data) {
        g_free(s);
        return NULL;
    }
    s->mr_cmd = address_space_add_io(m->io, "i8042-cmd", I8042_CMD_PORT, 1,
                                     &cmd_ops, s, errp);
    if (!s->mr_cmd) {
        address_space_remove(m->io, s->mr_data);
        g_free(s);
        return NULL;
    }
    return s;
}

void i8042_free(I8042State *s)
{
    if (s) {
        address_space_remove(s->machine->io, s->mr_cmd);
        address_space_remove(s->machine->io, s->mr_data);
        g_free(s);
    }
}

bool i8042_init(Machine *m, GError **errp)
{
    return i8042_create(m, errp) != NULL;
}
