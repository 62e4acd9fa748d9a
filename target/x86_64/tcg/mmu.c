/*
 * Page walk and soft TLB slow paths.
 *
 * A TLB entry caches one 4 KiB linear page for one privilege (kernel or
 * user): three tags saying whether reads, writes and fetches may go
 * straight to host memory at linear address + addend.  A tag with low bits
 * set (MMIO, or a write to a page holding decoded code) never matches the
 * inline fast path and is handled here.
 */
#include "core/error.h"
#include "target/x86_64/tcg/tcg_cpu.h"

typedef struct X86Walk {
    uint64_t pa;                /* physical address of the 4 KiB page */
    bool w, x, global, large, dirty;
} X86Walk;

#define PTE_P   (1ull << 0)
#define PTE_W   (1ull << 1)
#define PTE_U   (1ull << 2)
#define PTE_A   (1ull << 5)
#define PTE_D   (1ull << 6)
#define PTE_PS  (1ull << 7)
#define PTE_G   (1ull << 8)
#define PTE_NX  (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

/* Set in every walk result that is a fault (a #PF error code may be 0). */
#define PF_FAULT (1u << 31)

static uint64_t *pte_ptr(X86TCGCPU *env, uint64_t pa, unsigned size)
{
    return address_space_ram_ptr(env->m->memory, pa, size);
}

static void pte_set_bits(uint64_t *p, uint64_t old, uint64_t bits, bool wide)
{
    if ((old & bits) == bits) {
        return;
    }
    if (wide) {
        __atomic_fetch_or(p, bits, __ATOMIC_RELAXED);
    } else {
        __atomic_fetch_or((uint32_t *)p, (uint32_t)bits, __ATOMIC_RELAXED);
    }
}

/* Checks the combined rights; returns a #PF error code or 0. */
static uint32_t walk_check(X86TCGCPU *env, int acc, int mmu, bool w, bool u,
                           bool nx)
{
    uint32_t err = PF_FAULT | PF_P;

    if (acc == ACC_EXEC && (env->s.efer & X86_EFER_NXE)) {
        err |= PF_I;
    }
    if (acc == ACC_WRITE) {
        err |= PF_W;
    }
    if (mmu == MMU_USER) {
        err |= PF_U;
        if (!u || (acc == ACC_WRITE && !w)) {
            return err;
        }
    } else if (acc == ACC_WRITE && !w && (env->s.cr0 & X86_CR0_WP)) {
        return err;
    }
    if (acc == ACC_EXEC && nx) {
        return err;
    }
    return 0;
}

static void walk_finish(X86TCGCPU *env, int mmu, X86Walk *out, bool w, bool u,
                        bool nx)
{
    bool can_w = mmu == MMU_USER ? (u && w)
                                 : (w || !(env->s.cr0 & X86_CR0_WP));

    out->w = can_w && out->dirty;
    out->x = !nx && (mmu == MMU_KERNEL || u);
}

