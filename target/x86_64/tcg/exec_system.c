/*
 * System instructions: control and debug registers, descriptor tables,
 * privilege transitions (INT, IRET, SYSCALL/SYSRET, SYSENTER/SYSEXIT),
 * HLT, interrupt flag, MSRs, TSC, CPUID and port I/O.
 */
#include "core/error.h"
#include "target/x86_64/tcg/tcg_cpu.h"

static void need_cpl0(X86TCGCPU *env)
{
    if (env->cpl != 0) {
        x86_raise(env, EXCP_GP, 0);
    }
}

static unsigned iopl(X86TCGCPU *env)
{
    return (env->s.rflags >> 12) & 3;
}

H(op_hlt)
{
    (void)insn;
    need_cpl0(env);
    env->s.mp_state = X86_MP_HALTED;
    end_block(env);
}

H(op_cli)
{
    (void)insn;
    if (env->pe && env->cpl > iopl(env)) {
        x86_raise(env, EXCP_GP, 0);
    }
    env->s.rflags &= ~(uint64_t)X86_FLAG_IF;
}

H(op_sti)
{
    (void)insn;
    if (env->pe && env->cpl > iopl(env)) {
        x86_raise(env, EXCP_GP, 0);
    }
    if (!(env->s.rflags & X86_FLAG_IF)) {
        env->s.rflags |= X86_FLAG_IF;
        env->s.interrupt_shadow = true;
    }
    end_block(env);
}

H(op_pushf)
{
    uint64_t f = x86_get_rflags(env) & ~(uint64_t)(X86_FLAG_VM | X86_FLAG_RF);

    x86_push(env, insn->size, f);
}

H(op_popf)
{
    uint64_t v = x86_pop(env, insn->size);
    uint64_t mask = CC_MASK | X86_FLAG_TF | X86_FLAG_DF | X86_FLAG_NT |
                    X86_FLAG_AC | X86_FLAG_ID;

    if (env->cpl == 0) {
        mask |= X86_FLAG_IOPL;
    }
    if (!env->pe || env->cpl <= iopl(env)) {
        mask |= X86_FLAG_IF;
    }
    if (insn->size == 2) {
        mask &= 0xffff;
    }
    x86_set_rflags(env, v, mask);
    end_block(env);
}

H(op_int3)
{
    (void)insn;
    x86_raise_soft(env, EXCP_BP, env->next_rip);
}

H(op_int)
{
    x86_raise_soft(env, insn->imm & 0xff, env->next_rip);
}

H(op_into)
{
    (void)insn;
    if (x86_cond(env, 0)) {
        x86_raise_soft(env, EXCP_OF, env->next_rip);
    }
}

H(op_int1)
{
    (void)insn;
    x86_raise_soft(env, EXCP_DB, env->next_rip);
}

H(op_iret)
{
    x86_iret(env, insn->size);
}

/* ------------------------------------------------------------------ */
/* Fast system calls */

static void set_flat(X86Segment *sg, uint16_t sel, unsigned type, unsigned dpl,
                     bool l)
{
    sg->selector = sel;
    sg->base = 0;
    sg->limit = 0xffffffff;
    sg->attrib = x86_seg_attrib(type, true, dpl, l, !l, true);
}

H(op_syscall)
{
    uint16_t sel = (env->s.star >> 32) & 0xffff;
    uint64_t flags;

    (void)insn;
    if (!(env->s.efer & X86_EFER_SCE)) {
        x86_raise_noerr(env, EXCP_UD);
    }
    flags = x86_get_rflags(env) & ~(uint64_t)X86_FLAG_RF;
    if (env->lma) {
        env->s.regs[R_RCX] = env->next_rip;
        env->s.regs[R_R11] = flags;
        set_flat(&env->s.segs[SEG_CS], sel & ~3, 0xb, 0, true);
        set_flat(&env->s.segs[SEG_SS], (sel + 8) & ~3, 0x3, 0, false);
        x86_set_rflags(env, flags & ~env->s.fmask, ~0ull);
        env->next_rip = x86_64bit(env) ? env->s.lstar : env->s.cstar;
    } else {
        env->s.regs[R_RCX] = (uint32_t)env->next_rip;
        set_flat(&env->s.segs[SEG_CS], sel & ~3, 0xb, 0, false);
        set_flat(&env->s.segs[SEG_SS], (sel + 8) & ~3, 0x3, 0, false);
        env->s.rflags &= ~(uint64_t)(X86_FLAG_IF | X86_FLAG_RF | X86_FLAG_VM);
        env->next_rip = (uint32_t)env->s.star;
    }
    env->s.rflags &= ~(uint64_t)X86_FLAG_RF;
    x86_update_hflags(env);
    end_block(env);
}

