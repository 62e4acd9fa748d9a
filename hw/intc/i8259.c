/*
 * 8259A programmable interrupt controller, master and slave.
 *
 * Each chip keeps IRR, ISR and IMR.  Edge-triggered inputs latch a request
 * in IRR on a rising edge (the previous level is kept in `line`);
 * level-triggered ones (ELCR, or LTIM in ICW1) make IRR follow the line.
 * Priority is fixed with IR0 highest, shifted by `priority_add` when a
 * rotate command is used.  The slave's INT output drives the master's IR2.
 */
#include "hw/intc/i8259.h"

typedef struct PICChip {
    struct I8259 *pair;
    bool is_master;

    uint8_t irr, isr, imr;
    uint8_t line;               /* input levels */
    uint8_t elcr, elcr_mask;
    uint8_t vector_base;
    uint8_t priority_add;       /* IR with the highest priority */
    uint8_t init_state;         /* 0: ready, 1-3: expecting ICW2-ICW4 */
    bool init4, single, ltim;
    bool auto_eoi, rotate_on_aeoi;
    bool read_isr, poll, special_mask;
} PICChip;

struct I8259 {
    PICChip chip[2];            /* master, slave */
    I8259IntrNotify *notify;
    void *opaque;
    bool intr;
    int last_vector;
};

static void pic_update(I8259 *pic);

/*
 * The master's cascade input follows the slave's INT like a level, so that
 * a slave request that goes away does not leave a stale IR2 behind.
 */
static uint8_t chip_level_mask(const PICChip *c)
{
    return c->ltim ? 0xff : c->elcr | (c->is_master ? 0x04 : 0);
}

/* Priority rank (0 highest) of the best request in MASK, 8 if none. */
static unsigned chip_priority(const PICChip *c, uint8_t mask)
{
    if (!mask) {
        return 8;
    }
    unsigned p = 0;
    while (!(mask & (1u << ((p + c->priority_add) & 7)))) {
        p++;
    }
    return p;
}

/* The IR that would be acknowledged now, or -1. */
static int chip_get_irq(const PICChip *c)
{
    unsigned req = chip_priority(c, c->irr & ~c->imr);
    if (req == 8) {
        return -1;
    }
    uint8_t in_service = c->isr;
    if (c->special_mask) {
        in_service &= ~c->imr;
    }
    if (req < chip_priority(c, in_service)) {
        return (req + c->priority_add) & 7;
    }
    return -1;
}

static void chip_set_line(PICChip *c, unsigned ir, bool level)
{
    uint8_t bit = 1u << ir;

    if (chip_level_mask(c) & bit) {
        if (level) {
            c->irr |= bit;
        } else {
            c->irr &= ~bit;
        }
    } else if (level && !(c->line & bit)) {
        c->irr |= bit;
    }
    if (level) {
        c->line |= bit;
    } else {
        c->line &= ~bit;
    }
}

static void chip_intack(PICChip *c, unsigned ir)
{
    uint8_t bit = 1u << ir;

    if (c->auto_eoi) {
        if (c->rotate_on_aeoi) {
            c->priority_add = (ir + 1) & 7;
        }
    } else {
        c->isr |= bit;
    }
    if (!(chip_level_mask(c) & bit)) {
        c->irr &= ~bit;
    }
}

static void chip_reset(PICChip *c)
{
    c->irr &= chip_level_mask(c);
    c->line = 0;
    c->isr = 0;
    c->imr = 0;
    c->priority_add = 0;
    c->vector_base = 0;
    c->init_state = 0;
    c->init4 = c->single = c->ltim = false;
    c->auto_eoi = c->rotate_on_aeoi = false;
    c->read_isr = c->poll = c->special_mask = false;
}

