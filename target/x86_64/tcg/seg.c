/*
 * Segmentation: descriptor loads, far transfers and IRET.  Long mode and
 * flat protected mode are complete enough for Linux and its trampolines;
 * call gates, task switches and virtual-8086 mode are not implemented.
 */
#include "target/x86_64/tcg/tcg_cpu.h"

static uint64_t ld_k(X86TCGCPU *env, uint64_t la, unsigned size)
{
    return x86_ld_mmu(env, la, size, MMU_KERNEL);
}

uint64_t x86_read_desc(X86TCGCPU *env, uint16_t sel, uint64_t *hi)
{
    uint64_t base, limit, off = sel & ~7u;

    if (sel & 4) {
        base = env->s.segs[SEG_LDTR].base;
        limit = env->s.segs[SEG_LDTR].limit;
    } else {
        base = env->s.gdt.base;
        limit = env->s.gdt.limit;
    }
    if (off + (hi ? 15 : 7) > limit) {
        x86_raise(env, EXCP_GP, sel & ~3u);
    }
    if (hi) {
        *hi = ld_k(env, base + off + 8, 8);
    }
    return ld_k(env, base + off, 8);
}

void x86_seg_from_desc(X86Segment *sg, uint16_t sel, uint64_t desc)
{
    uint32_t limit = (desc & 0xffff) | ((desc >> 32) & 0xf0000);

    sg->selector = sel;
    sg->base = ((desc >> 16) & 0xffffff) | ((desc >> 32) & 0xff000000);
    sg->attrib = ((desc >> 40) & 0xff) | (((desc >> 52) & 0xf) << 12);
    sg->limit = (sg->attrib & SEG_ATTR_G) ? (limit << 12) | 0xfff : limit;
}

void x86_load_seg_real(X86TCGCPU *env, int seg, uint16_t sel)
{
    X86Segment *sg = &env->s.segs[seg];

    sg->selector = sel;
    sg->base = (uint64_t)sel << 4;
    if (!env->pe) {
        sg->limit = 0xffff;
        sg->attrib = x86_seg_attrib(seg == SEG_CS ? 0xb : 0x3, true, 0,
                                    false, false, false);
    }
    if (seg == SEG_CS || seg == SEG_SS) {
        x86_update_hflags(env);
    }
}

void x86_load_seg(X86TCGCPU *env, int seg, uint16_t sel)
{
    X86Segment *sg = &env->s.segs[seg];
    uint64_t desc;
    X86Segment tmp;

    if (!env->pe) {
        x86_load_seg_real(env, seg, sel);
        return;
    }
    if ((sel & ~3u) == 0) {
        if (seg == SEG_SS && !(env->lma && env->cpl < 3 && x86_64bit(env))) {
            x86_raise(env, EXCP_GP, 0);
        }
        sg->selector = sel;
        sg->base = 0;
        sg->limit = 0;
        sg->attrib = seg == SEG_SS ? x86_seg_attrib(3, true, env->cpl, false,
                                                    true, true) : 0;
        if (seg == SEG_SS) {
            x86_update_hflags(env);
        }
        return;
    }
    desc = x86_read_desc(env, sel, NULL);
    x86_seg_from_desc(&tmp, sel, desc);
    if (!(tmp.attrib & SEG_ATTR_S)) {
        x86_raise(env, EXCP_GP, sel & ~3u);
    }
    if (seg == SEG_SS) {
        if ((tmp.attrib & 0xa) != 0x2 || SEG_ATTR_DPL(tmp.attrib) != env->cpl ||
            (sel & 3) != env->cpl) {
            x86_raise(env, EXCP_GP, sel & ~3u);
        }
    } else if ((tmp.attrib & 0xa) == 0x8) {     /* execute-only code */
        x86_raise(env, EXCP_GP, sel & ~3u);
    }
    if (!(tmp.attrib & SEG_ATTR_P)) {
        x86_raise(env, seg == SEG_SS ? EXCP_SS : EXCP_NP, sel & ~3u);
    }
    tmp.attrib |= 1;            /* accessed */
    *sg = tmp;
    if (seg == SEG_SS) {
        x86_update_hflags(env);
    }
}

