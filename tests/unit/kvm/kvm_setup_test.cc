/* The CPUID table and GSI routing given to KVM, without /dev/kvm. */
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <cstring>
#include <vector>

extern "C" {
#include <glib.h>

#include "target/x86_64/cpu.h"
#include "target/x86_64/cpuid.h"
#include "target/x86_64/kvm/kvm_setup.h"
}

namespace {

struct Cpuid2Deleter {
    void operator()(void *p) const { g_free(p); }
};
using Cpuid2Ptr = std::unique_ptr<struct kvm_cpuid2, Cpuid2Deleter>;

/*
 * The uapi header declares kvm_cpuid2's entries with __DECLARE_FLEX_ARRAY,
 * whose empty struct has size 1 in C++: C++ sees them 4 bytes off.  The
 * entries follow nent and padding, as the C code sees them.
 */
struct kvm_cpuid_entry2 *Entries(const struct kvm_cpuid2 *c)
{
    return reinterpret_cast<struct kvm_cpuid_entry2 *>(
        reinterpret_cast<uintptr_t>(c) + 2 * sizeof(uint32_t));
}

Cpuid2Ptr Supported(const std::vector<struct kvm_cpuid_entry2> &entries)
{
    auto *c = static_cast<struct kvm_cpuid2 *>(g_malloc0(
        2 * sizeof(uint32_t) + entries.size() * sizeof(entries[0])));
    c->nent = entries.size();
    memcpy(Entries(c), entries.data(), entries.size() * sizeof(entries[0]));
    return Cpuid2Ptr(c);
}

struct kvm_cpuid_entry2 Entry(uint32_t fn, uint32_t eax, uint32_t ebx,
                              uint32_t ecx, uint32_t edx)
{
    struct kvm_cpuid_entry2 e;
    memset(&e, 0, sizeof(e));
    e.function = fn;
    e.eax = eax;
    e.ebx = ebx;
    e.ecx = ecx;
    e.edx = edx;
    return e;
}

const struct kvm_cpuid_entry2 *Find(const struct kvm_cpuid2 *c, uint32_t fn,
                                    uint32_t index = 0)
{
    for (uint32_t i = 0; i < c->nent; i++) {
        if (Entries(c)[i].function == fn && Entries(c)[i].index == index) {
            return &Entries(c)[i];
        }
    }
    return nullptr;
}

/* kvm_irq_routing has the same C++ layout problem. */
const struct kvm_irq_routing_entry *RoutingEntries(const struct kvm_irq_routing *r)
{
    return reinterpret_cast<const struct kvm_irq_routing_entry *>(
        reinterpret_cast<uintptr_t>(r) + 2 * sizeof(uint32_t));
}

X86CPUIDContext Ctx(unsigned apic_id, uint32_t tsc_khz)
{
    X86CPUIDContext ctx = {};
    ctx.apic_id = apic_id;
    ctx.ncpus = 2;
    ctx.tsc_khz = tsc_khz;
    ctx.apic_base = APIC_DEFAULT_BASE | MSR_APICBASE_ENABLE;
    return ctx;
}

/* This host's KVM_GET_SUPPORTED_CPUID (kvm_pvm), abridged. */
Cpuid2Ptr HostLike()
{
    return Supported({
        Entry(1, 0x50657, 0x20800, 0x81202000, 0x0f8bfbff),
        Entry(0x80000001, 0, 0, 0x101, 0x20100800),
        Entry(0x80000007, 0, 0, 0, 0x100),
        Entry(0x80000008, 0x302e, 0, 0, 0),
    });
}

TEST(KvmCpuid, FeaturesAreFilteredBySupport)
{
    X86CPUIDContext ctx = Ctx(1, 2499998);
    Cpuid2Ptr c(kvm_x86_build_cpuid(x86_cpu_model_default(), &ctx,
                                    HostLike().get()));
    uint32_t model[4];

    const struct kvm_cpuid_entry2 *l1 = Find(c.get(), 1);
    ASSERT_NE(l1, nullptr);
    x86_cpuid(x86_cpu_model_default(), &ctx, 1, 0, model);
    EXPECT_EQ(l1->eax, model[0]);
    EXPECT_EQ(l1->ebx, model[1]);       /* APIC ID etc. kept */
    EXPECT_EQ(l1->ebx >> 24, 1u);
    EXPECT_EQ(l1->ecx, model[2] & 0x81202000);
    EXPECT_EQ(l1->edx, model[3]);       /* all supported here */

    /* RDTSCP and ABM are not supported by this host: removed. */
    const struct kvm_cpuid_entry2 *ext = Find(c.get(), 0x80000001);
    ASSERT_NE(ext, nullptr);
    EXPECT_EQ(ext->edx, (1u << 11) | (1u << 20) | (1u << 29));
    EXPECT_EQ(ext->ecx, 1u);

    /* Non-feature leaves pass unchanged: vendor, brand, max leaves. */
    x86_cpuid(x86_cpu_model_default(), &ctx, 0, 0, model);
    const struct kvm_cpuid_entry2 *l0 = Find(c.get(), 0);
    ASSERT_NE(l0, nullptr);
    EXPECT_EQ(l0->eax, 0x16u);
    EXPECT_EQ(l0->ebx, model[1]);
    EXPECT_EQ(Find(c.get(), 0x80000008)->eax, 0x3028u);
}

TEST(KvmCpuid, EveryModelEntryIsPresentWithIndexFlags)
{
    X86CPUIDContext ctx = Ctx(0, 2000000);
    const X86CPUModel *m = x86_cpu_model_default();
    Cpuid2Ptr c(kvm_x86_build_cpuid(m, &ctx, HostLike().get()));
    ASSERT_EQ(c->nent, m->nentries);
    for (unsigned i = 0; i < m->nentries; i++) {
        EXPECT_EQ(Entries(c.get())[i].function, m->entries[i].leaf);
        EXPECT_EQ(!!(Entries(c.get())[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX),
                  m->entries[i].indexed);
    }
}

TEST(KvmCpuid, UnsupportedLeafLosesAllFeatures)
{
    X86CPUIDContext ctx = Ctx(0, 2000000);
    Cpuid2Ptr none = Supported({});
    Cpuid2Ptr c(kvm_x86_build_cpuid(x86_cpu_model_default(), &ctx, none.get()));
    EXPECT_EQ(Find(c.get(), 1)->edx, 0u);
    EXPECT_EQ(Find(c.get(), 0x80000001)->edx, 0u);
}

TEST(KvmCpuid, PhysicalAddressBitsCappedByHost)
{
    X86CPUIDContext ctx = Ctx(0, 2000000);
    Cpuid2Ptr small = Supported({Entry(0x80000008, 0x3024, 0, 0, 0)});
    Cpuid2Ptr c(kvm_x86_build_cpuid(x86_cpu_model_default(), &ctx, small.get()));
    EXPECT_EQ(Find(c.get(), 0x80000008)->eax, 0x3024u);
}

TEST(KvmCpuid, TscLeafKeepsTheModelsApicBusCrystal)
{
    X86CPUIDContext ctx = Ctx(0, 2499998);
    Cpuid2Ptr c(kvm_x86_build_cpuid(x86_cpu_model_default(), &ctx,
                                    HostLike().get()));
    const struct kvm_cpuid_entry2 *e = Find(c.get(), 0x15);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->ecx, 1000000000u);
    ASSERT_NE(e->eax, 0u);
    /* Linux: tsc_khz = crystal_khz * ebx / eax, in 32 bits. */
    uint64_t product = (uint64_t)(e->ecx / 1000) * e->ebx;
    EXPECT_LE(product, UINT32_MAX);
    double khz = (double)product / e->eax;
    EXPECT_NEAR(khz, 2499998.0, 2499998.0 * 1e-6);
    /* Leaf 0x16 is the model's. */
    EXPECT_EQ(Find(c.get(), 0x16)->eax, 2499u);
}

TEST(KvmRouting, PcRouting)
{
    struct kvm_irq_routing *r = kvm_x86_gsi_routing();
    int ioapic_pin_of[24];
    int pic_of[24];
    for (int i = 0; i < 24; i++) {
        ioapic_pin_of[i] = pic_of[i] = -1;
    }
    for (uint32_t i = 0; i < r->nr; i++) {
        const struct kvm_irq_routing_entry *e = &RoutingEntries(r)[i];
        ASSERT_EQ(e->type, (uint32_t)KVM_IRQ_ROUTING_IRQCHIP);
        ASSERT_LT(e->gsi, 24u);
        if (e->u.irqchip.irqchip == KVM_IRQCHIP_IOAPIC) {
            EXPECT_EQ(ioapic_pin_of[e->gsi], -1) << "GSI " << e->gsi;
            ioapic_pin_of[e->gsi] = e->u.irqchip.pin;
        } else {
            unsigned base = e->u.irqchip.irqchip == KVM_IRQCHIP_PIC_SLAVE ? 8 : 0;
            pic_of[e->gsi] = base + e->u.irqchip.pin;
        }
    }
    /* The PIT's IRQ 0 reaches IOAPIC pin 2, as the MP table says. */
    EXPECT_EQ(ioapic_pin_of[0], 2);
    EXPECT_EQ(pic_of[0], 0);
    /* IRQ 2 is the cascade. */
    EXPECT_EQ(ioapic_pin_of[2], -1);
    EXPECT_EQ(pic_of[2], -1);
    for (int gsi = 1; gsi < 24; gsi++) {
        if (gsi == 2) {
            continue;
        }
        EXPECT_EQ(ioapic_pin_of[gsi], gsi);
        EXPECT_EQ(pic_of[gsi], gsi < 16 ? gsi : -1);
    }
    g_free(r);
}

}  // namespace
