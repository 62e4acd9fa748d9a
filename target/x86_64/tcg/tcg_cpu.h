/*
 * Private header of the x86-64 software CPU: the per-vCPU state the
 * interpreter runs on (the common X86CPUState plus lazy flags, soft TLB,
 * exception bookkeeping), decoded instructions, and the helpers shared by
 * the instruction files.
 */
#ifndef TARGET_X86_64_TCG_TCG_CPU_H
#define TARGET_X86_64_TCG_TCG_CPU_H

#include <assert.h>
#include <setjmp.h>
#include <string.h>

#include "accel/accel.h"
#include "accel/tcg/tb.h"
#include "core/machine.h"
#include "target/x86_64/cpu.h"
#include "target/x86_64/cpuid.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the software CPU assumes a little-endian host");

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
/* Hot helpers of the interpreter: always inlined. */
#define HOT static inline __attribute__((always_inline))

typedef struct X86TCGCPU X86TCGCPU;
typedef struct X86Insn X86Insn;
typedef void (*X86InsnFn)(X86TCGCPU *env, const X86Insn *insn);

/* Register numbers 16-19 are AH, CH, DH, BH (byte operands without REX). */
#define X86_REG_AH      16
#define X86_NOREG       0xff
#define X86_RIPREL      0xfe

/* X86Insn.pfx bits */
#define PFX_REPZ        (1u << 0)   /* F3 */
#define PFX_REPNZ       (1u << 1)   /* F2 */
#define PFX_LOCK        (1u << 2)
#define PFX_66          (1u << 3)
#define PFX_REX         (1u << 4)
#define PFX_REXW        (1u << 5)
#define PFX_NOFLAGS     (1u << 6)   /* the next insn overwrites all flags */

/* A decoded instruction: everything the handler needs, nothing re-read. */
struct X86Insn {
    X86InsnFn fn;
    uint64_t imm;
    int64_t disp;
    uint32_t imm2;              /* ENTER level, far pointer selector */
    uint16_t op;                /* 0xx, 0F xx = 1xx, 0F38 = 2xx, 0F3A = 3xx */
    uint8_t len;
    uint8_t size;               /* operand size in bytes */
    uint8_t asize;              /* address size in bytes */
    uint8_t reg;                /* ModRM.reg with REX.R, or opcode reg */
    uint8_t rm;                 /* ModRM.rm with REX.B (mod == 3) */
    uint8_t mod;
    uint8_t base, index, scale;
    uint8_t seg;                /* segment of the memory operand */
    uint8_t pfx;
    uint8_t ext;                /* sub-operation chosen at decode time */
};

#define X86_MAX_BLOCK_INSNS 48

/* Jump cache: JC_PAGES groups of JC_PER_PAGE entries, one group per page. */
#define JC_PAGE_BITS    6
#define JC_SLOT_BITS    5
#define JC_SIZE         (1u << (JC_PAGE_BITS + JC_SLOT_BITS))

/* Soft TLB */
#define TLB_BITS        9
#define TLB_SIZE        (1u << TLB_BITS)
#define TLB_INVALID     (~0ull)
#define TLB_MMIO        (1ull << 0)
#define TLB_CODE        (1ull << 1)     /* write tag: page holds code */
#define TLB_FLAGS       (TLB_MMIO | TLB_CODE)
#define PAGE_MASK_4K    (~0xfffull)

typedef struct X86TLBEntry {
    uint64_t tag_r, tag_w, tag_x;
    uintptr_t addend;           /* host address = linear address + addend */
    uint64_t paddr;             /* guest-physical page */
    bool global;
} X86TLBEntry;

enum { MMU_KERNEL, MMU_USER, MMU_COUNT };
enum { ACC_READ, ACC_WRITE, ACC_EXEC };

/* Lazy flags: kind of the last flag-setting operation + log2(size). */
enum {
    CC_EFLAGS = 0,              /* cc_src holds the flags */
    CC_ADD = 4, CC_ADC = 8, CC_SUB = 12, CC_SBB = 16, CC_LOGIC = 20,
    CC_INC = 24, CC_DEC = 28, CC_SHL = 32, CC_SHR = 36, CC_SAR = 40,
};

#define CC_MASK (X86_FLAG_CF | X86_FLAG_PF | X86_FLAG_AF | X86_FLAG_ZF | \
                 X86_FLAG_SF | X86_FLAG_OF)

