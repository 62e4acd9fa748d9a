#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>

extern "C" {
#include "target/x86_64/cpu.h"
#include "target/x86_64/cpuid.h"
}

namespace {

struct Regs {
    uint32_t eax, ebx, ecx, edx;
};

X86CPUIDContext Ctx(unsigned apic_id = 0, uint32_t tsc_khz = 2500000)
{
    X86CPUIDContext ctx = {};
    ctx.apic_id = apic_id;
    ctx.ncpus = 4;
    ctx.tsc_khz = tsc_khz;
    ctx.apic_base = APIC_DEFAULT_BASE | MSR_APICBASE_ENABLE;
    return ctx;
}

Regs Cpuid(uint32_t leaf, uint32_t subleaf = 0,
           const X86CPUIDContext &ctx = Ctx())
{
    uint32_t out[4];
    x86_cpuid(x86_cpu_model_default(), &ctx, leaf, subleaf, out);
    return Regs{out[0], out[1], out[2], out[3]};
}

bool Bit(uint32_t reg, unsigned bit)
{
    return (reg >> bit) & 1;
}

TEST(CpuidModel, DefaultIsEmu64AndFindable)
{
    const X86CPUModel *m = x86_cpu_model_default();
    ASSERT_NE(m, nullptr);
    EXPECT_STREQ(m->name, "emu64");
    EXPECT_EQ(x86_cpu_model_find("emu64"), m);
    EXPECT_EQ(x86_cpu_model_find("no-such-cpu"), nullptr);
}

TEST(Cpuid, VendorAndMaxLeaves)
{
    Regs r = Cpuid(0);
    char vendor[13] = {};
    memcpy(vendor, &r.ebx, 4);
    memcpy(vendor + 4, &r.edx, 4);
    memcpy(vendor + 8, &r.ecx, 4);
    EXPECT_STREQ(vendor, "GenuineIntel");
    EXPECT_EQ(r.eax, 0x16u);
    EXPECT_EQ(Cpuid(0x80000000).eax, 0x80000008u);
}

TEST(Cpuid, Signature)
{
    Regs r = Cpuid(1);
    unsigned family = (r.eax >> 8) & 0xf;
    unsigned model = ((r.eax >> 4) & 0xf) | ((r.eax >> 12) & 0xf0);
    EXPECT_EQ(family, 6u);
    EXPECT_EQ(model, 0x3du);
}

TEST(Cpuid, Leaf1Features)
{
    Regs r = Cpuid(1);
    /* fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 */
    for (unsigned bit : {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15,
                         16, 17}) {
        EXPECT_TRUE(Bit(r.edx, bit)) << "EDX bit " << bit;
    }
    EXPECT_TRUE(Bit(r.edx, 19));    /* clflush */
    EXPECT_TRUE(Bit(r.edx, 23));    /* mmx */
    EXPECT_TRUE(Bit(r.edx, 24));    /* fxsr */
    EXPECT_TRUE(Bit(r.edx, 25));    /* sse */
    EXPECT_TRUE(Bit(r.edx, 26));    /* sse2 */
    EXPECT_FALSE(Bit(r.edx, 28));   /* htt: one thread per package */

    EXPECT_TRUE(Bit(r.ecx, 13));    /* cx16 */
    EXPECT_TRUE(Bit(r.ecx, 23));    /* popcnt */
    EXPECT_TRUE(Bit(r.ecx, 31));    /* hypervisor */
    /* Nothing the software CPU lacks. */
    EXPECT_FALSE(Bit(r.ecx, 0));    /* sse3 */
    EXPECT_FALSE(Bit(r.ecx, 9));    /* ssse3 */
    EXPECT_FALSE(Bit(r.ecx, 19));   /* sse4.1 */
    EXPECT_FALSE(Bit(r.ecx, 20));   /* sse4.2 */
    EXPECT_FALSE(Bit(r.ecx, 21));   /* x2apic */
    EXPECT_FALSE(Bit(r.ecx, 24));   /* tsc-deadline */
    EXPECT_FALSE(Bit(r.ecx, 26));   /* xsave */
    EXPECT_FALSE(Bit(r.ecx, 27));   /* osxsave */
    EXPECT_FALSE(Bit(r.ecx, 28));   /* avx */
    EXPECT_EQ(r.ecx, (1u << 13) | (1u << 23) | (1u << 31));
}

TEST(Cpuid, Leaf1EbxPerApicId)
{
    for (unsigned id : {0u, 1u, 7u, 200u}) {
        Regs r = Cpuid(1, 0, Ctx(id));
        EXPECT_EQ(r.ebx >> 24, id);
        EXPECT_EQ((r.ebx >> 16) & 0xff, 1u);    /* logical processors */
        EXPECT_EQ((r.ebx >> 8) & 0xff, 8u);     /* CLFLUSH: 64 bytes */
    }
}

TEST(Cpuid, Leaf1ApicBitFollowsApicBase)
{
    X86CPUIDContext ctx = Ctx();
    EXPECT_TRUE(Bit(Cpuid(1, 0, ctx).edx, 9));
    ctx.apic_base = APIC_DEFAULT_BASE;
    EXPECT_FALSE(Bit(Cpuid(1, 0, ctx).edx, 9));
}

TEST(Cpuid, NoStructuredExtendedFeaturesOrXsave)
{
    Regs r = Cpuid(7, 0);
    EXPECT_EQ(r.eax, 0u);
    EXPECT_EQ(r.ebx, 0u);
    EXPECT_EQ(r.ecx, 0u);
    EXPECT_EQ(r.edx, 0u);
    r = Cpuid(0xd, 0);
    EXPECT_EQ(r.eax | r.ebx | r.ecx | r.edx, 0u);
    r = Cpuid(0xb, 0);
    EXPECT_EQ(r.ebx, 0u);   /* no x2APIC topology */
    r = Cpuid(4, 0);
    EXPECT_EQ(r.eax & 0x1f, 0u);    /* no caches: one core per package */
}

TEST(Cpuid, TscLeafCrystalIsTheLapicClock)
{
    Regs r = Cpuid(0x15, 0, Ctx(0, 2499998));
    EXPECT_EQ(r.ecx, 1000000000u);
    ASSERT_NE(r.eax, 0u);
    /* Linux: tsc_khz = crystal_khz * ebx / eax, in 32 bits. */
    uint64_t product = (uint64_t)(r.ecx / 1000) * r.ebx;
    EXPECT_LE(product, UINT32_MAX);
    EXPECT_NEAR((double)product / r.eax, 2499998.0, 2499998.0 * 1e-6);

    r = Cpuid(0x16, 0, Ctx(0, 2499998));
    EXPECT_EQ(r.eax, 2499u);
    EXPECT_EQ(r.ebx, 2499u);
}

TEST(Cpuid, TscRatio)
{
    uint32_t num, den;
    x86_tsc_ratio(3000000, 1000000, &num, &den);
    EXPECT_EQ(num, 3u);
    EXPECT_EQ(den, 1u);
    x86_tsc_ratio(2500000, 1000000, &num, &den);
    EXPECT_EQ(num, 5u);
    EXPECT_EQ(den, 2u);
    x86_tsc_ratio(0, 1000000, &num, &den);
    EXPECT_EQ(num, 0u);
    EXPECT_EQ(den, 0u);
}

TEST(Cpuid, TscRatioIsTheBestLinuxCanUse)
{
    for (uint32_t khz : {2499998u, 1234567u, 2099999u, 3192612u, 4000001u,
                         999983u}) {
        uint32_t num, den;
        x86_tsc_ratio(khz, 1000000, &num, &den);
        ASSERT_NE(den, 0u) << khz;
        EXPECT_LE((uint64_t)num * 1000000, UINT32_MAX) << khz;
        double err = std::fabs(1e6 * num / den - khz);
        EXPECT_LT(err / khz, 20e-6) << khz;
        /* No fraction with a numerator Linux accepts does better. */
        for (uint32_t q = 1; q <= 5000; q++) {
            for (uint32_t p = (uint32_t)((uint64_t)khz * q / 1000000);
                 p <= (uint64_t)khz * q / 1000000 + 1 && p <= 4294; p++) {
                if (p) {
                    ASSERT_GE(std::fabs(1e6 * p / q - khz) + 1e-9, err)
                        << khz << ": " << p << "/" << q << " beats " << num
                        << "/" << den;
                }
            }
        }
    }
}

TEST(Cpuid, TscLeavesZeroWhenUnknown)
{
    Regs r = Cpuid(0x15, 0, Ctx(0, 0));
    EXPECT_EQ(r.eax | r.ebx | r.ecx | r.edx, 0u);
    r = Cpuid(0x16, 0, Ctx(0, 0));
    EXPECT_EQ(r.eax | r.ebx | r.ecx | r.edx, 0u);
}

TEST(Cpuid, ExtendedFeatures)
{
    Regs r = Cpuid(0x80000001);
    EXPECT_TRUE(Bit(r.edx, 11));    /* syscall */
    EXPECT_TRUE(Bit(r.edx, 20));    /* nx */
    EXPECT_TRUE(Bit(r.edx, 27));    /* rdtscp */
    EXPECT_TRUE(Bit(r.edx, 29));    /* lm */
    EXPECT_FALSE(Bit(r.edx, 26));   /* 1 GiB pages */
    EXPECT_TRUE(Bit(r.ecx, 0));     /* lahf_lm */
    EXPECT_TRUE(Bit(r.ecx, 5));     /* abm (lzcnt) */
    EXPECT_TRUE(Bit(Cpuid(0x80000007).edx, 8));    /* invariant TSC */
    EXPECT_EQ(Cpuid(0x80000008).eax, 0x3028u);
}

TEST(Cpuid, BrandString)
{
    char brand[49] = {};
    for (uint32_t i = 0; i < 3; i++) {
        Regs r = Cpuid(0x80000002 + i);
        memcpy(brand + 16 * i, &r, 16);
    }
    EXPECT_STREQ(brand, "emu64 virtual CPU");
}

TEST(Cpuid, UnlistedLeafInRangeIsZero)
{
    Regs r = Cpuid(0x3);
    EXPECT_EQ(r.eax | r.ebx | r.ecx | r.edx, 0u);
    r = Cpuid(0x80000005);
    EXPECT_EQ(r.eax | r.ebx | r.ecx | r.edx, 0u);
    r = Cpuid(4, 3);    /* subleaf beyond the listed ones */
    EXPECT_EQ(r.eax | r.ebx | r.ecx | r.edx, 0u);
}

TEST(Cpuid, OutOfRangeLeafGivesHighestBasicLeaf)
{
    X86CPUIDContext ctx = Ctx(0, 2499998);
    Regs top = Cpuid(0x16, 0, ctx);
    for (uint32_t leaf : {0x17u, 0x1000u, 0x40000000u, 0x80000009u,
                          0xc0000000u, 0xffffffffu}) {
        Regs r = Cpuid(leaf, 0, ctx);
        EXPECT_EQ(r.eax, top.eax) << std::hex << leaf;
        EXPECT_EQ(r.ebx, top.ebx) << std::hex << leaf;
        EXPECT_EQ(r.ecx, top.ecx) << std::hex << leaf;
        EXPECT_EQ(r.edx, top.edx) << std::hex << leaf;
    }
}

TEST(Cpuid, IndexedLeafMatchesSubleafOnly)
{
    /* Non-indexed leaves ignore the subleaf. */
    EXPECT_EQ(Cpuid(1, 5).edx, Cpuid(1, 0).edx);
    EXPECT_EQ(Cpuid(0, 9).eax, 0x16u);
}

}  // namespace
