/*
 * The x86-64 CPU's power-on state, shared by every accelerator.
 */
#include <string.h>

#include "target/x86_64/cpu.h"
#include "target/x86_64/cpuid.h"

#define X86_PAT_DEFAULT             0x0007040600070406ull
#define X86_MISC_ENABLE_FAST_STRING (1ull << 0)

uint16_t x86_seg_attrib(unsigned type, bool s, unsigned dpl, bool l, bool db,
                        bool g)
{
    return (uint16_t)((type & 0xf) | (s ? SEG_ATTR_S : 0) |
                      ((dpl & 3) << SEG_ATTR_DPL_SHIFT) | SEG_ATTR_P |
                      (l ? SEG_ATTR_L : 0) | (db ? SEG_ATTR_DB : 0) |
                      (g ? SEG_ATTR_G : 0));
}

static void set_real_mode_seg(X86Segment *seg, uint16_t selector,
                              uint64_t base, uint16_t attrib)
{
    seg->selector = selector;
    seg->base = base;
    seg->limit = 0xffff;
    seg->attrib = attrib;
}

/* The processor signature (CPUID.1:EAX) that EDX holds after reset. */
static uint32_t reset_signature(void)
{
    static const X86CPUIDContext ctx = { .ncpus = 1 };
    uint32_t out[4];

    x86_cpuid(x86_cpu_model_default(), &ctx, 1, 0, out);
    return out[0];
}

/*
 * As Intel's SDM "Processor State After Power-up, Reset, or INIT": real
 * mode, executing at 0xfffffff0 (CS base 0xffff0000, IP 0xfff0).  An AP
 * gets the same state and waits for its start-up IPI.
 */
void x86_cpu_state_reset(X86CPUState *s, unsigned apic_id)
{
    const uint16_t data_attr = x86_seg_attrib(3, true, 0, false, false, false);

    memset(s, 0, sizeof(*s));
    s->regs[R_RDX] = reset_signature();
    s->rip = 0xfff0;
    s->rflags = X86_FLAG_FIXED;

    for (unsigned i = 0; i < SEG_COUNT; i++) {
        set_real_mode_seg(&s->segs[i], 0, 0, data_attr);
    }
    set_real_mode_seg(&s->segs[SEG_CS], 0xf000, 0xffff0000,
                      x86_seg_attrib(0xb, true, 0, false, false, false));
    set_real_mode_seg(&s->segs[SEG_LDTR], 0, 0,
                      x86_seg_attrib(2, false, 0, false, false, false));
    set_real_mode_seg(&s->segs[SEG_TR], 0, 0,
                      x86_seg_attrib(0xb, false, 0, false, false, false));
    s->gdt.limit = 0xffff;
    s->idt.limit = 0xffff;

    s->cr0 = X86_CR0_CD | X86_CR0_NW | X86_CR0_ET;
    s->dr[6] = 0xffff0ff0;
    s->dr[7] = 0x400;

    s->mxcsr = 0x1f80;
    s->fcw = 0x37f;

    s->apic_base = APIC_DEFAULT_BASE | MSR_APICBASE_ENABLE |
                   (apic_id == 0 ? MSR_APICBASE_BSP : 0);
    s->pat = X86_PAT_DEFAULT;
    s->misc_enable = X86_MISC_ENABLE_FAST_STRING;
    s->mp_state = apic_id == 0 ? X86_MP_RUNNABLE : X86_MP_WAIT_SIPI;
}