/* Exception vectors */
enum {
    EXCP_DE = 0, EXCP_DB = 1, EXCP_NMI = 2, EXCP_BP = 3, EXCP_OF = 4,
    EXCP_BR = 5, EXCP_UD = 6, EXCP_NM = 7, EXCP_DF = 8, EXCP_TS = 10,
    EXCP_NP = 11, EXCP_SS = 12, EXCP_GP = 13, EXCP_PF = 14, EXCP_MF = 16,
    EXCP_AC = 17, EXCP_MC = 18, EXCP_XM = 19,
};

/* PF error code bits */
#define PF_P    (1u << 0)
#define PF_W    (1u << 1)
#define PF_U    (1u << 2)
#define PF_RSVD (1u << 3)
#define PF_I    (1u << 4)

struct X86TCGCPU {
    X86CPUState s;

    /* lazy flags */
    uint32_t cc_op;
    uint64_t cc_dst, cc_src, cc_src2;

    /* mode, recomputed by x86_update_hflags() */
    uint8_t cpl;
    uint8_t code_size;          /* 2, 4 or 8 */
    uint8_t stack_size;         /* 2, 4 or 8 */
    uint8_t mmu_idx;
    bool lma, pe, pg;

    /* block execution */
    uint64_t next_rip;
    bool block_exit;            /* stop the current block after this insn */
    uint64_t cur_page1, cur_page2;

    /*
     * Single-step mode (AccelOps.set_single_step): blocks of one
     * instruction, cached apart (TCG_STEP_FLAG in their flags), and
     * vcpu_run returns after the first block it runs.
     */
    bool step;
    bool step_done;             /* this vcpu_run has run its instruction */
    uint32_t step_flag;         /* TCG_STEP_FLAG while stepping, else 0 */

    /* exceptions */
    jmp_buf jmp;
    bool excp_pending;
    int excp_vec;
    uint32_t excp_err;
    bool excp_has_err;
    bool excp_soft;             /* INT n, INT3, INTO: DPL check */
    uint64_t excp_next_rip;
    int delivering;             /* vector being delivered, or -1 */
    bool shutdown;

    /* interrupts */
    bool irq_hint;
    bool nmi_pending, nmi_blocked;

    /* soft TLB */
    X86TLBEntry tlb[MMU_COUNT][TLB_SIZE];
    bool tlb_large;             /* some entry came from a 2M/1G page */
    uint32_t code_epoch;

    /* time stamp counter: tsc = tsc_base + (clock_ns() - tsc_ns) * khz / 1e6 */
    uint64_t tsc_base;
    int64_t tsc_ns;
    uint32_t tsc_khz;

    /* MSRs not in X86CPUState */
    uint64_t mtrr_def_type;
    uint64_t mtrr_fixed[11];
    uint64_t mtrr_var[16];

    /*
     * Jump cache: linear PC -> block, skipping the code TLB and the hash
     * table.  Emptied with the TLB, since it caches a translation.
     */
    struct {
        uint64_t pc;            /* linear address */
        uint32_t flags;         /* code size | mmu_idx << 4 | step_flag */
        TCGBlock *tb;
    } jc[JC_SIZE];

    TCGBlockCache cache;
    TCGPages *pages;
    VCPU *cpu;
    Machine *m;
    const X86CPUModel *model;
};

/* ------------------------------------------------------------------ */
/* cpu.c */
void x86_update_hflags(X86TCGCPU *env);
uint64_t x86_get_rflags(X86TCGCPU *env);
/* Loads RFLAGS bits under MASK (arithmetic flags included). */
void x86_set_rflags(X86TCGCPU *env, uint64_t val, uint64_t mask);
uint64_t x86_read_tsc(X86TCGCPU *env);
void x86_write_tsc(X86TCGCPU *env, uint64_t val);
void x86_unimplemented(X86TCGCPU *env, const X86Insn *insn);

/* flags.c */
uint32_t x86_cc_compute(X86TCGCPU *env);
bool x86_cc_cf(X86TCGCPU *env);
bool x86_cond(X86TCGCPU *env, unsigned cc);

/* excp.c */
G_NORETURN void x86_raise(X86TCGCPU *env, int vec, uint32_t err);
G_NORETURN void x86_raise_noerr(X86TCGCPU *env, int vec);
G_NORETURN void x86_raise_soft(X86TCGCPU *env, int vec, uint64_t next_rip);
bool x86_deliver_pending_exception(X86TCGCPU *env);
void x86_do_interrupt(X86TCGCPU *env, int vec, bool soft, bool has_err,
                      uint32_t err, uint64_t ret_rip);

