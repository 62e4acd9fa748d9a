/*
 * Conversions between KVM's x86 register structures and X86CPUState.
 */
#include <stddef.h>
#include <string.h>

#include "target/x86_64/kvm/kvm_regs.h"

void kvm_regs_from_x86(struct kvm_regs *k, const X86CPUState *s)
{
    k->rax = s->regs[R_RAX];
    k->rbx = s->regs[R_RBX];
    k->rcx = s->regs[R_RCX];
    k->rdx = s->regs[R_RDX];
    k->rsi = s->regs[R_RSI];
    k->rdi = s->regs[R_RDI];
    k->rsp = s->regs[R_RSP];
    k->rbp = s->regs[R_RBP];
    k->r8 = s->regs[R_R8];
    k->r9 = s->regs[R_R9];
    k->r10 = s->regs[R_R10];
    k->r11 = s->regs[R_R11];
    k->r12 = s->regs[R_R12];
    k->r13 = s->regs[R_R13];
    k->r14 = s->regs[R_R14];
    k->r15 = s->regs[R_R15];
    k->rip = s->rip;
    k->rflags = s->rflags;
}

void kvm_regs_to_x86(X86CPUState *s, const struct kvm_regs *k)
{
    s->regs[R_RAX] = k->rax;
    s->regs[R_RBX] = k->rbx;
    s->regs[R_RCX] = k->rcx;
    s->regs[R_RDX] = k->rdx;
    s->regs[R_RSI] = k->rsi;
    s->regs[R_RDI] = k->rdi;
    s->regs[R_RSP] = k->rsp;
    s->regs[R_RBP] = k->rbp;
    s->regs[R_R8] = k->r8;
    s->regs[R_R9] = k->r9;
    s->regs[R_R10] = k->r10;
    s->regs[R_R11] = k->r11;
    s->regs[R_R12] = k->r12;
    s->regs[R_R13] = k->r13;
    s->regs[R_R14] = k->r14;
    s->regs[R_R15] = k->r15;
    s->rip = k->rip;
    s->rflags = k->rflags;
}

void kvm_segment_from_x86(struct kvm_segment *k, const X86Segment *seg)
{
    unsigned a = seg->attrib;

    memset(k, 0, sizeof(*k));
    k->base = seg->base;
    k->limit = seg->limit;
    k->selector = seg->selector;
    k->type = SEG_ATTR_TYPE(a);
    k->s = !!(a & SEG_ATTR_S);
    k->dpl = SEG_ATTR_DPL(a);
    k->present = !!(a & SEG_ATTR_P);
    k->avl = !!(a & SEG_ATTR_AVL);
    k->l = !!(a & SEG_ATTR_L);
    k->db = !!(a & SEG_ATTR_DB);
    k->g = !!(a & SEG_ATTR_G);
    k->unusable = !k->present;
}

void kvm_segment_to_x86(X86Segment *seg, const struct kvm_segment *k)
{
    seg->base = k->base;
    seg->limit = k->limit;
    seg->selector = k->selector;
    seg->attrib = (uint16_t)((k->type & 0xf) | (k->s ? SEG_ATTR_S : 0) |
                             (k->dpl & 3) << SEG_ATTR_DPL_SHIFT |
                             (k->present && !k->unusable ? SEG_ATTR_P : 0) |
                             (k->avl ? SEG_ATTR_AVL : 0) |
                             (k->l ? SEG_ATTR_L : 0) |
                             (k->db ? SEG_ATTR_DB : 0) |
                             (k->g ? SEG_ATTR_G : 0));
}

/* kvm_sregs' segments, indexed like X86CPUState's. */
static const size_t sregs_seg_offset[SEG_COUNT] = {
    [SEG_ES] = offsetof(struct kvm_sregs, es),
    [SEG_CS] = offsetof(struct kvm_sregs, cs),
    [SEG_SS] = offsetof(struct kvm_sregs, ss),
    [SEG_DS] = offsetof(struct kvm_sregs, ds),
    [SEG_FS] = offsetof(struct kvm_sregs, fs),
    [SEG_GS] = offsetof(struct kvm_sregs, gs),
    [SEG_LDTR] = offsetof(struct kvm_sregs, ldt),
    [SEG_TR] = offsetof(struct kvm_sregs, tr),
};

