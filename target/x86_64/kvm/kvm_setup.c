/*
 * CPUID table and GSI routing for KVM.
 */
#include <glib.h>
#include <string.h>

#include "target/x86_64/kvm/kvm_setup.h"

static const struct kvm_cpuid_entry2 *
find_supported(const struct kvm_cpuid2 *supported, uint32_t leaf,
               uint32_t subleaf)
{
    for (uint32_t i = 0; i < supported->nent; i++) {
        const struct kvm_cpuid_entry2 *e = &supported->entries[i];

        if (e->function == leaf &&
            (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e->index == subleaf)) {
            return e;
        }
    }
    return NULL;
}

/* Which registers of a leaf are feature bits, ANDed with what KVM supports. */
static unsigned feature_mask(uint32_t leaf, uint32_t subleaf)
{
    enum { EAX = 1, EBX = 2, ECX = 4, EDX = 8 };

    switch (leaf) {
    case 1:
    case 0x80000001:
        return ECX | EDX;
    case 7:
        return subleaf == 0 ? EBX | ECX | EDX : EAX | EBX | ECX | EDX;
    case 0xd:
        return EAX | EBX | ECX | EDX;
    case 0x80000007:
        return EDX;
    default:
        return 0;
    }
}

static void filter_entry(struct kvm_cpuid_entry2 *e,
                         const struct kvm_cpuid2 *supported)
{
    const struct kvm_cpuid_entry2 *s = find_supported(supported, e->function,
                                                      e->index);
    unsigned mask = feature_mask(e->function, e->index);
    uint32_t *regs[4] = { &e->eax, &e->ebx, &e->ecx, &e->edx };
    const uint32_t zero[4] = { 0 };
    const uint32_t *sup = s ? (const uint32_t[4]){ s->eax, s->ebx, s->ecx, s->edx }
                            : zero;

    for (unsigned r = 0; r < 4; r++) {
        if (mask & (1u << r)) {
            *regs[r] &= sup[r];
        }
    }
    if (e->function == 0x80000008 && s) {
        /* Physical (7:0) and linear (15:8) address bits: at most the host's. */
        uint32_t phys = MIN(e->eax & 0xff, s->eax & 0xff);
        uint32_t virt = MIN((e->eax >> 8) & 0xff, (s->eax >> 8) & 0xff);

        e->eax = (e->eax & ~0xffffu) | virt << 8 | phys;
    }
}

struct kvm_cpuid2 *kvm_x86_build_cpuid(const X86CPUModel *model,
                                       const X86CPUIDContext *ctx,
                                       const struct kvm_cpuid2 *supported)
{
    struct kvm_cpuid2 *c = g_malloc0(sizeof(*c) + model->nentries *
                                     sizeof(struct kvm_cpuid_entry2));

    for (unsigned i = 0; i < model->nentries; i++) {
        const X86CPUIDEntry *m = &model->entries[i];
        struct kvm_cpuid_entry2 *e = &c->entries[c->nent++];
        uint32_t out[4];

        x86_cpuid(model, ctx, m->leaf, m->subleaf, out);
        e->function = m->leaf;
        e->index = m->indexed ? m->subleaf : 0;
        e->flags = m->indexed ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
        e->eax = out[0];
        e->ebx = out[1];
        e->ecx = out[2];
        e->edx = out[3];
        filter_entry(e, supported);
    }
    return c;
}

static void add_route(struct kvm_irq_routing *r, uint32_t gsi,
                      uint32_t chip, uint32_t pin)
{
    struct kvm_irq_routing_entry *e = &r->entries[r->nr++];

    memset(e, 0, sizeof(*e));
    e->gsi = gsi;
    e->type = KVM_IRQ_ROUTING_IRQCHIP;
    e->u.irqchip.irqchip = chip;
    e->u.irqchip.pin = pin;
}

#define IOAPIC_PINS 24

struct kvm_irq_routing *kvm_x86_gsi_routing(void)
{
    struct kvm_irq_routing *r =
        g_malloc0(sizeof(*r) + 64 * sizeof(struct kvm_irq_routing_entry));

    for (uint32_t gsi = 0; gsi < 16; gsi++) {
        if (gsi == 2) {
            continue;
        }
        add_route(r, gsi, gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE,
                  gsi & 7);
    }
    for (uint32_t gsi = 0; gsi < IOAPIC_PINS; gsi++) {
        if (gsi == 2) {
            continue;
        }
        add_route(r, gsi, KVM_IRQCHIP_IOAPIC, gsi == 0 ? 2 : gsi);
    }
    return r;
}
