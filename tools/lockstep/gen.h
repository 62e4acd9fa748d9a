/*
 * Random instruction sequences for the lockstep checker.
 *
 * A sequence is a few CPL3 x86-64 instructions drawn from a table of
 * encodings over the implemented set, followed by the END marker (a store
 * through R15 to an MMIO page, then a jump to itself).  Every sequence is
 * valid and cannot fault when started from the harness's state:
 * - RSP points into the stack page, R14 at the scratch data page and R15
 *   at the END page; the generator never writes those three.
 * - Memory operands are [R14 + disp] inside the data page (LEA, which
 *   does not access memory, gets any base and index).
 * - DIV/IDIV, BSF/BSR and the string instructions come with the short
 *   preparation that keeps them from faulting (or from undefined results).
 * The generator also tracks which arithmetic flags are undefined (SDM) at
 * each point: instructions that read a flag are only chosen while it is
 * defined, and the final set is what the checker must not compare.
 */
#ifndef TOOLS_LOCKSTEP_GEN_H
#define TOOLS_LOCKSTEP_GEN_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "target/x86_64/cpu.h"

/* Instruction classes, so that SSE can be left out where TCG lacks it. */
enum {
    GEN_CLASS_INT = 1u << 0,    /* general-purpose integer */
    GEN_CLASS_SSE = 1u << 1,    /* SSE/SSE2 integer and float */
    GEN_CLASS_X87 = 1u << 2,    /* x87 loads, arithmetic and stores */
};
#define GEN_CLASS_ALL (GEN_CLASS_INT | GEN_CLASS_SSE | GEN_CLASS_X87)

/* Registers with a fixed job (never written by generated code). */
#define GEN_REG_DATA    R_R14   /* base of the data page */
#define GEN_REG_END     R_R15   /* address the END marker stores to */

#define GEN_DATA_SIZE   4096u   /* memory operands stay inside this page */
#define GEN_MAX_ITEMS   64      /* random items per sequence */
#define GEN_MAX_INSNS   (GEN_MAX_ITEMS * 4)
#define GEN_CODE_MAX    (GEN_MAX_INSNS * 15 + 16)

/* mov %r15, (%r15); jmp . */
#define GEN_END_LEN     5
extern const uint8_t gen_end_marker[GEN_END_LEN];
/* Length of the END marker's store: RIP stops right after it. */
#define GEN_END_STORE_LEN 3

#define GEN_ARITH_FLAGS (X86_FLAG_CF | X86_FLAG_PF | X86_FLAG_AF | \
                         X86_FLAG_ZF | X86_FLAG_SF | X86_FLAG_OF)

typedef struct GenInsn {
    uint16_t offset;            /* in GenSeq.code */
    uint8_t len;
    /* Mnemonic stem as LLVM's AT&T disassembly starts ("add", "pxor"). */
    const char *mnemonic;
} GenInsn;

typedef struct GenSeq {
    uint8_t code[GEN_CODE_MAX];
    unsigned code_len;          /* through the END marker */
    unsigned end_offset;        /* where the END marker starts */
    GenInsn insns[GEN_MAX_INSNS];
    unsigned ninsns;            /* END marker not counted */
    unsigned nitems;            /* random items (a DIV with its set-up is one) */
    uint32_t undef_flags;       /* RFLAGS bits undefined after the sequence */
} GenSeq;

/*
 * Fills SEQ with between MIN_ITEMS and MAX_ITEMS (at most GEN_MAX_ITEMS)
 * random items from CLASSES (GEN_CLASS_*), then the END marker.
 */
void gen_sequence(GRand *rng, unsigned classes, unsigned min_items,
                  unsigned max_items, GenSeq *seq);

/*
 * The same, without the templates whose bits are set in SKIP (see
 * gen_template_mask); at least one template of CLASSES must remain.
 */
void gen_sequence_from(GRand *rng, unsigned classes, uint64_t skip,
                       unsigned min_items, unsigned max_items, GenSeq *seq);

/* Number of templates in CLASSES. */
unsigned gen_template_count(unsigned classes);
/* Name and classes of template I, or NULL past the last one. */
const char *gen_template_name(unsigned i, unsigned *classes);
/* Template bits for a comma-separated list of names ("div,string"). */
bool gen_template_mask(const char *names, uint64_t *mask, GError **errp);

/*
 * A random starting state for the registers the sequence may use: GPRs
 * other than RSP/R14/R15, arithmetic flags, XMM0-15 and MXCSR's rounding
 * mode, FTZ and DAZ (exceptions stay masked).  Only those fields of S are
 * written.
 */
void gen_random_regs(GRand *rng, X86CPUState *s);

#endif