void kvm_sregs_from_x86(struct kvm_sregs *k, const X86CPUState *s)
{
    for (unsigned i = 0; i < SEG_COUNT; i++) {
        kvm_segment_from_x86((struct kvm_segment *)((char *)k +
                                                    sregs_seg_offset[i]),
                             &s->segs[i]);
    }
    memset(&k->gdt, 0, sizeof(k->gdt));
    memset(&k->idt, 0, sizeof(k->idt));
    k->gdt.base = s->gdt.base;
    k->gdt.limit = s->gdt.limit;
    k->idt.base = s->idt.base;
    k->idt.limit = s->idt.limit;
    k->cr0 = s->cr0;
    k->cr2 = s->cr2;
    k->cr3 = s->cr3;
    k->cr4 = s->cr4;
    k->cr8 = s->cr8;
    k->efer = s->efer;
    k->apic_base = s->apic_base;
}

void kvm_sregs_to_x86(X86CPUState *s, const struct kvm_sregs *k)
{
    for (unsigned i = 0; i < SEG_COUNT; i++) {
        kvm_segment_to_x86(&s->segs[i],
                           (const struct kvm_segment *)((const char *)k +
                                                        sregs_seg_offset[i]));
    }
    s->gdt.base = k->gdt.base;
    s->gdt.limit = k->gdt.limit;
    s->idt.base = k->idt.base;
    s->idt.limit = k->idt.limit;
    s->cr0 = k->cr0;
    s->cr2 = k->cr2;
    s->cr3 = k->cr3;
    s->cr4 = k->cr4;
    s->cr8 = k->cr8;
    s->efer = k->efer;
    s->apic_base = k->apic_base;
}

static unsigned fpu_top(uint16_t fsw)
{
    return (fsw >> 11) & 7;
}

void kvm_fpu_from_x86(struct kvm_fpu *k, const X86CPUState *s)
{
    unsigned top = fpu_top(s->fsw);

    memset(k, 0, sizeof(*k));
    for (unsigned i = 0; i < 8; i++) {
        const X86FPReg *r = &s->st[(top + i) & 7];

        memcpy(&k->fpr[i][0], &r->mant, 8);
        memcpy(&k->fpr[i][8], &r->sign_exp, 2);
    }
    k->fcw = s->fcw;
    k->fsw = s->fsw;
    k->ftwx = s->ftw;
    k->last_opcode = s->fop;
    k->last_ip = s->fip;
    k->last_dp = s->fdp;
    memcpy(k->xmm, s->xmm, sizeof(k->xmm));
    k->mxcsr = s->mxcsr;
}

void kvm_fpu_to_x86(X86CPUState *s, const struct kvm_fpu *k)
{
    unsigned top = fpu_top(k->fsw);

    for (unsigned i = 0; i < 8; i++) {
        X86FPReg *r = &s->st[(top + i) & 7];

        memcpy(&r->mant, &k->fpr[i][0], 8);
        memcpy(&r->sign_exp, &k->fpr[i][8], 2);
    }
    s->fcw = k->fcw;
    s->fsw = k->fsw;
    s->ftw = k->ftwx;
    s->fop = k->last_opcode;
    s->fip = k->last_ip;
    s->fdp = k->last_dp;
    memcpy(s->xmm, k->xmm, sizeof(s->xmm));
    s->mxcsr = k->mxcsr;
}

/* FXSAVE layout of XSAVE's legacy region, and the XSAVE header. */
enum {
    FXSAVE_FCW = 0,
    FXSAVE_FSW = 2,
    FXSAVE_FTW = 4,
    FXSAVE_FOP = 6,
    FXSAVE_FIP = 8,
    FXSAVE_FDP = 16,
    FXSAVE_MXCSR = 24,
    FXSAVE_ST = 32,
    FXSAVE_XMM = 160,
    XSAVE_XSTATE_BV = 512,
};