H(op_sysret)
{
    uint16_t sel = (env->s.star >> 48) & 0xffff;

    if (!(env->s.efer & X86_EFER_SCE)) {
        x86_raise_noerr(env, EXCP_UD);
    }
    need_cpl0(env);
    if (!env->pe) {
        x86_raise(env, EXCP_GP, 0);
    }
    if (env->lma) {
        uint64_t flags = env->s.regs[R_R11];

        if (insn->pfx & PFX_REXW) {
            uint64_t rip = env->s.regs[R_RCX];

            if ((uint64_t)(((int64_t)rip << 16) >> 16) != rip) {
                x86_raise(env, EXCP_GP, 0);
            }
            set_flat(&env->s.segs[SEG_CS], (sel + 16) | 3, 0xb, 3, true);
            env->next_rip = rip;
        } else {
            set_flat(&env->s.segs[SEG_CS], sel | 3, 0xb, 3, false);
            env->next_rip = (uint32_t)env->s.regs[R_RCX];
        }
        x86_set_rflags(env, (flags & 0x3c7fd7) | X86_FLAG_FIXED, ~0ull);
    } else {
        set_flat(&env->s.segs[SEG_CS], sel | 3, 0xb, 3, false);
        env->s.rflags |= X86_FLAG_IF;
        env->next_rip = (uint32_t)env->s.regs[R_RCX];
    }
    set_flat(&env->s.segs[SEG_SS], (sel + 8) | 3, 0x3, 3, false);
    x86_update_hflags(env);
    end_block(env);
}

H(op_sysenter)
{
    uint16_t sel = env->s.sysenter_cs & 0xfffc;

    (void)insn;
    if (!env->pe || sel == 0) {
        x86_raise(env, EXCP_GP, 0);
    }
    env->s.rflags &= ~(uint64_t)(X86_FLAG_IF | X86_FLAG_RF | X86_FLAG_VM);
    set_flat(&env->s.segs[SEG_CS], sel, 0xb, 0, env->lma);
    set_flat(&env->s.segs[SEG_SS], sel + 8, 0x3, 0, false);
    env->s.regs[R_RSP] = env->lma ? env->s.sysenter_esp
                                  : (uint32_t)env->s.sysenter_esp;
    env->next_rip = env->lma ? env->s.sysenter_eip
                             : (uint32_t)env->s.sysenter_eip;
    x86_update_hflags(env);
    end_block(env);
}

H(op_sysexit)
{
    uint16_t sel = env->s.sysenter_cs & 0xfffc;
    bool to64 = insn->pfx & PFX_REXW;

    if (!env->pe || sel == 0) {
        x86_raise(env, EXCP_GP, 0);
    }
    need_cpl0(env);
    set_flat(&env->s.segs[SEG_CS], (sel + (to64 ? 32 : 16)) | 3, 0xb, 3, to64);
    set_flat(&env->s.segs[SEG_SS], (sel + (to64 ? 40 : 24)) | 3, 0x3, 3,
             false);
    env->s.regs[R_RSP] = to64 ? env->s.regs[R_RCX]
                              : (uint32_t)env->s.regs[R_RCX];
    env->next_rip = to64 ? env->s.regs[R_RDX] : (uint32_t)env->s.regs[R_RDX];
    x86_update_hflags(env);
    end_block(env);
}

/* ------------------------------------------------------------------ */
/* MSRs, TSC, CPUID */

H(op_rdmsr)
{
    uint64_t v;

    (void)insn;
    need_cpl0(env);
    if (!x86_rdmsr(env, (uint32_t)env->s.regs[R_RCX], &v)) {
        x86_raise(env, EXCP_GP, 0);
    }
    env->s.regs[R_RAX] = (uint32_t)v;
    env->s.regs[R_RDX] = v >> 32;
}

