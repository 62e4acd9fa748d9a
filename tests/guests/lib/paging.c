/* 4-level page tables built from a static pool. */
#include "guest.h"

#define POOL_PAGES 32
#define GIB (1ull << 30)
#define MIB2 (2ull << 20)

static uint8_t pool[POOL_PAGES][4096] __attribute__((aligned(4096)));
static unsigned pool_used;

void *pt_alloc_page(void)
{
    uint64_t *p;

    if (pool_used == POOL_PAGES) {
        guest_fail("paging", "page-table pool exhausted");
    }
    p = (uint64_t *)pool[pool_used++];
    for (unsigned i = 0; i < 512; i++) {
        p[i] = 0;
    }
    return p;
}

static unsigned idx(uint64_t va, unsigned level)
{
    return (va >> (12 + 9 * level)) & 511;
}

/* The table LEVEL-1 below ENTRY, created with P|W|U if absent. */
static uint64_t *next_table(uint64_t *entry, bool create)
{
    if (!(*entry & PTE_P)) {
        if (!create) {
            return NULL;
        }
        *entry = (uintptr_t)pt_alloc_page() | PTE_P | PTE_W | PTE_U;
    }
    return (uint64_t *)(uintptr_t)(*entry & PTE_ADDR_MASK);
}

uint64_t *pt_new_identity(bool user)
{
    uint64_t *pml4 = pt_alloc_page();
    uint64_t *pdpt = pt_alloc_page();
    uint64_t u = user ? PTE_U : 0;

    pml4[0] = (uintptr_t)pdpt | PTE_P | PTE_W | u;
    for (unsigned g = 0; g < 4; g++) {
        uint64_t *pd = pt_alloc_page();
        pdpt[g] = (uintptr_t)pd | PTE_P | PTE_W | u;
        for (unsigned i = 0; i < 512; i++) {
            pd[i] = (g * GIB + i * MIB2) | PTE_P | PTE_W | PTE_PS | u;
        }
    }
    return pml4;
}

void pt_map_4k(uint64_t *pml4, uint64_t va, uint64_t pa, uint64_t flags)
{
    uint64_t *t = pml4;

    for (unsigned level = 3; level > 0; level--) {
        uint64_t *e = &t[idx(va, level)];
        if ((*e & PTE_P) && (*e & PTE_PS)) {
            guest_fail("paging", "pt_map_4k over a large page");
        }
        t = next_table(e, true);
    }
    t[idx(va, 0)] = (pa & PTE_ADDR_MASK) | flags;
}

volatile uint64_t *pt_leaf(uint64_t *pml4, uint64_t va)
{
    uint64_t *t = pml4;

    for (unsigned level = 3; level > 0; level--) {
        t = next_table(&t[idx(va, level)], false);
        if (!t) {
            return NULL;
        }
    }
    return &t[idx(va, 0)];
}
