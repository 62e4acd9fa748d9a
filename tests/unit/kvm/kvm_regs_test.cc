/* Conversions between KVM's structures and X86CPUState, without /dev/kvm. */
#include <gtest/gtest.h>

#include <cstring>

extern "C" {
#include "target/x86_64/cpu.h"
#include "target/x86_64/kvm/kvm_regs.h"
}

namespace {

/* A state with a distinct value in every field the conversions carry. */
X86CPUState Sample()
{
    X86CPUState s;
    memset(&s, 0, sizeof(s));
    for (int i = 0; i < 16; i++) {
        s.regs[i] = 0x1111111111111111ull * (i + 1) + i;
    }
    s.rip = 0xffffffff81000123ull;
    s.rflags = 0x246;
    for (int i = 0; i < SEG_COUNT; i++) {
        s.segs[i].selector = (uint16_t)(0x10 + 8 * i);
        s.segs[i].base = 0x1000ull * (i + 1);
        s.segs[i].limit = 0xfffff + i;
        s.segs[i].attrib = x86_seg_attrib(3, true, i & 3, false, true, true);
    }
    s.segs[SEG_CS].attrib = x86_seg_attrib(0xb, true, 0, true, false, true) |
                            SEG_ATTR_AVL;
    s.segs[SEG_FS].attrib = 0;      /* unusable */
    s.segs[SEG_LDTR].attrib = x86_seg_attrib(2, false, 0, false, false, false);
    s.segs[SEG_TR].attrib = x86_seg_attrib(0xb, false, 0, false, false, false);
    s.gdt = {0xffff880000001000ull, 0x7f};
    s.idt = {0xffff880000002000ull, 0xfff};
    s.cr0 = 0x80050033;
    s.cr2 = 0xdeadbeef000ull;
    s.cr3 = 0x1234000;
    s.cr4 = 0x6f0;
    s.cr8 = 7;
    s.efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_SCE | X86_EFER_NXE;
    for (int i = 0; i < 4; i++) {
        s.dr[i] = 0x400000 + i;
    }
    s.dr[6] = 0xffff0ff1;
    s.dr[7] = 0x455;
    for (int i = 0; i < 16; i++) {
        for (int b = 0; b < 16; b++) {
            s.xmm[i].b[b] = (uint8_t)(i * 16 + b);
        }
    }
    s.mxcsr = 0x1fa0;
    for (int i = 0; i < 8; i++) {
        s.st[i].mant = 0x8000000000000000ull | (uint64_t)i << 40;
        s.st[i].sign_exp = (uint16_t)(0x3fff + i);
    }
    s.fcw = 0x27f;
    s.fsw = 0x3800 | 0x21;   /* TOP = 7 */
    s.ftw = 0x81;
    s.fop = 0x5d9;
    s.fip = 0x401000;
    s.fdp = 0x602000;
    s.star = 0x0023001000000000ull;
    s.lstar = 0xffffffff81800000ull;
    s.cstar = 0xffffffff81800100ull;
    s.fmask = 0x47700;
    s.kernel_gs_base = 0xffff88807fc00000ull;
    s.sysenter_cs = 0x10;
    s.sysenter_esp = 0xfffffe0000003000ull;
    s.sysenter_eip = 0xffffffff81801000ull;
    s.tsc = 123456789;
    s.tsc_aux = 3;
    s.apic_base = APIC_DEFAULT_BASE | MSR_APICBASE_ENABLE;
    s.pat = 0x0407050600070106ull;
    s.misc_enable = 1;
    s.mp_state = X86_MP_HALTED;
    s.interrupt_shadow = true;
    s.sipi_vector = 0x9a;
    return s;
}

void ExpectSameState(const X86CPUState &a, const X86CPUState &b)
{
    for (int i = 0; i < 16; i++) {
        EXPECT_EQ(a.regs[i], b.regs[i]) << "reg " << i;
    }
    EXPECT_EQ(a.rip, b.rip);
    EXPECT_EQ(a.rflags, b.rflags);
    for (int i = 0; i < SEG_COUNT; i++) {
        EXPECT_EQ(a.segs[i].selector, b.segs[i].selector) << "seg " << i;
        EXPECT_EQ(a.segs[i].base, b.segs[i].base) << "seg " << i;
        EXPECT_EQ(a.segs[i].limit, b.segs[i].limit) << "seg " << i;
        EXPECT_EQ(a.segs[i].attrib, b.segs[i].attrib) << "seg " << i;
    }
    EXPECT_EQ(a.gdt.base, b.gdt.base);
    EXPECT_EQ(a.gdt.limit, b.gdt.limit);
    EXPECT_EQ(a.idt.base, b.idt.base);
    EXPECT_EQ(a.idt.limit, b.idt.limit);
    EXPECT_EQ(a.cr0, b.cr0);
    EXPECT_EQ(a.cr2, b.cr2);
    EXPECT_EQ(a.cr3, b.cr3);
    EXPECT_EQ(a.cr4, b.cr4);
    EXPECT_EQ(a.cr8, b.cr8);
    EXPECT_EQ(a.efer, b.efer);
    for (int i : {0, 1, 2, 3, 6, 7}) {
        EXPECT_EQ(a.dr[i], b.dr[i]) << "dr" << i;
    }
    EXPECT_EQ(memcmp(a.xmm, b.xmm, sizeof(a.xmm)), 0);
    EXPECT_EQ(a.mxcsr, b.mxcsr);
    for (int i = 0; i < 8; i++) {
        EXPECT_EQ(a.st[i].mant, b.st[i].mant) << "R" << i;
        EXPECT_EQ(a.st[i].sign_exp, b.st[i].sign_exp) << "R" << i;
    }
    EXPECT_EQ(a.fcw, b.fcw);
    EXPECT_EQ(a.fsw, b.fsw);
    EXPECT_EQ(a.ftw, b.ftw);
    EXPECT_EQ(a.fop, b.fop);
    EXPECT_EQ(a.fip, b.fip);
    EXPECT_EQ(a.fdp, b.fdp);
    EXPECT_EQ(a.star, b.star);
    EXPECT_EQ(a.lstar, b.lstar);
    EXPECT_EQ(a.cstar, b.cstar);
    EXPECT_EQ(a.fmask, b.fmask);
    EXPECT_EQ(a.kernel_gs_base, b.kernel_gs_base);
    EXPECT_EQ(a.sysenter_cs, b.sysenter_cs);
    EXPECT_EQ(a.sysenter_esp, b.sysenter_esp);
    EXPECT_EQ(a.sysenter_eip, b.sysenter_eip);
    EXPECT_EQ(a.tsc, b.tsc);
    EXPECT_EQ(a.tsc_aux, b.tsc_aux);
    EXPECT_EQ(a.apic_base, b.apic_base);
    EXPECT_EQ(a.pat, b.pat);
    EXPECT_EQ(a.misc_enable, b.misc_enable);
    EXPECT_EQ(a.mp_state, b.mp_state);
    EXPECT_EQ(a.interrupt_shadow, b.interrupt_shadow);
    EXPECT_EQ(a.sipi_vector, b.sipi_vector);
}

/* Every conversion, X86CPUState -> KVM structures -> X86CPUState. */
X86CPUState RoundTrip(const X86CPUState &in)
{
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    struct kvm_fpu fpu;
    struct kvm_debugregs dregs;
    struct kvm_msr_entry msrs[KVM_X86_MAX_MSRS];
    struct kvm_vcpu_events events;
    X86CPUState out;

    memset(&sregs, 0, sizeof(sregs));
    memset(&events, 0, sizeof(events));
    kvm_regs_from_x86(&regs, &in);
    kvm_sregs_from_x86(&sregs, &in);
    kvm_fpu_from_x86(&fpu, &in);
    kvm_debugregs_from_x86(&dregs, &in);
    unsigned n = kvm_msrs_from_x86(msrs, &in, true);
    kvm_events_from_x86(&events, &in);
    uint32_t mp = kvm_mp_state_from_x86(in.mp_state, KVM_MP_STATE_RUNNABLE);

    memset(&out, 0x5a, sizeof(out));
    kvm_regs_to_x86(&out, &regs);
    kvm_sregs_to_x86(&out, &sregs);
    kvm_fpu_to_x86(&out, &fpu);
    kvm_debugregs_to_x86(&out, &dregs);
    EXPECT_TRUE(kvm_msrs_to_x86(&out, msrs, n));
    kvm_events_to_x86(&out, &events);
    out.mp_state = kvm_mp_state_to_x86(mp);
    /* Not carried by KVM's structures. */
    out.dr[4] = in.dr[4];
    out.dr[5] = in.dr[5];
    return out;
}

TEST(KvmRegs, RoundTripPreservesEveryField)
{
    X86CPUState in = Sample();
    ExpectSameState(in, RoundTrip(in));
}

TEST(KvmRegs, RoundTripOfResetState)
{
    for (unsigned id : {0u, 1u}) {
        X86CPUState in;
        x86_cpu_state_reset(&in, id);
        ExpectSameState(in, RoundTrip(in));
    }
}

TEST(KvmRegs, GeneralRegistersMapByName)
{
    X86CPUState s = Sample();
    struct kvm_regs k;
    kvm_regs_from_x86(&k, &s);
    EXPECT_EQ(k.rax, s.regs[R_RAX]);
    EXPECT_EQ(k.rbx, s.regs[R_RBX]);
    EXPECT_EQ(k.rcx, s.regs[R_RCX]);
    EXPECT_EQ(k.rdx, s.regs[R_RDX]);
    EXPECT_EQ(k.rsp, s.regs[R_RSP]);
    EXPECT_EQ(k.rbp, s.regs[R_RBP]);
    EXPECT_EQ(k.rsi, s.regs[R_RSI]);
    EXPECT_EQ(k.rdi, s.regs[R_RDI]);
    EXPECT_EQ(k.r8, s.regs[R_R8]);
    EXPECT_EQ(k.r15, s.regs[R_R15]);
    EXPECT_EQ(k.rip, s.rip);
    EXPECT_EQ(k.rflags, s.rflags);
}

TEST(KvmRegs, SegmentFields)
{
    X86Segment cs = {0x10, x86_seg_attrib(0xb, true, 3, true, false, true),
                     0xffffffff, 0};
    cs.attrib |= SEG_ATTR_AVL;
    struct kvm_segment k;
    kvm_segment_from_x86(&k, &cs);
    EXPECT_EQ(k.selector, 0x10);
    EXPECT_EQ(k.limit, 0xffffffffu);
    EXPECT_EQ(k.type, 0xb);
    EXPECT_EQ(k.s, 1);
    EXPECT_EQ(k.dpl, 3);
    EXPECT_EQ(k.present, 1);
    EXPECT_EQ(k.l, 1);
    EXPECT_EQ(k.db, 0);
    EXPECT_EQ(k.g, 1);
    EXPECT_EQ(k.avl, 1);
    EXPECT_EQ(k.unusable, 0);
}

TEST(KvmRegs, UnusableSegmentIsNotPresent)
{
    X86Segment null_seg = {0, 0, 0, 0};
    struct kvm_segment k;
    kvm_segment_from_x86(&k, &null_seg);
    EXPECT_EQ(k.unusable, 1);
    EXPECT_EQ(k.present, 0);

    /* KVM may report an unusable segment with present set. */
    k.present = 1;
    k.type = 3;
    k.s = 1;
    X86Segment out;
    kvm_segment_to_x86(&out, &k);
    EXPECT_FALSE(out.attrib & SEG_ATTR_P);
    EXPECT_EQ(SEG_ATTR_TYPE(out.attrib), 3u);
}

TEST(KvmRegs, KvmSregsRoundTrip)
{
    /* KVM -> X86CPUState -> KVM keeps every field, interrupt bitmap included. */
    struct kvm_sregs k, back;
    X86CPUState s = Sample();
    memset(&k, 0, sizeof(k));
    kvm_sregs_from_x86(&k, &s);
    k.interrupt_bitmap[1] = 1ull << 3;

    X86CPUState mid;
    memset(&mid, 0, sizeof(mid));
    kvm_sregs_to_x86(&mid, &k);
    back = k;
    memset(&back, 0, offsetof(struct kvm_sregs, interrupt_bitmap));
    kvm_sregs_from_x86(&back, &mid);
    EXPECT_EQ(memcmp(&k, &back, sizeof(k)), 0);
}

TEST(KvmRegs, KvmFpuRoundTrip)
{
    struct kvm_fpu k;
    memset(&k, 0, sizeof(k));
    for (int i = 0; i < 8; i++) {
        for (int b = 0; b < 10; b++) {
            k.fpr[i][b] = (uint8_t)(i * 10 + b + 1);
        }
    }
    k.fcw = 0x37f;
    k.fsw = 5 << 11;
    k.ftwx = 0xe0;
    k.last_opcode = 0x7ff;
    k.last_ip = 0x1234;
    k.last_dp = 0x5678;
    for (int i = 0; i < 16; i++) {
        k.xmm[i][i] = (uint8_t)(0xf0 + i);
    }
    k.mxcsr = 0x1f80;

    X86CPUState s;
    memset(&s, 0, sizeof(s));
    kvm_fpu_to_x86(&s, &k);
    struct kvm_fpu back;
    kvm_fpu_from_x86(&back, &s);
    EXPECT_EQ(memcmp(&k, &back, sizeof(k)), 0);
}

TEST(KvmRegs, XsaveRoundTripKeepsOtherComponents)
{
    auto *k = new struct kvm_xsave;
    memset(k, 0, sizeof(*k));
    uint8_t *x = reinterpret_cast<uint8_t *>(k->region);
    uint32_t mxcsr_mask = 0xffff;
    memcpy(x + 28, &mxcsr_mask, 4);
    x[576] = 0xab;                  /* first byte of the AVX component */
    uint64_t bv = 1ull << 2;
    memcpy(x + 512, &bv, 8);

    X86CPUState in = Sample();
    kvm_xsave_from_x86(k, &in);
    uint32_t mxcsr;
    memcpy(&mxcsr, x + 24, 4);
    EXPECT_EQ(mxcsr, in.mxcsr);
    memcpy(&mxcsr_mask, x + 28, 4);
    EXPECT_EQ(mxcsr_mask, 0xffffu);
    EXPECT_EQ(x[576], 0xab);
    memcpy(&bv, x + 512, 8);
    EXPECT_EQ(bv, 7u);              /* x87 and SSE added, AVX kept */
    uint16_t fcw;
    memcpy(&fcw, x, 2);
    EXPECT_EQ(fcw, in.fcw);

    X86CPUState out = in;
    memset(out.st, 0, sizeof(out.st));
    memset(out.xmm, 0, sizeof(out.xmm));
    out.mxcsr = out.fcw = out.fsw = out.ftw = out.fop = 0;
    out.fip = out.fdp = 0;
    kvm_xsave_to_x86(&out, k);
    ExpectSameState(in, out);
    delete k;
}

TEST(KvmRegs, FpuStackOrderToPhysical)
{
    /* FXSAVE order: fpr[0] is ST0 = R(TOP). */
    X86CPUState s;
    memset(&s, 0, sizeof(s));
    s.fsw = 6 << 11;
    for (int i = 0; i < 8; i++) {
        s.st[i].mant = 100 + i;
    }
    struct kvm_fpu k;
    kvm_fpu_from_x86(&k, &s);
    for (int i = 0; i < 8; i++) {
        uint64_t mant;
        memcpy(&mant, k.fpr[i], 8);
        EXPECT_EQ(mant, 100u + ((6 + i) & 7)) << "ST" << i;
    }
}

TEST(KvmRegs, MsrList)
{
    uint32_t idx[KVM_X86_MAX_MSRS];
    unsigned n = kvm_msr_indices(idx, false);
    unsigned n_aux = kvm_msr_indices(idx, true);
    EXPECT_EQ(n_aux, n + 1);
    EXPECT_EQ(idx[n], (uint32_t)MSR_TSC_AUX);
    const uint32_t wanted[] = {
        MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_FMASK, MSR_KERNEL_GS_BASE,
        MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
        MSR_IA32_TSC, MSR_IA32_PAT, MSR_IA32_MISC_ENABLE,
    };
    for (uint32_t msr : wanted) {
        bool found = false;
        for (unsigned i = 0; i < n; i++) {
            found |= idx[i] == msr;
        }
        EXPECT_TRUE(found) << std::hex << msr;
    }
}

TEST(KvmRegs, MsrValues)
{
    X86CPUState s = Sample();
    struct kvm_msr_entry e[KVM_X86_MAX_MSRS];
    unsigned n = kvm_msrs_from_x86(e, &s, false);
    for (unsigned i = 0; i < n; i++) {
        if (e[i].index == MSR_LSTAR) {
            EXPECT_EQ(e[i].data, s.lstar);
        }
        EXPECT_NE(e[i].index, (uint32_t)MSR_TSC_AUX);
    }
    struct kvm_msr_entry unknown = {};
    unknown.index = 0x12345;
    EXPECT_FALSE(kvm_msrs_to_x86(&s, &unknown, 1));
}

TEST(KvmRegs, MpState)
{
    EXPECT_EQ(kvm_mp_state_from_x86(X86_MP_RUNNABLE, KVM_MP_STATE_HALTED),
              (uint32_t)KVM_MP_STATE_RUNNABLE);
    EXPECT_EQ(kvm_mp_state_from_x86(X86_MP_HALTED, KVM_MP_STATE_RUNNABLE),
              (uint32_t)KVM_MP_STATE_HALTED);
    EXPECT_EQ(kvm_mp_state_from_x86(X86_MP_WAIT_SIPI, KVM_MP_STATE_RUNNABLE),
              (uint32_t)KVM_MP_STATE_UNINITIALIZED);
    /* An AP that had its INIT keeps waiting for the SIPI only. */
    EXPECT_EQ(kvm_mp_state_from_x86(X86_MP_WAIT_SIPI, KVM_MP_STATE_INIT_RECEIVED),
              (uint32_t)KVM_MP_STATE_INIT_RECEIVED);
    EXPECT_EQ(kvm_mp_state_to_x86(KVM_MP_STATE_UNINITIALIZED), X86_MP_WAIT_SIPI);
    EXPECT_EQ(kvm_mp_state_to_x86(KVM_MP_STATE_INIT_RECEIVED), X86_MP_WAIT_SIPI);
    EXPECT_EQ(kvm_mp_state_to_x86(KVM_MP_STATE_HALTED), X86_MP_HALTED);
    EXPECT_EQ(kvm_mp_state_to_x86(KVM_MP_STATE_RUNNABLE), X86_MP_RUNNABLE);
    EXPECT_EQ(kvm_mp_state_to_x86(KVM_MP_STATE_SIPI_RECEIVED), X86_MP_RUNNABLE);
}

TEST(KvmRegs, EventsKeepWhatStateDoesNotHold)
{
    struct kvm_vcpu_events ev;
    memset(&ev, 0, sizeof(ev));
    ev.exception.injected = 1;
    ev.exception.nr = 14;
    ev.interrupt.injected = 1;
    ev.interrupt.nr = 0x30;
    ev.nmi.pending = 1;
    ev.flags = KVM_VCPUEVENT_VALID_SMM;

    X86CPUState s = Sample();
    kvm_events_from_x86(&ev, &s);
    EXPECT_EQ(ev.exception.nr, 14);
    EXPECT_EQ(ev.interrupt.nr, 0x30);
    EXPECT_EQ(ev.nmi.pending, 1);
    EXPECT_EQ(ev.interrupt.shadow, KVM_X86_SHADOW_INT_STI);
    EXPECT_EQ(ev.sipi_vector, 0x9au);
    EXPECT_EQ(ev.flags, (uint32_t)(KVM_VCPUEVENT_VALID_SMM |
                                   KVM_VCPUEVENT_VALID_SHADOW |
                                   KVM_VCPUEVENT_VALID_SIPI_VECTOR));

    ev.interrupt.shadow = KVM_X86_SHADOW_INT_MOV_SS;
    kvm_events_to_x86(&s, &ev);
    EXPECT_TRUE(s.interrupt_shadow);
    ev.interrupt.shadow = 0;
    kvm_events_to_x86(&s, &ev);
    EXPECT_FALSE(s.interrupt_shadow);
}

}  // namespace