H(op_wrmsr)
{
    uint64_t v = (uint32_t)env->s.regs[R_RAX] | (env->s.regs[R_RDX] << 32);

    (void)insn;
    need_cpl0(env);
    if (!x86_wrmsr(env, (uint32_t)env->s.regs[R_RCX], v)) {
        x86_raise(env, EXCP_GP, 0);
    }
    end_block(env);
}

H(op_rdtsc)
{
    uint64_t t;

    (void)insn;
    if ((env->s.cr4 & X86_CR4_TSD) && env->cpl != 0) {
        x86_raise(env, EXCP_GP, 0);
    }
    t = x86_read_tsc(env);
    env->s.regs[R_RAX] = (uint32_t)t;
    env->s.regs[R_RDX] = t >> 32;
}

H(op_rdtscp)
{
    op_rdtsc(env, insn);
    env->s.regs[R_RCX] = (uint32_t)env->s.tsc_aux;
}

H(op_cpuid)
{
    X86CPUIDContext ctx = {
        .apic_id = env->cpu->index,
        .ncpus = env->m->ncpus ? env->m->ncpus : 1,
        .tsc_khz = env->tsc_khz,
        .cr4 = env->s.cr4,
        .apic_base = env->s.apic_base,
    };
    uint32_t out[4];

    (void)insn;
    x86_cpuid(env->model, &ctx, (uint32_t)env->s.regs[R_RAX],
              (uint32_t)env->s.regs[R_RCX], out);
    env->s.regs[R_RAX] = out[0];
    env->s.regs[R_RBX] = out[1];
    env->s.regs[R_RCX] = out[2];
    env->s.regs[R_RDX] = out[3];
}

/* ------------------------------------------------------------------ */
/* Control and debug registers */

#define CR0_FIXED_RSVD  0xffffffff1ffaffc0ull
#define CR4_SUPPORTED   (X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD |          \
                         X86_CR4_DE | X86_CR4_PSE | X86_CR4_PAE |            \
                         X86_CR4_MCE | X86_CR4_PGE | X86_CR4_PCE |           \
                         X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT)

void x86_write_cr0(X86TCGCPU *env, uint64_t val)
{
    uint64_t old = env->s.cr0;

    if (val & CR0_FIXED_RSVD) {
        x86_raise(env, EXCP_GP, 0);
    }
    if (((val & X86_CR0_PG) && !(val & X86_CR0_PE)) ||
        ((val & X86_CR0_NW) && !(val & X86_CR0_CD))) {
        x86_raise(env, EXCP_GP, 0);
    }
    if ((val & X86_CR0_PG) && !(old & X86_CR0_PG) &&
        (env->s.efer & X86_EFER_LME)) {
        if (!(env->s.cr4 & X86_CR4_PAE)) {
            x86_raise(env, EXCP_GP, 0);
        }
        env->s.efer |= X86_EFER_LMA;
    }
    if (!(val & X86_CR0_PG) && (old & X86_CR0_PG)) {
        if (env->lma && x86_64bit(env)) {
            x86_raise(env, EXCP_GP, 0);
        }
        env->s.efer &= ~X86_EFER_LMA;
    }
    env->s.cr0 = val | X86_CR0_ET;
    if ((old ^ val) & (X86_CR0_PG | X86_CR0_WP | X86_CR0_PE)) {
        x86_tlb_flush(env, false);
    }
    x86_update_hflags(env);
}

void x86_write_cr3(X86TCGCPU *env, uint64_t val)
{
    env->s.cr3 = val;
    x86_tlb_flush(env, true);
}

void x86_write_cr4(X86TCGCPU *env, uint64_t val)
{
    uint64_t old = env->s.cr4;

    if (val & ~CR4_SUPPORTED) {
        x86_raise(env, EXCP_GP, 0);
    }
    if (env->lma && !(val & X86_CR4_PAE)) {
        x86_raise(env, EXCP_GP, 0);
    }
    env->s.cr4 = val;
    if ((old ^ val) & (X86_CR4_PGE | X86_CR4_PAE | X86_CR4_PSE)) {
        x86_tlb_flush(env, false);
    }
}

static uint64_t read_cr8(X86TCGCPU *env)
{
    if (env->m->intc && env->m->intc->get_tpr) {
        return env->m->intc->get_tpr(env->cpu);
    }
    return env->s.cr8;
}