/* mmu.c */
void x86_tlb_flush(X86TCGCPU *env, bool keep_global);
void x86_tlb_flush_page(X86TCGCPU *env, uint64_t la);
void x86_jc_flush_page(X86TCGCPU *env, uint64_t la);

static inline unsigned jc_index(uint64_t la)
{
    return (((la >> 12) & ((1u << JC_PAGE_BITS) - 1)) << JC_SLOT_BITS) |
           ((la >> 2) & ((1u << JC_SLOT_BITS) - 1));
}
X86TLBEntry *x86_tlb_fill(X86TCGCPU *env, uint64_t la, int acc, int mmu);
uint64_t x86_ld_slow(X86TCGCPU *env, uint64_t la, unsigned size, int mmu);
void x86_st_slow(X86TCGCPU *env, uint64_t la, unsigned size, uint64_t val,
                 int mmu);
/* Host pointer for a RAM read-modify-write; NULL: MMIO, crosses a page. */
void *x86_rmw_ptr(X86TCGCPU *env, uint64_t la, unsigned size);
/*
 * Host pointer for LEN bytes at LA within one page of RAM, for access ACC
 * (faults as the access would), or NULL for MMIO and page-crossing ranges.
 */
void *x86_host_ptr(X86TCGCPU *env, uint64_t la, unsigned len, int acc);
/* Code fetch: host pointer for LA's page; *PADDR the guest-physical address. */
const uint8_t *x86_fetch_ptr(X86TCGCPU *env, uint64_t la, uint64_t *paddr,
                             bool fault);
void x86_code_written(X86TCGCPU *env, uint64_t paddr);

/* seg.c */
uint64_t x86_read_desc(X86TCGCPU *env, uint16_t sel, uint64_t *hi);
void x86_load_seg(X86TCGCPU *env, int seg, uint16_t sel);
void x86_load_seg_real(X86TCGCPU *env, int seg, uint16_t sel);
void x86_seg_from_desc(X86Segment *sg, uint16_t sel, uint64_t desc);
void x86_far_jump(X86TCGCPU *env, uint16_t sel, uint64_t off, int size);
void x86_far_call(X86TCGCPU *env, uint16_t sel, uint64_t off, int size,
                  uint64_t next);
void x86_far_ret(X86TCGCPU *env, int size, uint16_t extra);
void x86_iret(X86TCGCPU *env, int size);

/* msr.c */
bool x86_rdmsr(X86TCGCPU *env, uint32_t idx, uint64_t *val);
bool x86_wrmsr(X86TCGCPU *env, uint32_t idx, uint64_t val);

/* decode.c */
/* Decodes one instruction from CODE (AVAIL bytes); false: needs more. */
bool x86_decode(X86TCGCPU *env, const uint8_t *code, unsigned avail,
                X86Insn *insn);

/* port I/O with the IOPL check (exec_system.c) */
uint64_t x86_port_in(X86TCGCPU *env, uint16_t port, unsigned size);
void x86_port_out(X86TCGCPU *env, uint16_t port, unsigned size, uint64_t v);

/* system register writes (exec_system.c) */
void x86_write_cr0(X86TCGCPU *env, uint64_t val);
void x86_write_cr3(X86TCGCPU *env, uint64_t val);
void x86_write_cr4(X86TCGCPU *env, uint64_t val);
void x86_write_efer(X86TCGCPU *env, uint64_t val);

/* Instruction handlers (the list is generated from the exec_*.c files). */
#define H(name) void name(X86TCGCPU *env, const X86Insn *insn G_GNUC_UNUSED)
#include "target/x86_64/tcg/handlers.h"

/* The eight ALU operations get one handler per operation and form. */
#define X86_ALU_OPS(X) \
    X(0, add) X(1, or) X(2, adc) X(3, sbb)                             \
    X(4, and) X(5, sub) X(6, xor) X(7, cmp)
