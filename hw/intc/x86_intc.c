/*
 * Wiring of the userspace interrupt controllers: the 8259 pair, the IOAPIC
 * and one LAPIC per vCPU on a shared bus, the GSI router behind
 * machine_set_irq(), and the X86InterruptSource the accelerator polls.
 *
 * The X86InterruptSource operations run on vCPU threads, with or without
 * the BQL; they take it when the caller does not hold it.  pending() first
 * looks at a lock-free hint so that a vCPU with nothing in its IRR does
 * not touch the BQL.
 */
#include "hw/intc/x86_intc.h"

#include "core/error.h"
#include "core/main_loop.h"
#include "hw/intc/i8259.h"
#include "hw/intc/ioapic.h"
#include "hw/intc/lapic.h"
#include "target/x86_64/cpu.h"

typedef struct X86Intc {
    Machine *machine;
    I8259 *pic;
    IOAPIC *ioapic;
    LAPICBus bus;
} X86Intc;

/* Bus hooks */

static void intc_eoi(void *opaque, uint8_t vector)
{
    X86Intc *x = opaque;

    ioapic_eoi(x->ioapic, vector);
}

static int intc_extint_peek(void *opaque)
{
    X86Intc *x = opaque;

    return i8259_peek_vector(x->pic);
}

static int intc_extint_ack(void *opaque)
{
    X86Intc *x = opaque;

    return i8259_ack(x->pic);
}

static void intc_pic_notify(void *opaque, bool level)
{
    X86Intc *x = opaque;

    lapic_bus_extint_changed(&x->bus, level);
}

/* GSI routing */

static void intc_set_irq(Machine *m, unsigned gsi, bool level)
{
    X86Intc *x = m->irq_opaque;

    if (gsi < 16) {
        i8259_set_irq(x->pic, gsi, level);
        ioapic_set_irq(x->ioapic, gsi == 0 ? 2 : gsi, level);
    } else {
        ioapic_set_irq(x->ioapic, gsi, level);
    }
}

/* X86InterruptSource */

typedef struct BQLGuard {
    bool taken;
} BQLGuard;

static BQLGuard bql_enter(void)
{
    BQLGuard g = { .taken = !bql_locked() };

    if (g.taken) {
        bql_lock();
    }
    return g;
}

static void bql_leave(BQLGuard g)
{
    if (g.taken) {
        bql_unlock();
    }
}

static int intc_pending(VCPU *cpu)
{
    LAPIC *s = cpu->intc;

    if (!s || !lapic_needs_attention(s)) {
        return -1;
    }
    BQLGuard g = bql_enter();
    int v = lapic_pending(s);
    bql_leave(g);
    return v;
}

static int intc_ack(VCPU *cpu)
{
    LAPIC *s = cpu->intc;

    if (!s) {
        return -1;
    }
    BQLGuard g = bql_enter();
    int v = lapic_ack(s);
    bql_leave(g);
    return v;
}

static unsigned intc_take_events(VCPU *cpu, uint8_t *sipi_vector)
{
    LAPIC *s = cpu->intc;

    return s ? lapic_take_events(s, sipi_vector) : 0;
}

static void intc_set_tpr(VCPU *cpu, uint8_t cr8)
{
    LAPIC *s = cpu->intc;

    if (s) {
        BQLGuard g = bql_enter();
        lapic_set_tpr(s, cr8);
        bql_leave(g);
    }
}

static uint8_t intc_get_tpr(VCPU *cpu)
{
    LAPIC *s = cpu->intc;

    if (!s) {
        return 0;
    }
    BQLGuard g = bql_enter();
    uint8_t tpr = lapic_get_tpr(s);
    bql_leave(g);
    return tpr;
}

static const X86InterruptSource x86_intc_source = {
    .pending = intc_pending,
    .ack = intc_ack,
    .take_events = intc_take_events,
    .set_tpr = intc_set_tpr,
    .get_tpr = intc_get_tpr,
};

bool x86_intc_init(Machine *m, GError **errp)
{
    X86Intc *x;

    if (!m->vcpus || m->ncpus == 0 || m->ncpus > 255) {
        g_set_error(errp, QEMU_ERROR, 0,
                    "interrupt controllers: bad vCPU count %u", m->ncpus);
        return false;
    }
    x = g_new0(X86Intc, 1);
    x->machine = m;
    x->bus.cpus = g_new0(LAPIC *, m->ncpus);
    x->bus.ncpus = m->ncpus;
    x->bus.eoi = intc_eoi;
    x->bus.extint_peek = intc_extint_peek;
    x->bus.extint_ack = intc_extint_ack;
    x->bus.opaque = x;
    for (unsigned i = 0; i < m->ncpus; i++) {
        x->bus.cpus[i] = lapic_new(&x->bus, m->vcpus[i], m->vcpus[i]->index);
        m->vcpus[i]->intc = x->bus.cpus[i];
    }
    x->pic = i8259_new(intc_pic_notify, x);
    x->ioapic = ioapic_new(&x->bus);
    /* The MP table puts the IOAPIC's ID right after the CPUs'. */
    ioapic_reg_write(x->ioapic, IOAPIC_REG_ID, m->ncpus << 24);

    if (!i8259_map(x->pic, m->io, errp) ||
        !address_space_add_io(m->memory, "ioapic", IOAPIC_BASE, IOAPIC_SIZE,
                              &ioapic_mmio_ops, x->ioapic, errp) ||
        !address_space_add_io(m->memory, "lapic", APIC_DEFAULT_BASE, 0x1000,
                              &lapic_mmio_ops, &x->bus, errp)) {
        /* Regions already mapped keep pointing at X: it stays allocated. */
        return false;
    }
    m->set_irq = intc_set_irq;
    m->irq_opaque = x;
    m->intc = &x86_intc_source;
    return true;
}