H(op_mov_r_cr)
{
    uint64_t v;

    need_cpl0(env);
    switch (insn->reg) {
    case 0: v = env->s.cr0; break;
    case 2: v = env->s.cr2; break;
    case 3: v = env->s.cr3; break;
    case 4: v = env->s.cr4; break;
    case 8: v = read_cr8(env); break;
    default:
        x86_raise_noerr(env, EXCP_UD);
    }
    set_reg(env, insn->rm, insn->size, v);
}

H(op_mov_cr_r)
{
    uint64_t v = get_reg(env, insn->rm, insn->size);

    need_cpl0(env);
    switch (insn->reg) {
    case 0: x86_write_cr0(env, v); break;
    case 2: env->s.cr2 = v; break;
    case 3: x86_write_cr3(env, v); break;
    case 4: x86_write_cr4(env, v); break;
    case 8:
        if (v & ~0xfull) {
            x86_raise(env, EXCP_GP, 0);
        }
        env->s.cr8 = v;
        if (env->m->intc && env->m->intc->set_tpr) {
            env->m->intc->set_tpr(env->cpu, v);
        }
        env->irq_hint = true;
        break;
    default:
        x86_raise_noerr(env, EXCP_UD);
    }
    end_block(env);
}

static unsigned dr_index(X86TCGCPU *env, unsigned r)
{
    if (r == 4 || r == 5) {
        if (env->s.cr4 & X86_CR4_DE) {
            x86_raise_noerr(env, EXCP_UD);
        }
        r += 2;
    }
    if (r > 7) {
        x86_raise_noerr(env, EXCP_UD);
    }
    return r;
}

H(op_mov_r_dr)
{
    need_cpl0(env);
    set_reg(env, insn->rm, insn->size, env->s.dr[dr_index(env, insn->reg)]);
}

H(op_mov_dr_r)
{
    unsigned r;

    need_cpl0(env);
    r = dr_index(env, insn->reg);
    env->s.dr[r] = get_reg(env, insn->rm, insn->size);
    if (r == 6) {
        env->s.dr[6] |= 0xffff0ff0;
    } else if (r == 7) {
        env->s.dr[7] |= 0x400;
    }
}

H(op_clts)
{
    (void)insn;
    need_cpl0(env);
    env->s.cr0 &= ~X86_CR0_TS;
}

H(op_smsw)
{
    if (insn->mod == 3) {
        set_reg(env, insn->rm, insn->size, env->s.cr0);
    } else {
        st_rm(env, insn, 2, env->s.cr0 & 0xffff);
    }
}

H(op_lmsw)
{
    uint64_t v = ld_rm(env, insn, 2) & 0xf;

    need_cpl0(env);
    /* LMSW can set PE but never clear it. */
    x86_write_cr0(env, (env->s.cr0 & ~0xeull) | v | (env->s.cr0 & 1));
    end_block(env);
}

H(op_invlpg)
{
    need_cpl0(env);
    x86_tlb_flush_page(env, insn_ea(env, insn));
}

H(op_swapgs)
{
    uint64_t t;

    (void)insn;
    if (!x86_64bit(env)) {
        x86_raise_noerr(env, EXCP_UD);
    }
    need_cpl0(env);
    t = env->s.segs[SEG_GS].base;
    env->s.segs[SEG_GS].base = env->s.kernel_gs_base;
    env->s.kernel_gs_base = t;
}

/* ------------------------------------------------------------------ */
/* Descriptor tables */

static void need_pmode(X86TCGCPU *env)
{
    if (!env->pe) {
        x86_raise_noerr(env, EXCP_UD);
    }
}

static void load_dtable(X86TCGCPU *env, const X86Insn *insn, X86DescTable *t)
{
    uint64_t la, base;
    uint16_t limit;

    if (insn->mod == 3) {
        x86_raise_noerr(env, EXCP_UD);
    }
    need_cpl0(env);
    la = insn_ea(env, insn);
    limit = x86_ld(env, la, 2);
    if (x86_64bit(env)) {
        base = x86_ld(env, la + 2, 8);
    } else {
        base = x86_ld(env, la + 2, 4);
        if (insn->size == 2) {
            base &= 0xffffff;
        }
    }
    t->limit = limit;
    t->base = base;
}

