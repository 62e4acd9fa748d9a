/*
 * The target-independent half of the software CPU: caches of decoded
 * blocks and the machine-wide table of guest-physical pages that hold
 * decoded code.
 *
 * A block is keyed by the guest-physical address of its first byte and
 * mode flags chosen by the target.  Each physical page has a word: bit 0
 * says "some vCPU decoded code from this page", the rest is a generation
 * bumped whenever the page is written while bit 0 is set.  A block records
 * the generations of the (at most two) pages it was decoded from and is
 * stale as soon as one of them moved on, so invalidation is O(1) for the
 * writer and checked on lookup by every vCPU's own cache.
 */
#ifndef ACCEL_TCG_TB_H
#define ACCEL_TCG_TB_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define TCG_PAGE_BITS   12
#define TCG_PAGE_SIZE   (1ull << TCG_PAGE_BITS)
#define TCG_PAGE_MASK   (~(TCG_PAGE_SIZE - 1))

/* Pages are tracked in chunks of 1 GiB, up to 1 TiB of guest-physical space. */
#define TCG_CHUNK_PAGES_BITS 18
#define TCG_NCHUNKS     1024

typedef struct TCGPages {
    uint32_t *chunks[TCG_NCHUNKS];
    /* Bumped when a page gains bit 0: TLBs must drop direct writes to it. */
    uint32_t code_epoch;
    /* Bumped whenever a page's generation moves: blocks must be rechecked. */
    uint32_t inval_epoch;
} TCGPages;

TCGPages *tcg_pages_new(void);
void tcg_pages_free(TCGPages *p);

/* The page's word; NULL outside the tracked range (never cached). */
uint32_t *tcg_page_word(TCGPages *p, uint64_t paddr);

static inline bool tcg_page_has_code(TCGPages *p, uint64_t paddr)
{
    uint32_t *w = tcg_page_word(p, paddr);

    return w && (__atomic_load_n(w, __ATOMIC_ACQUIRE) & 1);
}

/* Marks the page as holding code; returns its generation. */
uint32_t tcg_page_mark_code(TCGPages *p, uint64_t paddr);
/* A write hit a code page: bump its generation, clear bit 0. */
void tcg_page_invalidate(TCGPages *p, uint64_t paddr);

static inline bool tcg_page_gen_is(TCGPages *p, uint64_t paddr, uint32_t gen)
{
    uint32_t *w = tcg_page_word(p, paddr);

    return w && (__atomic_load_n(w, __ATOMIC_ACQUIRE) >> 1) == gen;
}

#define TCG_NO_PAGE UINT64_MAX

typedef struct TCGBlock {
    uint64_t pc;                /* guest-physical address of the first byte */
    uint64_t page2;             /* second page touched, or TCG_NO_PAGE */
    uint32_t flags;
    uint32_t gen1, gen2;
    uint32_t ninsns;
    uint32_t checked_epoch;     /* inval_epoch when last found valid */
    uint32_t alloc_size;        /* bytes of arena, header included */
    struct TCGBlock *next;      /* hash chain */
    _Alignas(16) unsigned char data[]; /* the target's decoded instructions */
} TCGBlock;

/* A per-vCPU cache of blocks: a hash table over an arena, flushed when full. */
typedef struct TCGBlockCache {
    TCGBlock **table;
    unsigned table_bits;
    unsigned char *arena;
    size_t arena_size;
    size_t arena_used;
    uint64_t flushes;
} TCGBlockCache;

void tcg_cache_init(TCGBlockCache *c, size_t arena_size, unsigned table_bits);
void tcg_cache_destroy(TCGBlockCache *c);
/* Drops every block (cost proportional to the blocks cached). */
void tcg_cache_flush(TCGBlockCache *c);

/* A valid block for (PC, FLAGS), or NULL; stale blocks are dropped. */
TCGBlock *tcg_cache_lookup(TCGBlockCache *c, TCGPages *p, uint64_t pc,
                           uint32_t flags);
/*
 * Room for a block with DATA_SIZE bytes of data; flushes the cache first
 * when the arena is full (so any block pointer held before is invalid).
 */
TCGBlock *tcg_cache_alloc(TCGBlockCache *c, size_t data_size);
/* Shrinks the last allocated block to DATA_SIZE and links it in. */
void tcg_cache_commit(TCGBlockCache *c, TCGBlock *b, size_t data_size);

#endif
