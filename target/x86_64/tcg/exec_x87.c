/*
 * FXSAVE/FXRSTOR (the x87 and SSE state) and the MXCSR instructions; the
 * x87 instructions themselves are in exec_fpu.c.
 */
#include "target/x86_64/tcg/tcg_cpu.h"

#define FXSAVE_MXCSR_MASK 0xffffu

static void fpu_check(X86TCGCPU *env)
{
    if (env->s.cr0 & (X86_CR0_EM | X86_CR0_TS)) {
        x86_raise_noerr(env, EXCP_NM);
    }
}

static uint64_t fx_addr(X86TCGCPU *env, const X86Insn *insn)
{
    uint64_t la;

    if (insn->mod == 3) {
        x86_raise_noerr(env, EXCP_UD);
    }
    fpu_check(env);
    la = insn_ea(env, insn);
    if (la & 15) {
        x86_raise(env, EXCP_GP, 0);
    }
    return la;
}

static unsigned fx_nxmm(X86TCGCPU *env)
{
    return x86_64bit(env) ? 16 : 8;
}

H(op_fxsave)
{
    uint64_t la = fx_addr(env, insn);
    unsigned top = (env->s.fsw >> 11) & 7;

    /* Probe the area first: a fault must leave nothing half-written. */
    x86_st(env, la + 511, 1, x86_ld(env, la + 511, 1));
    x86_st(env, la, 2, env->s.fcw);
    x86_st(env, la + 2, 2, env->s.fsw);
    x86_st(env, la + 4, 2, env->s.ftw);
    x86_st(env, la + 6, 2, env->s.fop);
    x86_st(env, la + 8, 8, env->s.fip);
    x86_st(env, la + 16, 8, env->s.fdp);
    x86_st(env, la + 24, 4, env->s.mxcsr);
    x86_st(env, la + 28, 4, FXSAVE_MXCSR_MASK);
    for (unsigned i = 0; i < 8; i++) {
        const X86FPReg *r = &env->s.st[(top + i) & 7];

        x86_st(env, la + 32 + i * 16, 8, r->mant);
        x86_st(env, la + 40 + i * 16, 8, r->sign_exp);
    }
    for (unsigned i = 0; i < fx_nxmm(env); i++) {
        x86_st(env, la + 160 + i * 16, 8, env->s.xmm[i].q[0]);
        x86_st(env, la + 168 + i * 16, 8, env->s.xmm[i].q[1]);
    }
}

H(op_fxrstor)
{
    uint64_t la = fx_addr(env, insn);
    uint32_t mxcsr = x86_ld(env, la + 24, 4);
    unsigned top;

    if (mxcsr & ~FXSAVE_MXCSR_MASK) {
        x86_raise(env, EXCP_GP, 0);
    }
    x86_ld(env, la + 511, 1);
    env->s.fcw = x86_ld(env, la, 2);
    env->s.fsw = x86_ld(env, la + 2, 2);
    env->s.ftw = x86_ld(env, la + 4, 1);
    env->s.fop = x86_ld(env, la + 6, 2);
    env->s.fip = x86_ld(env, la + 8, 8);
    env->s.fdp = x86_ld(env, la + 16, 8);
    env->s.mxcsr = mxcsr;
    top = (env->s.fsw >> 11) & 7;
    for (unsigned i = 0; i < 8; i++) {
        X86FPReg *r = &env->s.st[(top + i) & 7];

        r->mant = x86_ld(env, la + 32 + i * 16, 8);
        r->sign_exp = x86_ld(env, la + 40 + i * 16, 2);
    }
    for (unsigned i = 0; i < fx_nxmm(env); i++) {
        env->s.xmm[i].q[0] = x86_ld(env, la + 160 + i * 16, 8);
        env->s.xmm[i].q[1] = x86_ld(env, la + 168 + i * 16, 8);
    }
}

H(op_ldmxcsr)
{
    uint32_t v;

    fpu_check(env);
    v = ld_rm(env, insn, 4);
    if (v & ~FXSAVE_MXCSR_MASK) {
        x86_raise(env, EXCP_GP, 0);
    }
    env->s.mxcsr = v;
}

H(op_stmxcsr)
{
    fpu_check(env);
    st_rm(env, insn, 4, env->s.mxcsr);
}