static void store_dtable(X86TCGCPU *env, const X86Insn *insn,
                         const X86DescTable *t)
{
    uint64_t la;

    if (insn->mod == 3) {
        x86_raise_noerr(env, EXCP_UD);
    }
    la = insn_ea(env, insn);
    x86_st(env, la, 2, t->limit);
    x86_st(env, la + 2, x86_64bit(env) ? 8 : 4, t->base);
}

H(op_lgdt) { load_dtable(env, insn, &env->s.gdt); end_block(env); }
H(op_lidt) { load_dtable(env, insn, &env->s.idt); end_block(env); }
H(op_sgdt) { store_dtable(env, insn, &env->s.gdt); }
H(op_sidt) { store_dtable(env, insn, &env->s.idt); }

static void store_sel(X86TCGCPU *env, const X86Insn *insn, uint16_t sel)
{
    if (insn->mod == 3) {
        set_reg(env, insn->rm, insn->size, sel);
    } else {
        st_rm(env, insn, 2, sel);
    }
}

H(op_sldt)
{
    need_pmode(env);
    store_sel(env, insn, env->s.segs[SEG_LDTR].selector);
}

H(op_str)
{
    need_pmode(env);
    store_sel(env, insn, env->s.segs[SEG_TR].selector);
}

/* Reads a system descriptor (16 bytes in long mode) from the GDT. */
static void load_system_seg(X86TCGCPU *env, X86Segment *sg, uint16_t sel,
                            unsigned want_type, uint64_t *desc_out)
{
    uint64_t hi = 0, desc;

    if (sel & 4) {
        x86_raise(env, EXCP_GP, sel & ~3u);
    }
    desc = x86_read_desc(env, sel, env->lma ? &hi : NULL);
    x86_seg_from_desc(sg, sel, desc);
    if ((sg->attrib & SEG_ATTR_S) || (sg->attrib & 0xf) != want_type) {
        x86_raise(env, EXCP_GP, sel & ~3u);
    }
    if (!(sg->attrib & SEG_ATTR_P)) {
        x86_raise(env, EXCP_NP, sel & ~3u);
    }
    if (env->lma) {
        sg->base |= (hi & 0xffffffff) << 32;
    }
    *desc_out = desc;
}

H(op_lldt)
{
    uint16_t sel;
    uint64_t desc;
    X86Segment sg;

    need_pmode(env);
    need_cpl0(env);
    sel = ld_rm(env, insn, 2);
    if ((sel & ~3u) == 0) {
        env->s.segs[SEG_LDTR] = (X86Segment){ .selector = sel };
        return;
    }
    load_system_seg(env, &sg, sel, 2, &desc);
    env->s.segs[SEG_LDTR] = sg;
}

H(op_ltr)
{
    uint16_t sel;
    uint64_t desc, la;
    X86Segment sg;

    need_pmode(env);
    need_cpl0(env);
    sel = ld_rm(env, insn, 2);
    if ((sel & ~3u) == 0) {
        x86_raise(env, EXCP_GP, 0);
    }
    load_system_seg(env, &sg, sel, 9, &desc);
    /* Mark the descriptor busy. */
    la = env->s.gdt.base + (sel & ~7u);
    x86_st_mmu(env, la + 5, 1, ((desc >> 40) & 0xff) | 2, MMU_KERNEL);
    sg.attrib |= 2;
    env->s.segs[SEG_TR] = sg;
}

/* ------------------------------------------------------------------ */
/* Port I/O */

static void io_check(X86TCGCPU *env)
{
    if (env->pe && env->cpl > iopl(env)) {
        x86_raise(env, EXCP_GP, 0);
    }
}

uint64_t x86_port_in(X86TCGCPU *env, uint16_t port, unsigned size)
{
    uint64_t v = ~0ull;

    io_check(env);
    address_space_read_val(env->m->io, port, size, &v);
    return v & size_mask(size);
}

void x86_port_out(X86TCGCPU *env, uint16_t port, unsigned size, uint64_t v)
{
    io_check(env);
    address_space_write_val(env->m->io, port, size, v & size_mask(size));
}

static unsigned io_size(const X86Insn *insn)
{
    return insn->size == 8 ? 4 : insn->size;
}

