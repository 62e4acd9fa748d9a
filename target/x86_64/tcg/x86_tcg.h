/*
 * The x86-64 software CPU as seen by the generic engine (accel/tcg): a
 * per-vCPU object, its state in the common X86CPUState, and the pieces of
 * the execution loop.  The loop itself (accel/tcg/cpu_exec.c) owns the
 * setjmp point that exceptions unwind to.
 */
#ifndef TARGET_X86_64_TCG_X86_TCG_H
#define TARGET_X86_64_TCG_X86_TCG_H

#include <setjmp.h>

#include "accel/accel.h"
#include "accel/tcg/tb.h"

typedef struct X86TCGCPU X86TCGCPU;

X86TCGCPU *x86_tcg_cpu_new(VCPU *cpu, TCGPages *pages);
void x86_tcg_cpu_free(X86TCGCPU *env);

void x86_tcg_get_state(X86TCGCPU *env, X86CPUState *s);
void x86_tcg_set_state(X86TCGCPU *env, const X86CPUState *s);

/* Where exceptions raised while executing guest code unwind to. */
jmp_buf *x86_tcg_jmp_buf(X86TCGCPU *env);
/*
 * At a block boundary: delivers a pending exception, takes INIT/SIPI/NMI
 * and interrupts.  Returns -1 to go on executing, else a VCPURunResult.
 */
int x86_tcg_handle_events(X86TCGCPU *env);
/* Runs one decoded block (decoding it first if it is not cached). */
void x86_tcg_exec_block(X86TCGCPU *env);

/*
 * Single-step mode: each vcpu_run (which calls x86_tcg_run_start first)
 * runs one instruction, delivers what it raised, and returns
 * VCPU_RUN_KICKED from x86_tcg_handle_events.
 */
void x86_tcg_set_single_step(X86TCGCPU *env, bool enable);
void x86_tcg_run_start(X86TCGCPU *env);

#endif