/* Loads CS from a code descriptor for a transfer to privilege level CPL. */
static void load_cs(X86TCGCPU *env, uint16_t sel, uint64_t desc, unsigned cpl)
{
    X86Segment cs;

    x86_seg_from_desc(&cs, sel, desc);
    cs.selector = (sel & ~3u) | cpl;
    cs.attrib |= 1;
    env->s.segs[SEG_CS] = cs;
    x86_update_hflags(env);
}

static uint64_t check_code_desc(X86TCGCPU *env, uint16_t sel)
{
    uint64_t desc;
    uint16_t attr;

    if ((sel & ~3u) == 0) {
        x86_raise(env, EXCP_GP, 0);
    }
    desc = x86_read_desc(env, sel, NULL);
    attr = (desc >> 40) & 0xff;
    if (!(attr & SEG_ATTR_S) || !(attr & 8)) {
        x86_raise(env, EXCP_GP, sel & ~3u);
    }
    if (!(attr & SEG_ATTR_P)) {
        x86_raise(env, EXCP_NP, sel & ~3u);
    }
    return desc;
}

void x86_far_jump(X86TCGCPU *env, uint16_t sel, uint64_t off, int size)
{
    uint64_t desc;

    if (!env->pe) {
        x86_load_seg_real(env, SEG_CS, sel);
        env->next_rip = off & size_mask(size);
        end_block(env);
        return;
    }
    desc = check_code_desc(env, sel);
    load_cs(env, sel, desc, env->cpl);
    env->next_rip = x86_64bit(env) ? off : (uint32_t)off;
    end_block(env);
}

void x86_far_call(X86TCGCPU *env, uint16_t sel, uint64_t off, int size,
                  uint64_t next)
{
    uint16_t old_cs = env->s.segs[SEG_CS].selector;
    uint64_t desc = 0;

    if (env->pe) {
        desc = check_code_desc(env, sel);
    }
    x86_push(env, size, old_cs);
    x86_push(env, size, next);
    if (!env->pe) {
        x86_load_seg_real(env, SEG_CS, sel);
        env->next_rip = off & size_mask(size);
    } else {
        load_cs(env, sel, desc, env->cpl);
        env->next_rip = x86_64bit(env) ? off : (uint32_t)off;
    }
    end_block(env);
}

/* Data segments not usable at the new, less privileged level become null. */
static void null_inaccessible_segs(X86TCGCPU *env, unsigned cpl)
{
    static const int segs[] = { SEG_ES, SEG_DS, SEG_FS, SEG_GS };

    for (unsigned i = 0; i < G_N_ELEMENTS(segs); i++) {
        X86Segment *sg = &env->s.segs[segs[i]];
        bool conforming_code = (sg->attrib & 0xc) == 0xc;

        if (SEG_ATTR_DPL(sg->attrib) < cpl && !conforming_code &&
            (sg->selector & ~3u)) {
            sg->selector = 0;
            sg->attrib = 0;
        }
    }
}

/* Loads SS:RSP for a return to level CPL (null SS allowed in 64-bit). */
static void load_ss_for(X86TCGCPU *env, uint16_t ss, unsigned cpl, bool to64)
{
    X86Segment *sg = &env->s.segs[SEG_SS];

    if ((ss & ~3u) == 0) {
        if (!to64 || cpl == 3) {
            x86_raise(env, EXCP_GP, 0);
        }
        sg->selector = ss;
        sg->base = 0;
        sg->limit = 0xffffffff;
        sg->attrib = x86_seg_attrib(3, true, cpl, false, true, true);
    } else {
        uint64_t desc = x86_read_desc(env, ss, NULL);

        if ((ss & 3) != cpl) {
            x86_raise(env, EXCP_GP, ss & ~3u);
        }
        x86_seg_from_desc(sg, ss, desc);
        sg->attrib |= 1;
    }
}

