#include <gtest/gtest.h>

#include <cstring>

extern "C" {
#include "target/x86_64/cpu.h"
#include "target/x86_64/cpuid.h"
}

namespace {

TEST(SegAttrib, Layout)
{
    /* 64-bit kernel code: type 0xb, S, P, L. */
    EXPECT_EQ(x86_seg_attrib(0xb, true, 0, true, false, true), 0xa09b);
    /* Flat data: type 3, S, P, DB, G. */
    EXPECT_EQ(x86_seg_attrib(3, true, 0, false, true, true), 0xc093);
    /* DPL 3 code. */
    uint16_t a = x86_seg_attrib(0xb, true, 3, true, false, true);
    EXPECT_EQ(SEG_ATTR_DPL(a), 3u);
    EXPECT_EQ(SEG_ATTR_TYPE(a), 0xbu);
    EXPECT_TRUE(a & SEG_ATTR_P);
    /* System segment (TSS), S clear. */
    EXPECT_EQ(x86_seg_attrib(0xb, false, 0, false, false, false), 0x8b);
}

TEST(CpuReset, RealModeAtResetVector)
{
    X86CPUState s;
    memset(&s, 0xa5, sizeof(s));
    x86_cpu_state_reset(&s, 0);

    EXPECT_EQ(s.rip, 0xfff0u);
    EXPECT_EQ(s.rflags, 0x2u);
    EXPECT_EQ(s.segs[SEG_CS].selector, 0xf000);
    EXPECT_EQ(s.segs[SEG_CS].base, 0xffff0000u);
    EXPECT_EQ(s.segs[SEG_CS].limit, 0xffffu);
    EXPECT_EQ(s.segs[SEG_CS].attrib, 0x9b);
    for (int seg : {SEG_ES, SEG_SS, SEG_DS, SEG_FS, SEG_GS}) {
        EXPECT_EQ(s.segs[seg].selector, 0) << seg;
        EXPECT_EQ(s.segs[seg].base, 0u) << seg;
        EXPECT_EQ(s.segs[seg].limit, 0xffffu) << seg;
        EXPECT_EQ(s.segs[seg].attrib, 0x93) << seg;
    }
    EXPECT_EQ(s.segs[SEG_LDTR].attrib, 0x82);
    EXPECT_EQ(s.segs[SEG_TR].attrib, 0x8b);
    EXPECT_EQ(s.gdt.base, 0u);
    EXPECT_EQ(s.gdt.limit, 0xffff);
    EXPECT_EQ(s.idt.limit, 0xffff);

    EXPECT_EQ(s.cr0, 0x60000010u);
    EXPECT_EQ(s.cr2 | s.cr3 | s.cr4 | s.cr8 | s.efer, 0u);
    EXPECT_EQ(s.dr[6], 0xffff0ff0u);
    EXPECT_EQ(s.dr[7], 0x400u);
    for (int r = 0; r < 16; r++) {
        if (r != R_RDX) {
            EXPECT_EQ(s.regs[r], 0u) << r;
        }
    }
}

TEST(CpuReset, EdxHoldsProcessorSignature)
{
    X86CPUState s;
    X86CPUIDContext ctx = {};
    uint32_t out[4];

    x86_cpu_state_reset(&s, 0);
    x86_cpuid(x86_cpu_model_default(), &ctx, 1, 0, out);
    EXPECT_EQ(s.regs[R_RDX], out[0]);
    EXPECT_EQ(s.regs[R_RDX] & 0xf00, 0x600u);    /* family 6 */
}

TEST(CpuReset, FpuSseAndMsrs)
{
    X86CPUState s;
    x86_cpu_state_reset(&s, 0);
    EXPECT_EQ(s.mxcsr, 0x1f80u);
    EXPECT_EQ(s.fcw, 0x37f);
    EXPECT_EQ(s.fsw, 0);
    EXPECT_EQ(s.ftw, 0);
    EXPECT_EQ(s.pat, 0x0007040600070406ull);
    EXPECT_EQ(s.tsc, 0u);
    EXPECT_EQ(s.star | s.lstar | s.cstar | s.fmask | s.kernel_gs_base, 0u);
}

TEST(CpuReset, BspAndAp)
{
    X86CPUState bsp, ap;
    x86_cpu_state_reset(&bsp, 0);
    x86_cpu_state_reset(&ap, 3);

    EXPECT_EQ(bsp.apic_base, 0xfee00000u | MSR_APICBASE_ENABLE | MSR_APICBASE_BSP);
    EXPECT_EQ(ap.apic_base, 0xfee00000u | MSR_APICBASE_ENABLE);
    EXPECT_EQ(bsp.mp_state, X86_MP_RUNNABLE);
    EXPECT_EQ(ap.mp_state, X86_MP_WAIT_SIPI);
    /* Otherwise identical. */
    ap.apic_base = bsp.apic_base;
    ap.mp_state = bsp.mp_state;
    EXPECT_EQ(memcmp(&ap, &bsp, sizeof(ap)), 0);
}

}  // namespace