static void pic_update(I8259 *pic)
{
    PICChip *slave = &pic->chip[1];

    /* The master's IR2 follows the slave's INT output. */
    chip_set_line(&pic->chip[0], 2, chip_get_irq(slave) >= 0);

    /* Tell the CPU side when INTR changes or a different request wins. */
    int vector = i8259_peek_vector(pic);
    bool intr = vector >= 0;
    bool changed = intr != pic->intr || vector != pic->last_vector;
    pic->intr = intr;
    pic->last_vector = vector;
    if (changed && pic->notify) {
        pic->notify(pic->opaque, intr);
    }
}

I8259 *i8259_new(I8259IntrNotify *notify, void *opaque)
{
    I8259 *pic = g_new0(I8259, 1);

    pic->notify = notify;
    pic->opaque = opaque;
    pic->last_vector = -1;
    for (int i = 0; i < 2; i++) {
        pic->chip[i].pair = pic;
        pic->chip[i].is_master = i == 0;
        chip_reset(&pic->chip[i]);
    }
    /* IRQs 0, 1, 2, 8 and 13 are always edge-triggered on a PC. */
    pic->chip[0].elcr_mask = 0xf8;
    pic->chip[1].elcr_mask = 0xde;
    return pic;
}

void i8259_free(I8259 *pic)
{
    g_free(pic);
}

void i8259_set_irq(I8259 *pic, unsigned irq, bool level)
{
    if (irq >= 16 || irq == 2) {
        return;                 /* IR2 is the cascade input */
    }
    chip_set_line(&pic->chip[irq >> 3], irq & 7, level);
    pic_update(pic);
}

bool i8259_intr(const I8259 *pic)
{
    return pic->intr;
}

int i8259_peek_vector(const I8259 *pic)
{
    const PICChip *m = &pic->chip[0];
    const PICChip *s = &pic->chip[1];
    int irq = chip_get_irq(m);

    if (irq < 0) {
        return -1;
    }
    if (irq == 2 && !m->single) {
        int irq2 = chip_get_irq(s);
        return s->vector_base + (irq2 >= 0 ? irq2 : 7);
    }
    return m->vector_base + irq;
}

int i8259_ack(I8259 *pic)
{
    PICChip *m = &pic->chip[0];
    PICChip *s = &pic->chip[1];
    int irq = chip_get_irq(m);
    int vector;

    if (irq < 0) {
        /* The request went away: the chip answers with IR7 (spurious). */
        vector = m->vector_base + 7;
    } else {
        chip_intack(m, irq);
        if (irq == 2 && !m->single) {
            int irq2 = chip_get_irq(s);
            if (irq2 >= 0) {
                chip_intack(s, irq2);
            } else {
                irq2 = 7;
            }
            vector = s->vector_base + irq2;
        } else {
            vector = m->vector_base + irq;
        }
    }
    pic_update(pic);
    return vector;
}

static void chip_write_ocw2(PICChip *c, uint8_t val)
{
    unsigned cmd = val >> 5;
    unsigned p;

    switch (cmd) {
    case 0:                     /* clear rotate in AEOI */
    case 4:                     /* set rotate in AEOI */
        c->rotate_on_aeoi = cmd == 4;
        break;
    case 1:                     /* non-specific EOI */
    case 5:                     /* rotate on non-specific EOI */
        p = chip_priority(c, c->isr);
        if (p != 8) {
            unsigned ir = (p + c->priority_add) & 7;
            c->isr &= ~(1u << ir);
            if (cmd == 5) {
                c->priority_add = (ir + 1) & 7;
            }
        }
        break;
    case 3:                     /* specific EOI */
        c->isr &= ~(1u << (val & 7));
        break;
    case 7:                     /* rotate on specific EOI */
        c->isr &= ~(1u << (val & 7));
        c->priority_add = ((val & 7) + 1) & 7;
        break;
    case 6:                     /* set priority: IR L is the lowest */
        c->priority_add = ((val & 7) + 1) & 7;
        break;
    default:                    /* 2: no operation */
        break;
    }
}