void x86_far_ret(X86TCGCPU *env, int size, uint16_t extra)
{
    uint64_t sp = env->s.regs[R_RSP];
    uint64_t ip, cs, desc, new_sp, new_ss;
    unsigned ssz = env->stack_size, rpl;

    ip = x86_ld(env, seg_addr(env, SEG_SS, sp, ssz), size);
    cs = x86_ld(env, seg_addr(env, SEG_SS, sp + size, ssz), size) & 0xffff;
    if (!env->pe) {
        set_rsp(env, sp + 2 * size + extra);
        x86_load_seg_real(env, SEG_CS, cs);
        env->next_rip = ip & size_mask(size);
        end_block(env);
        return;
    }
    rpl = cs & 3;
    if (rpl < env->cpl) {
        x86_raise(env, EXCP_GP, cs & ~3u);
    }
    desc = check_code_desc(env, cs);
    if (rpl == env->cpl) {
        set_rsp(env, sp + 2 * size + extra);
        load_cs(env, cs, desc, rpl);
    } else {
        sp += 2 * size + extra;
        new_sp = x86_ld(env, seg_addr(env, SEG_SS, sp, ssz), size);
        new_ss = x86_ld(env, seg_addr(env, SEG_SS, sp + size, ssz), size);
        load_cs(env, cs, desc, rpl);
        load_ss_for(env, new_ss, rpl, x86_64bit(env));
        x86_update_hflags(env);
        set_rsp(env, new_sp + extra);
        null_inaccessible_segs(env, rpl);
    }
    env->next_rip = x86_64bit(env) ? ip : ip & size_mask(size);
    end_block(env);
}

static uint64_t iret_flags_mask(X86TCGCPU *env, int size)
{
    uint64_t mask = CC_MASK | X86_FLAG_TF | X86_FLAG_DF | X86_FLAG_NT |
                    X86_FLAG_RF | X86_FLAG_AC | X86_FLAG_ID;
    unsigned iopl = (env->s.rflags >> 12) & 3;

    if (env->cpl == 0) {
        mask |= X86_FLAG_IOPL;
    }
    if (env->cpl <= iopl) {
        mask |= X86_FLAG_IF;
    }
    if (size == 2) {
        mask &= 0xffff;
    }
    return mask;
}

void x86_iret(X86TCGCPU *env, int size)
{
    uint64_t sp = env->s.regs[R_RSP];
    unsigned ssz = env->stack_size, rpl;
    uint64_t ip, cs, flags, desc, mask;

    ip = x86_ld(env, seg_addr(env, SEG_SS, sp, ssz), size);
    cs = x86_ld(env, seg_addr(env, SEG_SS, sp + size, ssz), size) & 0xffff;
    flags = x86_ld(env, seg_addr(env, SEG_SS, sp + 2 * size, ssz), size);
    env->nmi_blocked = false;
    end_block(env);

    if (!env->pe) {
        mask = CC_MASK | X86_FLAG_TF | X86_FLAG_IF | X86_FLAG_DF |
               X86_FLAG_IOPL | X86_FLAG_NT;
        if (size == 4) {
            mask |= X86_FLAG_AC | X86_FLAG_ID | X86_FLAG_RF;
        }
        set_rsp(env, sp + 3 * size);
        x86_load_seg_real(env, SEG_CS, cs);
        x86_set_rflags(env, flags, mask);
        env->next_rip = ip & size_mask(size);
        return;
    }
    if (env->s.rflags & X86_FLAG_NT && !env->lma) {
        x86_raise(env, EXCP_GP, 0);     /* task return: not implemented */
    }
    rpl = cs & 3;
    if (rpl < env->cpl) {
        x86_raise(env, EXCP_GP, cs & ~3u);
    }
    desc = check_code_desc(env, cs);
    mask = iret_flags_mask(env, size);
    if (rpl == env->cpl && !x86_64bit(env)) {
        set_rsp(env, sp + 3 * size);
        load_cs(env, cs, desc, rpl);
    } else {
        uint64_t new_sp = x86_ld(env, seg_addr(env, SEG_SS, sp + 3 * size, ssz),
                                 size);
        uint64_t new_ss = x86_ld(env, seg_addr(env, SEG_SS, sp + 4 * size, ssz),
                                 size) & 0xffff;
        bool to64 = env->lma && (desc & (1ull << 53));

        load_cs(env, cs, desc, rpl);
        load_ss_for(env, new_ss, rpl, to64);
        env->s.regs[R_RSP] = new_sp;
        x86_update_hflags(env);
        if (env->stack_size != 8) {
            set_rsp(env, new_sp);
        }
        null_inaccessible_segs(env, rpl);
    }
    x86_set_rflags(env, flags, mask);
    env->next_rip = x86_64bit(env) ? ip : (uint32_t)ip;
}