#define X86_ALU_DECL(n, name) \
    H(op_##name##_rm_r); H(op_##name##_r_rm); H(op_##name##_rm_i); \
    H(op_##name##_a_i);
X86_ALU_OPS(X86_ALU_DECL)
extern const X86InsnFn x86_alu_rm_i_fns[8];

/*
 * Decode-time specialization: swaps a generic handler for one fixed to
 * its operand kinds (register-register, 32/64-bit), which skips the
 * generic operand logic on the hottest instructions.
 */
void x86_specialize_alu(X86Insn *insn);
void x86_specialize_mov(X86Insn *insn);
/* Memory ALU forms, shifts by a constant, INC/DEC, IMUL, JZ/JNZ. */
void x86_specialize_hot(X86Insn *insn);
void x86_specialize_jcc(X86Insn *insn);

/* ------------------------------------------------------------------ */
/* Registers */

static inline uint64_t size_mask(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

static inline uint64_t sext(uint64_t v, unsigned size)
{
    switch (size) {
    case 1: return (uint64_t)(int64_t)(int8_t)v;
    case 2: return (uint64_t)(int64_t)(int16_t)v;
    case 4: return (uint64_t)(int64_t)(int32_t)v;
    default: return v;
    }
}

HOT uint64_t get_reg(X86TCGCPU *env, unsigned r, unsigned size)
{
    if (size == 1 && r >= X86_REG_AH) {
        return (env->s.regs[r - X86_REG_AH] >> 8) & 0xff;
    }
    return env->s.regs[r] & size_mask(size);
}

HOT void set_reg(X86TCGCPU *env, unsigned r, unsigned size, uint64_t v)
{
    uint64_t *p;

    switch (size) {
    case 1:
        if (r >= X86_REG_AH) {
            p = &env->s.regs[r - X86_REG_AH];
            *p = (*p & ~0xff00ull) | ((v & 0xff) << 8);
        } else {
            p = &env->s.regs[r];
            *p = (*p & ~0xffull) | (v & 0xff);
        }
        break;
    case 2:
        p = &env->s.regs[r];
        *p = (*p & ~0xffffull) | (v & 0xffff);
        break;
    case 4:
        env->s.regs[r] = (uint32_t)v;
        break;
    default:
        env->s.regs[r] = v;
        break;
    }
}

/* ------------------------------------------------------------------ */
/* Memory */

/* Unaligned little-endian host accesses of 1, 2, 4 or 8 bytes. */
HOT uint64_t host_ld(const void *p, unsigned size)
{
    uint8_t b;
    uint16_t w;
    uint32_t l;
    uint64_t q;

    switch (size) {
    case 1: memcpy(&b, p, 1); return b;
    case 2: memcpy(&w, p, 2); return w;
    case 4: memcpy(&l, p, 4); return l;
    default: memcpy(&q, p, 8); return q;
    }
}

HOT void host_st(void *p, unsigned size, uint64_t v)
{
    uint8_t b = v;
    uint16_t w = v;
    uint32_t l = v;

    switch (size) {
    case 1: memcpy(p, &b, 1); break;
    case 2: memcpy(p, &w, 2); break;
    case 4: memcpy(p, &l, 4); break;
    default: memcpy(p, &v, 8); break;
    }
}

static inline X86TLBEntry *tlb_entry(X86TCGCPU *env, int mmu, uint64_t la)
{
    return &env->tlb[mmu][(la >> 12) & (TLB_SIZE - 1)];
}

HOT uint64_t x86_ld_mmu(X86TCGCPU *env, uint64_t la, unsigned size, int mmu)
{
    X86TLBEntry *e = tlb_entry(env, mmu, la);

    if (likely(e->tag_r == (la & PAGE_MASK_4K) &&
               (la & 0xfff) <= 4096 - size)) {
        return host_ld((const void *)(uintptr_t)(la + e->addend), size);
    }
    return x86_ld_slow(env, la, size, mmu);
}

HOT void x86_st_mmu(X86TCGCPU *env, uint64_t la, unsigned size, uint64_t v,
                    int mmu)
{
    X86TLBEntry *e = tlb_entry(env, mmu, la);

    if (likely(e->tag_w == (la & PAGE_MASK_4K) &&
               (la & 0xfff) <= 4096 - size)) {
        host_st((void *)(uintptr_t)(la + e->addend), size, v);
        return;
    }
    x86_st_slow(env, la, size, v, mmu);
}

HOT uint64_t x86_ld(X86TCGCPU *env, uint64_t la, unsigned size)
{
    return x86_ld_mmu(env, la, size, env->mmu_idx);
}

HOT void x86_st(X86TCGCPU *env, uint64_t la, unsigned size, uint64_t v)
{
    x86_st_mmu(env, la, size, v, env->mmu_idx);
}

/* Linear address of OFF in segment SEG for an access of address size ASIZE. */
HOT uint64_t seg_addr(X86TCGCPU *env, int seg, uint64_t off, unsigned asize)
{
    if (env->lma && env->code_size == 8) {
        if (asize == 4) {
            off = (uint32_t)off;
        }
        if (seg >= SEG_FS) {
            return off + env->s.segs[seg].base;
        }
        return off;
    }
    off &= size_mask(asize);
    return (uint32_t)(off + env->s.segs[seg].base);
}

/* Offset part of the memory operand (before the segment base). */
HOT uint64_t insn_ea_off(X86TCGCPU *env, const X86Insn *insn)
{
    uint64_t a = (uint64_t)insn->disp;

    if (insn->base == X86_RIPREL) {
        a += env->next_rip;
    } else if (insn->base != X86_NOREG) {
        a += env->s.regs[insn->base];
    }
    if (insn->index != X86_NOREG) {
        a += env->s.regs[insn->index] << insn->scale;
    }
    return a & size_mask(insn->asize);
}

HOT uint64_t insn_ea(X86TCGCPU *env, const X86Insn *insn)
{
    return seg_addr(env, insn->seg, insn_ea_off(env, insn), insn->asize);
}

/* The r/m operand of SIZE bytes. */
HOT uint64_t ld_rm(X86TCGCPU *env, const X86Insn *insn, unsigned size)
{
    if (insn->mod == 3) {
        return get_reg(env, insn->rm, size);
    }
    return x86_ld(env, insn_ea(env, insn), size);
}

HOT void st_rm(X86TCGCPU *env, const X86Insn *insn, unsigned size, uint64_t v)
{
    if (insn->mod == 3) {
        set_reg(env, insn->rm, size, v);
    } else {
        x86_st(env, insn_ea(env, insn), size, v);
    }
}

/* Stack */
static inline uint64_t stack_mask(X86TCGCPU *env)
{
    return size_mask(env->stack_size);
}

static inline void set_rsp(X86TCGCPU *env, uint64_t v)
{
    set_reg(env, R_RSP, env->stack_size, v);
}

HOT void x86_push(X86TCGCPU *env, unsigned size, uint64_t v)
{
    uint64_t sp;

    if (likely(env->stack_size == 8)) {
        sp = env->s.regs[R_RSP] - size;
        x86_st(env, sp, size, v);
        env->s.regs[R_RSP] = sp;
        return;
    }
    sp = (env->s.regs[R_RSP] - size) & stack_mask(env);

    x86_st(env, seg_addr(env, SEG_SS, sp, env->stack_size), size, v);
    set_rsp(env, sp);
}

HOT uint64_t x86_pop(X86TCGCPU *env, unsigned size)
{
    uint64_t sp, v;

    if (likely(env->stack_size == 8)) {
        sp = env->s.regs[R_RSP];
        v = x86_ld(env, sp, size);
        env->s.regs[R_RSP] = sp + size;
        return v;
    }
    sp = env->s.regs[R_RSP] & stack_mask(env);
    v = x86_ld(env, seg_addr(env, SEG_SS, sp, env->stack_size), size);

    set_rsp(env, sp + size);
    return v;
}

/* ------------------------------------------------------------------ */
/* Lazy flags */

static inline unsigned size_log2(unsigned size)
{
    return __builtin_ctz(size);
}

static inline void set_cc(X86TCGCPU *env, unsigned kind, unsigned size,
                          uint64_t dst, uint64_t src)
{
    env->cc_op = kind + size_log2(size);
    env->cc_dst = dst & size_mask(size);
    env->cc_src = src;
}

/* Eager flags: OSZAPC bits in FLAGS replace the lazy state. */
static inline void set_cc_eflags(X86TCGCPU *env, uint32_t flags)
{
    env->cc_op = CC_EFLAGS;
    env->cc_src = flags & CC_MASK;
}

uint32_t x86_parity(uint64_t v);

/* Mode helpers */
static inline bool x86_64bit(X86TCGCPU *env)
{
    return env->code_size == 8;
}

static inline void end_block(X86TCGCPU *env)
{
    env->block_exit = true;
}

/* Masks a branch target to the operand size of the branch. */
static inline uint64_t branch_target(X86TCGCPU *env, uint64_t t, unsigned size)
{
    if (size == 8 || x86_64bit(env)) {
        return t;
    }
    return t & size_mask(size);
}

#endif