/* PAE and 4-level paging (64-bit entries). */
static uint32_t walk_pae(X86TCGCPU *env, uint64_t la, int acc, int mmu,
                         X86Walk *out)
{
    bool nxe = env->s.efer & X86_EFER_NXE;
    uint64_t rsvd_nx = nxe ? 0 : PTE_NX;
    uint32_t base_err = PF_FAULT | (acc == ACC_WRITE ? PF_W : 0) |
                        (mmu == MMU_USER ? PF_U : 0) |
                        (acc == ACC_EXEC && nxe ? PF_I : 0);
    uint64_t table, e = 0, *p = NULL;
    bool w = true, u = true, nx = false;
    int level;

    if (env->lma) {
        table = env->s.cr3 & PTE_ADDR;
        level = 4;
    } else {
        p = pte_ptr(env, (env->s.cr3 & 0xffffffe0) + ((la >> 30) & 3) * 8, 8);
        e = p ? *p : 0;
        if (!(e & PTE_P)) {
            return base_err;
        }
        table = e & PTE_ADDR;
        level = 2;
    }
    for (; level >= 1; level--) {
        unsigned shift = 12 + 9 * (level - 1);
        uint64_t pa = table + ((la >> shift) & 511) * 8;

        p = pte_ptr(env, pa, 8);
        e = p ? __atomic_load_n(p, __ATOMIC_RELAXED) : 0;
        if (!(e & PTE_P)) {
            return base_err;
        }
        if ((e & rsvd_nx) || (level == 4 && (e & PTE_PS))) {
            return base_err | PF_P | PF_RSVD;
        }
        w = w && (e & PTE_W);
        u = u && (e & PTE_U);
        nx = nx || (nxe && (e & PTE_NX));
        if (level == 1 || (e & PTE_PS)) {
            break;
        }
        pte_set_bits(p, e, PTE_A, true);
        table = e & PTE_ADDR;
    }
    if (level > 1) {
        uint64_t lsize = 1ull << (12 + 9 * (level - 1));
        uint64_t rsvd = (lsize - 1) & ~0x1fffull;

        if (e & rsvd) {
            return base_err | PF_P | PF_RSVD;
        }
        out->pa = ((e & PTE_ADDR & ~(lsize - 1)) | (la & (lsize - 1))) &
                  PAGE_MASK_4K;
        out->large = true;
    } else {
        out->pa = e & PTE_ADDR;
        out->large = false;
    }
    base_err = walk_check(env, acc, mmu, w, u, nx);
    if (base_err) {
        return base_err;
    }
    pte_set_bits(p, e, PTE_A | (acc == ACC_WRITE ? PTE_D : 0), true);
    out->dirty = acc == ACC_WRITE || (e & PTE_D);
    out->global = e & PTE_G;
    walk_finish(env, mmu, out, w, u, nx);
    return 0;
}

/* Legacy 32-bit paging, with 4 MiB pages under CR4.PSE. */
static uint32_t walk_32(X86TCGCPU *env, uint64_t la, int acc, int mmu,
                        X86Walk *out)
{
    uint32_t base_err = PF_FAULT | (acc == ACC_WRITE ? PF_W : 0) |
                        (mmu == MMU_USER ? PF_U : 0);
    uint32_t *pde_p, *pte_p, pde, pte;
    bool w, u;

    pde_p = (uint32_t *)pte_ptr(env, (env->s.cr3 & 0xfffff000) +
                                ((la >> 22) & 1023) * 4, 4);
    pde = pde_p ? *pde_p : 0;
    if (!(pde & PTE_P)) {
        return base_err;
    }
    if ((pde & PTE_PS) && (env->s.cr4 & X86_CR4_PSE)) {
        w = pde & PTE_W;
        u = pde & PTE_U;
        base_err = walk_check(env, acc, mmu, w, u, false);
        if (base_err) {
            return base_err;
        }
        pte_set_bits((uint64_t *)pde_p, pde,
                     PTE_A | (acc == ACC_WRITE ? PTE_D : 0), false);
        out->pa = ((pde & 0xffc00000u) | (la & 0x3ff000)) |
                  ((uint64_t)(pde >> 13) & 0xff) << 32;
        out->large = true;
        out->dirty = acc == ACC_WRITE || (pde & PTE_D);
        out->global = pde & PTE_G;
        walk_finish(env, mmu, out, w, u, false);
        return 0;
    }
    pte_p = (uint32_t *)pte_ptr(env, (pde & 0xfffff000u) +
                                ((la >> 12) & 1023) * 4, 4);
    pte = pte_p ? *pte_p : 0;
    if (!(pte & PTE_P)) {
        return base_err;
    }
    w = (pde & PTE_W) && (pte & PTE_W);
    u = (pde & PTE_U) && (pte & PTE_U);
    base_err = walk_check(env, acc, mmu, w, u, false);
    if (base_err) {
        return base_err;
    }
    pte_set_bits((uint64_t *)pde_p, pde, PTE_A, false);
    pte_set_bits((uint64_t *)pte_p, pte,
                 PTE_A | (acc == ACC_WRITE ? PTE_D : 0), false);
    out->pa = pte & 0xfffff000u;
    out->large = false;
    out->dirty = acc == ACC_WRITE || (pte & PTE_D);
    out->global = pte & PTE_G;
    walk_finish(env, mmu, out, w, u, false);
    return 0;
}