#define XSTATE_X87_SSE 3ull

void kvm_xsave_from_x86(struct kvm_xsave *k, const X86CPUState *s)
{
    uint8_t *x = (uint8_t *)k->region;
    struct kvm_fpu fpu;
    uint64_t bv;

    kvm_fpu_from_x86(&fpu, s);
    memcpy(x + FXSAVE_FCW, &fpu.fcw, 2);
    memcpy(x + FXSAVE_FSW, &fpu.fsw, 2);
    x[FXSAVE_FTW] = fpu.ftwx;
    x[FXSAVE_FTW + 1] = 0;
    memcpy(x + FXSAVE_FOP, &fpu.last_opcode, 2);
    memcpy(x + FXSAVE_FIP, &fpu.last_ip, 8);
    memcpy(x + FXSAVE_FDP, &fpu.last_dp, 8);
    memcpy(x + FXSAVE_MXCSR, &fpu.mxcsr, 4);
    memcpy(x + FXSAVE_ST, fpu.fpr, sizeof(fpu.fpr));
    memcpy(x + FXSAVE_XMM, fpu.xmm, sizeof(fpu.xmm));
    memcpy(&bv, x + XSAVE_XSTATE_BV, 8);
    bv |= XSTATE_X87_SSE;
    memcpy(x + XSAVE_XSTATE_BV, &bv, 8);
}

void kvm_xsave_to_x86(X86CPUState *s, const struct kvm_xsave *k)
{
    const uint8_t *x = (const uint8_t *)k->region;
    struct kvm_fpu fpu;

    memset(&fpu, 0, sizeof(fpu));
    memcpy(&fpu.fcw, x + FXSAVE_FCW, 2);
    memcpy(&fpu.fsw, x + FXSAVE_FSW, 2);
    fpu.ftwx = x[FXSAVE_FTW];
    memcpy(&fpu.last_opcode, x + FXSAVE_FOP, 2);
    memcpy(&fpu.last_ip, x + FXSAVE_FIP, 8);
    memcpy(&fpu.last_dp, x + FXSAVE_FDP, 8);
    memcpy(&fpu.mxcsr, x + FXSAVE_MXCSR, 4);
    memcpy(fpu.fpr, x + FXSAVE_ST, sizeof(fpu.fpr));
    memcpy(fpu.xmm, x + FXSAVE_XMM, sizeof(fpu.xmm));
    kvm_fpu_to_x86(s, &fpu);
}

void kvm_debugregs_from_x86(struct kvm_debugregs *k, const X86CPUState *s)
{
    memset(k, 0, sizeof(*k));
    for (unsigned i = 0; i < 4; i++) {
        k->db[i] = s->dr[i];
    }
    k->dr6 = s->dr[6];
    k->dr7 = s->dr[7];
}

void kvm_debugregs_to_x86(X86CPUState *s, const struct kvm_debugregs *k)
{
    for (unsigned i = 0; i < 4; i++) {
        s->dr[i] = k->db[i];
    }
    s->dr[6] = k->dr6;
    s->dr[7] = k->dr7;
}

static const struct {
    uint32_t index;
    size_t offset;
} msr_fields[] = {
    { MSR_STAR, offsetof(X86CPUState, star) },
    { MSR_LSTAR, offsetof(X86CPUState, lstar) },
    { MSR_CSTAR, offsetof(X86CPUState, cstar) },
    { MSR_FMASK, offsetof(X86CPUState, fmask) },
    { MSR_KERNEL_GS_BASE, offsetof(X86CPUState, kernel_gs_base) },
    { MSR_IA32_SYSENTER_CS, offsetof(X86CPUState, sysenter_cs) },
    { MSR_IA32_SYSENTER_ESP, offsetof(X86CPUState, sysenter_esp) },
    { MSR_IA32_SYSENTER_EIP, offsetof(X86CPUState, sysenter_eip) },
    { MSR_IA32_TSC, offsetof(X86CPUState, tsc) },
    { MSR_IA32_PAT, offsetof(X86CPUState, pat) },
    { MSR_IA32_MISC_ENABLE, offsetof(X86CPUState, misc_enable) },
    /* Last: present only when the host supports it. */
    { MSR_TSC_AUX, offsetof(X86CPUState, tsc_aux) },
};