static void chip_write_cmd(PICChip *c, uint8_t val)
{
    if (val & 0x10) {           /* ICW1 */
        chip_reset(c);
        c->init_state = 1;
        c->init4 = val & 0x01;
        c->single = val & 0x02;
        c->ltim = val & 0x08;
    } else if (val & 0x08) {    /* OCW3 */
        if (val & 0x04) {
            c->poll = true;
        }
        if (val & 0x02) {
            c->read_isr = val & 0x01;
        }
        if (val & 0x40) {
            c->special_mask = val & 0x20;
        }
    } else {
        chip_write_ocw2(c, val);
    }
}

static void chip_write_data(PICChip *c, uint8_t val)
{
    switch (c->init_state) {
    case 0:                     /* OCW1 */
        c->imr = val;
        break;
    case 1:                     /* ICW2 */
        c->vector_base = val & 0xf8;
        c->init_state = c->single ? (c->init4 ? 3 : 0) : 2;
        break;
    case 2:                     /* ICW3: the wiring is fixed */
        c->init_state = c->init4 ? 3 : 0;
        break;
    default:                    /* ICW4 */
        c->auto_eoi = val & 0x02;
        c->init_state = 0;
        break;
    }
}

static uint8_t chip_poll(PICChip *c)
{
    I8259 *pic = c->pair;
    int ir = chip_get_irq(c);

    c->poll = false;
    if (ir < 0) {
        return 0;
    }
    if (c->is_master && ir == 2) {
        /* Polling the master for a cascaded request: the slave answers. */
        int ir2 = chip_get_irq(&pic->chip[1]);
        if (ir2 >= 0) {
            chip_intack(&pic->chip[1], ir2);
        }
    }
    chip_intack(c, ir);
    pic_update(pic);
    return 0x80 | ir;
}

static uint8_t chip_read(PICChip *c, unsigned port)
{
    if (c->poll) {
        return chip_poll(c);
    }
    if (port == 0) {
        return c->read_isr ? c->isr : c->irr;
    }
    return c->imr;
}

static uint64_t i8259_chip_read(void *opaque, uint64_t offset, unsigned size)
{
    return chip_read(opaque, offset);
}

static void i8259_chip_write(void *opaque, uint64_t offset, uint64_t value,
                             unsigned size)
{
    PICChip *c = opaque;

    if (offset == 0) {
        chip_write_cmd(c, value);
    } else {
        chip_write_data(c, value);
    }
    pic_update(c->pair);
}

const MemoryRegionOps i8259_chip_ops = {
    .read = i8259_chip_read,
    .write = i8259_chip_write,
    .max_access_size = 1,
};

static uint64_t i8259_elcr_read(void *opaque, uint64_t offset, unsigned size)
{
    I8259 *pic = opaque;

    return pic->chip[offset].elcr;
}

static void i8259_elcr_write(void *opaque, uint64_t offset, uint64_t value,
                             unsigned size)
{
    I8259 *pic = opaque;
    PICChip *c = &pic->chip[offset];

    c->elcr = value & c->elcr_mask;
    pic_update(pic);
}

const MemoryRegionOps i8259_elcr_ops = {
    .read = i8259_elcr_read,
    .write = i8259_elcr_write,
    .max_access_size = 1,
};

void *i8259_master(I8259 *pic)
{
    return &pic->chip[0];
}

void *i8259_slave(I8259 *pic)
{
    return &pic->chip[1];
}

bool i8259_map(I8259 *pic, AddressSpace *io, GError **errp)
{
    return address_space_add_io(io, "pic-master", 0x20, 2, &i8259_chip_ops,
                                &pic->chip[0], errp) &&
           address_space_add_io(io, "pic-slave", 0xa0, 2, &i8259_chip_ops,
                                &pic->chip[1], errp) &&
           address_space_add_io(io, "elcr", 0x4d0, 2, &i8259_elcr_ops,
                                pic, errp);
}