static bool canonical(uint64_t la)
{
    return (uint64_t)(((int64_t)la << 16) >> 16) == la;
}

static inline unsigned jc_group(uint64_t la)
{
    return ((la >> 12) & ((1u << JC_PAGE_BITS) - 1)) << JC_SLOT_BITS;
}

void x86_jc_flush_page(X86TCGCPU *env, uint64_t la)
{
    memset(&env->jc[jc_group(la)], 0, sizeof(env->jc[0]) << JC_SLOT_BITS);
}

void x86_tlb_flush(X86TCGCPU *env, bool keep_global)
{
    memset(env->jc, 0, sizeof(env->jc));
    if (!keep_global) {
        memset(env->tlb, 0xff, sizeof(env->tlb));
        env->tlb_large = false;
        return;
    }
    for (int i = 0; i < MMU_COUNT; i++) {
        for (unsigned j = 0; j < TLB_SIZE; j++) {
            X86TLBEntry *e = &env->tlb[i][j];

            if (!e->global) {
                e->tag_r = e->tag_w = e->tag_x = TLB_INVALID;
            }
        }
    }
}

void x86_tlb_flush_page(X86TCGCPU *env, uint64_t la)
{
    uint64_t page = la & PAGE_MASK_4K;

    if (env->tlb_large) {
        x86_tlb_flush(env, false);
        return;
    }
    /* A block may start on the page before and run into this one. */
    x86_jc_flush_page(env, la);
    x86_jc_flush_page(env, la - 4096);
    for (int i = 0; i < MMU_COUNT; i++) {
        X86TLBEntry *e = tlb_entry(env, i, la);

        if ((e->tag_r & ~TLB_FLAGS) == page ||
            (e->tag_w & ~TLB_FLAGS) == page ||
            (e->tag_x & ~TLB_FLAGS) == page) {
            e->tag_r = e->tag_w = e->tag_x = TLB_INVALID;
            e->global = false;
        }
    }
}

X86TLBEntry *x86_tlb_fill(X86TCGCPU *env, uint64_t la, int acc, int mmu)
{
    X86Walk w = { .w = true, .x = true, .dirty = true };
    uint64_t page = la & PAGE_MASK_4K;
    X86TLBEntry *e = tlb_entry(env, mmu, la);
    uint64_t flags;
    void *host;

    if (env->lma && !canonical(la)) {
        x86_raise(env, EXCP_GP, 0);
    }
    if (env->pg) {
        uint32_t err = (env->s.cr4 & X86_CR4_PAE)
                       ? walk_pae(env, la, acc, mmu, &w)
                       : walk_32(env, la, acc, mmu, &w);
        if (err) {
            env->s.cr2 = la;
            x86_raise(env, EXCP_PF, err & ~PF_FAULT);
        }
        env->tlb_large |= w.large;
    } else {
        w.pa = page;
        w.large = false;
        w.global = false;
    }
    host = address_space_ram_ptr(env->m->memory, w.pa, 4096);
    flags = host ? 0 : TLB_MMIO;
    e->tag_r = page | flags;
    e->tag_x = w.x ? page | flags : TLB_INVALID;
    e->tag_w = TLB_INVALID;
    if (w.w) {
        if (host && tcg_page_has_code(env->pages, w.pa)) {
            flags |= TLB_CODE;
        }
        e->tag_w = page | flags;
    }
    e->addend = host ? (uintptr_t)host - (uintptr_t)page : 0;
    e->paddr = w.pa;
    e->global = w.global && (env->s.cr4 & X86_CR4_PGE);
    return e;
}

static X86TLBEntry *tlb_get(X86TCGCPU *env, uint64_t la, int acc, int mmu)
{
    X86TLBEntry *e = tlb_entry(env, mmu, la);
    uint64_t page = la & PAGE_MASK_4K;
    uint64_t tag = acc == ACC_READ ? e->tag_r
                 : acc == ACC_WRITE ? e->tag_w : e->tag_x;

    if ((tag & ~TLB_FLAGS) != page || tag == TLB_INVALID) {
        e = x86_tlb_fill(env, la, acc, mmu);
    }
    return e;
}

