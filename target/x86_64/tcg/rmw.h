/*
 * Read-modify-write access to an r/m operand, shared by the instruction
 * files: with LOCK on RAM the store is a host compare-and-swap, and the
 * caller retries its computation when another vCPU got there first.
 */
#ifndef TARGET_X86_64_TCG_RMW_H
#define TARGET_X86_64_TCG_RMW_H

#include "target/x86_64/tcg/tcg_cpu.h"

typedef struct Rmw {
    uint64_t la;
    void *host;
    bool mem;
} Rmw;

static inline uint64_t atomic_ld(void *p, unsigned size)
{
    switch (size) {
    case 1: return __atomic_load_n((uint8_t *)p, __ATOMIC_SEQ_CST);
    case 2: return __atomic_load_n((uint16_t *)p, __ATOMIC_SEQ_CST);
    case 4: return __atomic_load_n((uint32_t *)p, __ATOMIC_SEQ_CST);
    default: return __atomic_load_n((uint64_t *)p, __ATOMIC_SEQ_CST);
    }
}

/* Compare-and-swap; on failure *OLD gets the current value. */
static inline bool atomic_cas(void *p, unsigned size, uint64_t *old,
                              uint64_t new)
{
    bool ok;

    switch (size) {
    case 1: {
        uint8_t o = *old;
        ok = __atomic_compare_exchange_n((uint8_t *)p, &o, (uint8_t)new, false,
                                         __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
        *old = o;
        break;
    }
    case 2: {
        uint16_t o = *old;
        ok = __atomic_compare_exchange_n((uint16_t *)p, &o, (uint16_t)new,
                                         false, __ATOMIC_SEQ_CST,
                                         __ATOMIC_SEQ_CST);
        *old = o;
        break;
    }
    case 4: {
        uint32_t o = *old;
        ok = __atomic_compare_exchange_n((uint32_t *)p, &o, (uint32_t)new,
                                         false, __ATOMIC_SEQ_CST,
                                         __ATOMIC_SEQ_CST);
        *old = o;
        break;
    }
    default:
        ok = __atomic_compare_exchange_n((uint64_t *)p, old, new, false,
                                         __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
        break;
    }
    return ok;
}

static inline uint64_t rmw_load(X86TCGCPU *env, const X86Insn *insn,
                                unsigned size, Rmw *r, bool locked)
{
    if (insn->mod == 3) {
        r->mem = false;
        return get_reg(env, insn->rm, size);
    }
    r->mem = true;
    r->la = insn_ea(env, insn);
    r->host = NULL;
    if (locked) {
        r->host = x86_rmw_ptr(env, r->la, size);
        if (r->host) {
            return atomic_ld(r->host, size);
        }
    }
    return x86_ld(env, r->la, size);
}

static inline bool rmw_store(X86TCGCPU *env, const X86Insn *insn,
                             unsigned size, Rmw *r, uint64_t old,
                             uint64_t val)
{
    if (!r->mem) {
        set_reg(env, insn->rm, size, val);
        return true;
    }
    if (r->host) {
        return atomic_cas(r->host, size, &old, val);
    }
    x86_st(env, r->la, size, val);
    return true;
}

static inline bool locked(const X86Insn *insn)
{
    return insn->pfx & PFX_LOCK;
}

/* The next instruction overwrites every flag: computing them is wasted. */
static inline bool flags_dead(const X86Insn *insn)
{
    return insn->pfx & PFX_NOFLAGS;
}

#endif
