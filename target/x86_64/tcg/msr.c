/*
 * Model-specific registers.  Unknown MSRs fail (the caller raises #GP),
 * as on hardware; MTRRs are stored but have no effect (MTRRcap says there
 * are no variable ranges).
 */
#include "target/x86_64/tcg/tcg_cpu.h"

#define MSR_BIOS_SIGN_ID        0x8b
#define MSR_MTRRCAP             0xfe
#define MSR_MCG_CAP             0x179
#define MSR_MCG_STATUS          0x17a
#define MSR_DEBUGCTL            0x1d9
#define MSR_MTRR_PHYS_BASE0     0x200
#define MSR_MTRR_FIX64K         0x250
#define MSR_MTRR_FIX16K_80000   0x258
#define MSR_MTRR_FIX16K_A0000   0x259
#define MSR_MTRR_FIX4K_C0000    0x268
#define MSR_MTRR_DEF_TYPE       0x2ff

#define EFER_WRITABLE (X86_EFER_SCE | X86_EFER_LME | X86_EFER_NXE)

static int mtrr_fixed_index(uint32_t idx)
{
    if (idx == MSR_MTRR_FIX64K) {
        return 0;
    }
    if (idx == MSR_MTRR_FIX16K_80000 || idx == MSR_MTRR_FIX16K_A0000) {
        return 1 + idx - MSR_MTRR_FIX16K_80000;
    }
    if (idx >= MSR_MTRR_FIX4K_C0000 && idx < MSR_MTRR_FIX4K_C0000 + 8) {
        return 3 + idx - MSR_MTRR_FIX4K_C0000;
    }
    return -1;
}

bool x86_rdmsr(X86TCGCPU *env, uint32_t idx, uint64_t *val)
{
    X86CPUState *s = &env->s;
    int fi = mtrr_fixed_index(idx);

    if (fi >= 0) {
        *val = env->mtrr_fixed[fi];
        return true;
    }
    if (idx >= MSR_MTRR_PHYS_BASE0 && idx < MSR_MTRR_PHYS_BASE0 + 16) {
        *val = env->mtrr_var[idx - MSR_MTRR_PHYS_BASE0];
        return true;
    }
    switch (idx) {
    case MSR_IA32_TSC: *val = x86_read_tsc(env); return true;
    case MSR_IA32_APICBASE: *val = s->apic_base; return true;
    case MSR_IA32_SYSENTER_CS: *val = s->sysenter_cs; return true;
    case MSR_IA32_SYSENTER_ESP: *val = s->sysenter_esp; return true;
    case MSR_IA32_SYSENTER_EIP: *val = s->sysenter_eip; return true;
    case MSR_IA32_MISC_ENABLE: *val = s->misc_enable; return true;
    case MSR_IA32_PAT: *val = s->pat; return true;
    case MSR_BIOS_SIGN_ID: *val = 0; return true;
    case MSR_MTRRCAP: *val = 0; return true;
    case MSR_MCG_CAP: *val = 0; return true;
    case MSR_MCG_STATUS: *val = 0; return true;
    case MSR_DEBUGCTL: *val = 0; return true;
    case MSR_MTRR_DEF_TYPE: *val = env->mtrr_def_type; return true;
    case MSR_EFER: *val = s->efer; return true;
    case MSR_STAR: *val = s->star; return true;
    case MSR_LSTAR: *val = s->lstar; return true;
    case MSR_CSTAR: *val = s->cstar; return true;
    case MSR_FMASK: *val = s->fmask; return true;
    case MSR_FS_BASE: *val = s->segs[SEG_FS].base; return true;
    case MSR_GS_BASE: *val = s->segs[SEG_GS].base; return true;
    case MSR_KERNEL_GS_BASE: *val = s->kernel_gs_base; return true;
    case MSR_TSC_AUX: *val = s->tsc_aux; return true;
    default:
        return false;
    }
}

static bool canonical(uint64_t v)
{
    return (uint64_t)(((int64_t)v << 16) >> 16) == v;
}

static bool write_efer(X86TCGCPU *env, uint64_t val)
{
    uint64_t old = env->s.efer;

    if (val & ~(EFER_WRITABLE | X86_EFER_LMA)) {
        return false;
    }
    /* LME cannot change while paging is on; LMA is read-only. */
    if ((env->s.cr0 & X86_CR0_PG) && ((val ^ old) & X86_EFER_LME)) {
        return false;
    }
    env->s.efer = (val & EFER_WRITABLE) | (old & X86_EFER_LMA);
    if ((old ^ val) & X86_EFER_NXE) {
        x86_tlb_flush(env, false);
    }
    x86_update_hflags(env);
    return true;
}

bool x86_wrmsr(X86TCGCPU *env, uint32_t idx, uint64_t val)
{
    X86CPUState *s = &env->s;
    int fi = mtrr_fixed_index(idx);

    if (fi >= 0) {
        env->mtrr_fixed[fi] = val;
        return true;
    }
    if (idx >= MSR_MTRR_PHYS_BASE0 && idx < MSR_MTRR_PHYS_BASE0 + 16) {
        env->mtrr_var[idx - MSR_MTRR_PHYS_BASE0] = val;
        return true;
    }
    switch (idx) {
    case MSR_IA32_TSC: x86_write_tsc(env, val); return true;
    case MSR_IA32_APICBASE:
        s->apic_base = (val & ~(uint64_t)MSR_APICBASE_BSP) |
                       (s->apic_base & MSR_APICBASE_BSP);
        return true;
    case MSR_IA32_SYSENTER_CS: s->sysenter_cs = val & 0xffff; return true;
    case MSR_IA32_SYSENTER_ESP: s->sysenter_esp = val; return true;
    case MSR_IA32_SYSENTER_EIP: s->sysenter_eip = val; return true;
    case MSR_IA32_MISC_ENABLE: s->misc_enable = val; return true;
    case MSR_IA32_PAT: s->pat = val; return true;
    case MSR_BIOS_SIGN_ID: return true;
    case MSR_MCG_STATUS: return true;
    case MSR_DEBUGCTL: return val == 0;
    case MSR_MTRR_DEF_TYPE: env->mtrr_def_type = val; return true;
    case MSR_EFER: return write_efer(env, val);
    case MSR_STAR: s->star = val; return true;
    case MSR_LSTAR:
    case MSR_CSTAR:
    case MSR_FS_BASE:
    case MSR_GS_BASE:
    case MSR_KERNEL_GS_BASE:
        if (!canonical(val)) {
            return false;
        }
        if (idx == MSR_LSTAR) {
            s->lstar = val;
        } else if (idx == MSR_CSTAR) {
            s->cstar = val;
        } else if (idx == MSR_FS_BASE) {
            s->segs[SEG_FS].base = val;
        } else if (idx == MSR_GS_BASE) {
            s->segs[SEG_GS].base = val;
        } else {
            s->kernel_gs_base = val;
        }
        return true;
    case MSR_FMASK: s->fmask = (uint32_t)val; return true;
    case MSR_TSC_AUX: s->tsc_aux = (uint32_t)val; return true;
    default:
        return false;
    }
}