uint64_t x86_ld_slow(X86TCGCPU *env, uint64_t la, unsigned size, int mmu)
{
    unsigned off = la & 0xfff;
    X86TLBEntry *e;
    uint64_t v = 0;

    if (off + size > 4096) {
        for (unsigned i = 0; i < size; i++) {
            v |= x86_ld_slow(env, la + i, 1, mmu) << (8 * i);
        }
        return v;
    }
    e = tlb_get(env, la, ACC_READ, mmu);
    if (e->tag_r & TLB_MMIO) {
        address_space_read_val(env->m->memory, e->paddr | off, size, &v);
        return v & size_mask(size);
    }
    memcpy(&v, (void *)(uintptr_t)(la + e->addend), size);
    return v;
}

void x86_code_written(X86TCGCPU *env, uint64_t paddr)
{
    uint64_t page = paddr & PAGE_MASK_4K;

    tcg_page_invalidate(env->pages, page);
    if (page == env->cur_page1 || page == env->cur_page2) {
        env->block_exit = true;
    }
}

void x86_st_slow(X86TCGCPU *env, uint64_t la, unsigned size, uint64_t val,
                 int mmu)
{
    unsigned off = la & 0xfff;
    X86TLBEntry *e;

    if (off + size > 4096) {
        /* Both pages must be writable before any byte lands. */
        tlb_get(env, la, ACC_WRITE, mmu);
        tlb_get(env, la + size - 1, ACC_WRITE, mmu);
        for (unsigned i = 0; i < size; i++) {
            x86_st_slow(env, la + i, 1, val >> (8 * i), mmu);
        }
        return;
    }
    e = tlb_get(env, la, ACC_WRITE, mmu);
    if (e->tag_w & TLB_MMIO) {
        address_space_write_val(env->m->memory, e->paddr | off, size, val);
        return;
    }
    memcpy((void *)(uintptr_t)(la + e->addend), &val, size);
    if (e->tag_w & TLB_CODE) {
        x86_code_written(env, e->paddr);
        if (!tcg_page_has_code(env->pages, e->paddr)) {
            e->tag_w &= ~TLB_CODE;
        }
    }
}

void *x86_host_ptr(X86TCGCPU *env, uint64_t la, unsigned len, int acc)
{
    X86TLBEntry *e;
    uint64_t tag;

    if ((la & 0xfff) + len > 4096) {
        return NULL;
    }
    e = tlb_get(env, la, acc, env->mmu_idx);
    tag = acc == ACC_WRITE ? e->tag_w : e->tag_r;
    if (tag & TLB_MMIO) {
        return NULL;
    }
    if (acc == ACC_WRITE && (tag & TLB_CODE)) {
        x86_code_written(env, e->paddr);
    }
    return (void *)(uintptr_t)(la + e->addend);
}

void *x86_rmw_ptr(X86TCGCPU *env, uint64_t la, unsigned size)
{
    X86TLBEntry *e;

    if ((la & 0xfff) + size > 4096) {
        return NULL;
    }
    e = tlb_get(env, la, ACC_WRITE, env->mmu_idx);
    if (e->tag_w & TLB_MMIO) {
        return NULL;
    }
    if (e->tag_w & TLB_CODE) {
        x86_code_written(env, e->paddr);
    }
    return (void *)(uintptr_t)(la + e->addend);
}

const uint8_t *x86_fetch_ptr(X86TCGCPU *env, uint64_t la, uint64_t *paddr,
                             bool fault)
{
    X86TLBEntry *e = tlb_get(env, la, ACC_EXEC, env->mmu_idx);

    (void)fault;
    *paddr = e->paddr | (la & 0xfff);
    if (e->tag_x & TLB_MMIO) {
        return NULL;
    }
    return (const uint8_t *)(uintptr_t)(la + e->addend);
}