#define MSR_FIELDS_COUNT (sizeof(msr_fields) / sizeof(msr_fields[0]))

_Static_assert(MSR_FIELDS_COUNT <= KVM_X86_MAX_MSRS, "KVM_X86_MAX_MSRS too small");

unsigned kvm_msr_indices(uint32_t *indices, bool with_tsc_aux)
{
    unsigned n = with_tsc_aux ? MSR_FIELDS_COUNT : MSR_FIELDS_COUNT - 1;

    for (unsigned i = 0; i < n; i++) {
        indices[i] = msr_fields[i].index;
    }
    return n;
}

unsigned kvm_msrs_from_x86(struct kvm_msr_entry *entries,
                           const X86CPUState *s, bool with_tsc_aux)
{
    unsigned n = with_tsc_aux ? MSR_FIELDS_COUNT : MSR_FIELDS_COUNT - 1;

    for (unsigned i = 0; i < n; i++) {
        memset(&entries[i], 0, sizeof(entries[i]));
        entries[i].index = msr_fields[i].index;
        memcpy(&entries[i].data, (const char *)s + msr_fields[i].offset,
               sizeof(uint64_t));
    }
    return n;
}

bool kvm_msrs_to_x86(X86CPUState *s, const struct kvm_msr_entry *entries,
                     unsigned n)
{
    bool all_known = true;

    for (unsigned i = 0; i < n; i++) {
        unsigned j = 0;

        while (j < MSR_FIELDS_COUNT && msr_fields[j].index != entries[i].index) {
            j++;
        }
        if (j == MSR_FIELDS_COUNT) {
            all_known = false;
            continue;
        }
        memcpy((char *)s + msr_fields[j].offset, &entries[i].data,
               sizeof(uint64_t));
    }
    return all_known;
}

uint32_t kvm_mp_state_from_x86(X86MPState state, uint32_t prev)
{
    switch (state) {
    case X86_MP_HALTED:
        return KVM_MP_STATE_HALTED;
    case X86_MP_WAIT_SIPI:
        return prev == KVM_MP_STATE_INIT_RECEIVED ? KVM_MP_STATE_INIT_RECEIVED
                                                  : KVM_MP_STATE_UNINITIALIZED;
    case X86_MP_RUNNABLE:
    default:
        return KVM_MP_STATE_RUNNABLE;
    }
}

X86MPState kvm_mp_state_to_x86(uint32_t kvm_state)
{
    switch (kvm_state) {
    case KVM_MP_STATE_HALTED:
        return X86_MP_HALTED;
    case KVM_MP_STATE_UNINITIALIZED:
    case KVM_MP_STATE_INIT_RECEIVED:
        return X86_MP_WAIT_SIPI;
    default:
        /* SIPI_RECEIVED is transient: the vCPU runs from the SIPI vector. */
        return X86_MP_RUNNABLE;
    }
}

void kvm_events_from_x86(struct kvm_vcpu_events *k, const X86CPUState *s)
{
    k->interrupt.shadow = s->interrupt_shadow ? KVM_X86_SHADOW_INT_STI : 0;
    k->sipi_vector = s->sipi_vector;
    k->flags |= KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_SIPI_VECTOR;
}

void kvm_events_to_x86(X86CPUState *s, const struct kvm_vcpu_events *k)
{
    s->interrupt_shadow = k->interrupt.shadow != 0;
    s->sipi_vector = (uint8_t)k->sipi_vector;
}