H(op_in_i)
{
    unsigned size = io_size(insn);

    set_reg(env, R_RAX, size, x86_port_in(env, insn->imm & 0xff, size));
}

H(op_in_dx)
{
    unsigned size = io_size(insn);

    set_reg(env, R_RAX, size,
            x86_port_in(env, env->s.regs[R_RDX] & 0xffff, size));
}

H(op_out_i)
{
    unsigned size = io_size(insn);

    x86_port_out(env, insn->imm & 0xff, size, get_reg(env, R_RAX, size));
}

H(op_out_dx)
{
    unsigned size = io_size(insn);

    x86_port_out(env, env->s.regs[R_RDX] & 0xffff, size,
                 get_reg(env, R_RAX, size));
}

/* ------------------------------------------------------------------ */
/* LAR, LSL, VERR, VERW: probe a descriptor without faulting on it */

static bool probe_desc(X86TCGCPU *env, uint16_t sel, uint64_t *desc)
{
    uint64_t base, limit;
    unsigned dpl, attr;

    if ((sel & ~3u) == 0) {
        return false;
    }
    base = (sel & 4) ? env->s.segs[SEG_LDTR].base : env->s.gdt.base;
    limit = (sel & 4) ? env->s.segs[SEG_LDTR].limit : env->s.gdt.limit;
    if ((uint64_t)(sel & ~7u) + 7 > limit) {
        return false;
    }
    *desc = x86_ld_mmu(env, base + (sel & ~7u), 8, MMU_KERNEL);
    attr = (*desc >> 40) & 0xff;
    dpl = (attr >> 5) & 3;
    if (!(attr & SEG_ATTR_S)) {
        return true;            /* system types are checked by the caller */
    }
    if ((attr & 0xc) == 0xc) {
        return true;            /* conforming code: any privilege */
    }
    return dpl >= env->cpl && dpl >= (sel & 3u);
}

static void set_zf(X86TCGCPU *env, bool zf)
{
    set_cc_eflags(env, (x86_cc_compute(env) & ~X86_FLAG_ZF) |
                  (zf ? X86_FLAG_ZF : 0));
}

static bool lxx_system_ok(X86TCGCPU *env, unsigned type, bool lar)
{
    switch (type) {
    case 2: case 9: case 0xb:
        return true;
    case 1: case 3:
        return !env->lma;
    case 0xc:
        return lar;
    case 4: case 5:
        return lar && !env->lma;
    default:
        return false;
    }
}

static void lar_lsl(X86TCGCPU *env, const X86Insn *insn, bool lar)
{
    uint16_t sel;
    uint64_t desc;
    unsigned attr;

    need_pmode(env);
    sel = ld_rm(env, insn, 2);
    if (!probe_desc(env, sel, &desc)) {
        set_zf(env, false);
        return;
    }
    attr = (desc >> 40) & 0xff;
    if (!(attr & SEG_ATTR_S) && !lxx_system_ok(env, attr & 0xf, lar)) {
        set_zf(env, false);
        return;
    }
    if (lar) {
        set_reg(env, insn->reg, insn->size, (desc >> 32) & 0x00f0ff00);
    } else {
        X86Segment sg;

        x86_seg_from_desc(&sg, sel, desc);
        set_reg(env, insn->reg, insn->size, sg.limit);
    }
    set_zf(env, true);
}

H(op_lar) { lar_lsl(env, insn, true); }
H(op_lsl) { lar_lsl(env, insn, false); }

static void verx(X86TCGCPU *env, const X86Insn *insn, bool write)
{
    uint16_t sel;
    uint64_t desc;
    unsigned attr;
    bool ok;

    need_pmode(env);
    sel = ld_rm(env, insn, 2);
    if (!probe_desc(env, sel, &desc)) {
        set_zf(env, false);
        return;
    }
    attr = (desc >> 40) & 0xff;
    if (!(attr & SEG_ATTR_S)) {
        ok = false;
    } else if (attr & 8) {
        ok = !write && (attr & 2);      /* readable code */
    } else {
        ok = !write || (attr & 2);      /* data; writable for VERW */
    }
    set_zf(env, ok);
}

H(op_verr) { verx(env, insn, false); }
H(op_verw) { verx(env, insn, true); }
