/*
 * Decoded-block caches and the code-page table (see tb.h).
 */
#include <string.h>

#include "accel/tcg/tb.h"

TCGPages *tcg_pages_new(void)
{
    return g_new0(TCGPages, 1);
}

void tcg_pages_free(TCGPages *p)
{
    if (!p) {
        return;
    }
    for (unsigned i = 0; i < TCG_NCHUNKS; i++) {
        g_free(p->chunks[i]);
    }
    g_free(p);
}

uint32_t *tcg_page_word(TCGPages *p, uint64_t paddr)
{
    uint64_t pfn = paddr >> TCG_PAGE_BITS;
    uint64_t ci = pfn >> TCG_CHUNK_PAGES_BITS;
    uint32_t *chunk;

    if (ci >= TCG_NCHUNKS) {
        return NULL;
    }
    chunk = __atomic_load_n(&p->chunks[ci], __ATOMIC_ACQUIRE);
    if (G_UNLIKELY(!chunk)) {
        uint32_t *fresh = g_new0(uint32_t, 1u << TCG_CHUNK_PAGES_BITS);
        uint32_t *expected = NULL;

        if (__atomic_compare_exchange_n(&p->chunks[ci], &expected, fresh, false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            chunk = fresh;
        } else {
            g_free(fresh);
            chunk = expected;
        }
    }
    return &chunk[pfn & ((1u << TCG_CHUNK_PAGES_BITS) - 1)];
}

uint32_t tcg_page_mark_code(TCGPages *p, uint64_t paddr)
{
    uint32_t *w = tcg_page_word(p, paddr);
    uint32_t old;

    if (!w) {
        return 0;
    }
    old = __atomic_fetch_or(w, 1, __ATOMIC_ACQ_REL);
    if (!(old & 1)) {
        __atomic_fetch_add(&p->code_epoch, 1, __ATOMIC_RELEASE);
    }
    return old >> 1;
}

void tcg_page_invalidate(TCGPages *p, uint64_t paddr)
{
    uint32_t *w = tcg_page_word(p, paddr);
    uint32_t old, new;

    if (!w) {
        return;
    }
    old = __atomic_load_n(w, __ATOMIC_ACQUIRE);
    do {
        if (!(old & 1)) {
            return;
        }
        new = (old + 2) & ~1u;
    } while (!__atomic_compare_exchange_n(w, &old, new, true, __ATOMIC_ACQ_REL,
                                          __ATOMIC_ACQUIRE));
    __atomic_fetch_add(&p->inval_epoch, 1, __ATOMIC_RELEASE);
}

void tcg_cache_init(TCGBlockCache *c, size_t arena_size, unsigned table_bits)
{
    memset(c, 0, sizeof(*c));
    c->table_bits = table_bits;
    c->table = g_new0(TCGBlock *, 1u << table_bits);
    c->arena_size = arena_size;
    c->arena = g_malloc(arena_size);
}

void tcg_cache_destroy(TCGBlockCache *c)
{
    g_free(c->table);
    g_free(c->arena);
    memset(c, 0, sizeof(*c));
}

static inline unsigned tcg_hash(const TCGBlockCache *c, uint64_t pc,
                                uint32_t flags)
{
    uint64_t h = (pc ^ ((uint64_t)flags << 40)) * 0x9e3779b97f4a7c15ull;

    return (unsigned)(h >> (64 - c->table_bits));
}

void tcg_cache_flush(TCGBlockCache *c)
{
    size_t table_bytes = sizeof(TCGBlock *) << c->table_bits;

    if (c->arena_used / 64 > (1u << c->table_bits)) {
        memset(c->table, 0, table_bytes);
    } else {
        /* Few blocks: clear just their buckets. */
        for (size_t off = 0; off < c->arena_used;) {
            TCGBlock *b = (TCGBlock *)(c->arena + off);

            c->table[tcg_hash(c, b->pc, b->flags)] = NULL;
            off += b->alloc_size;
        }
    }
    c->arena_used = 0;
    c->flushes++;
}

static bool tcg_block_valid(TCGPages *p, const TCGBlock *b)
{
    if (!tcg_page_gen_is(p, b->pc, b->gen1)) {
        return false;
    }
    return b->page2 == TCG_NO_PAGE || tcg_page_gen_is(p, b->page2, b->gen2);
}

TCGBlock *tcg_cache_lookup(TCGBlockCache *c, TCGPages *p, uint64_t pc,
                           uint32_t flags)
{
    TCGBlock **link = &c->table[tcg_hash(c, pc, flags)];

    uint32_t epoch = __atomic_load_n(&p->inval_epoch, __ATOMIC_ACQUIRE);

    for (TCGBlock *b = *link; b; link = &b->next, b = b->next) {
        if (b->pc != pc || b->flags != flags) {
            continue;
        }
        /* No page changed since this block was last checked: still valid. */
        if (b->checked_epoch == epoch || tcg_block_valid(p, b)) {
            b->checked_epoch = epoch;
            return b;
        }
        *link = b->next;
        return NULL;
    }
    return NULL;
}

TCGBlock *tcg_cache_alloc(TCGBlockCache *c, size_t data_size)
{
    size_t need = (sizeof(TCGBlock) + data_size + 15) & ~(size_t)15;

    if (c->arena_used + need > c->arena_size) {
        tcg_cache_flush(c);
    }
    return (TCGBlock *)(c->arena + c->arena_used);
}

void tcg_cache_commit(TCGBlockCache *c, TCGBlock *b, size_t data_size)
{
    size_t need = (sizeof(TCGBlock) + data_size + 15) & ~(size_t)15;
    TCGBlock **head = &c->table[tcg_hash(c, b->pc, b->flags)];

    c->arena_used = (size_t)((unsigned char *)b - c->arena) + need;
    b->alloc_size = need;
    b->checked_epoch = UINT32_MAX;
    b->next = *head;
    *head = b;
}
