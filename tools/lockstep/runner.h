/*
 * Runs generated sequences on one accelerator, through accel/accel.h only.
 *
 * A Runner owns a bare Machine (no machine type, no devices): RAM for
 * page tables, GDT/TSS/IDT, data, stack and code, plus the END page, an
 * MMIO region the END marker stores to.  Its write callback kicks the
 * vCPU, so vcpu_run returns VCPU_RUN_KICKED right after the store.  The
 * tool's own thread is the vCPU thread: it calls vcpu_run directly.
 *
 * The VM and vCPU are reused: each sequence goes to a fresh code address
 * (the software CPU caches decoded blocks by physical address and does not
 * see writes made from outside the guest), and when the code area is used
 * up the vCPU is re-created, which starts it with an empty block cache.
 */
#ifndef TOOLS_LOCKSTEP_RUNNER_H
#define TOOLS_LOCKSTEP_RUNNER_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "accel/accel.h"
#include "target/x86_64/cpu.h"
#include "tools/lockstep/gen.h"

/* Guest-physical layout (identity-mapped, user-accessible). */
#define LS_PML4         0x1000ull
#define LS_PDPT         0x2000ull
#define LS_PD_LOW       0x3000ull   /* 0 - 1 GiB */
#define LS_PD_HIGH      0x4000ull   /* 3 - 4 GiB: the END page */
#define LS_GDT          0x5000ull
#define LS_TSS          0x6000ull
#define LS_IDT          0x7000ull
#define LS_DATA         0x10000ull
#define LS_STACK        0x11000ull
#define LS_STACK_TOP    (LS_STACK + 0x800)  /* RSP: room both ways */
#define LS_CODE         0x100000ull
#define LS_RAM_SIZE     0x1000000ull        /* 16 MiB, 2 MiB pages */
#define LS_END          0xd0000000ull

/*
 * Sequences start on a 64-byte boundary, so blocks begin at varied page
 * offsets and a sequence may cross a page boundary.
 */
#define LS_CODE_ALIGN   64u

#define LS_USER_CS      0x23
#define LS_USER_DS      0x1b
#define LS_TSS_SEL      0x28

typedef enum RunStatus {
    RUN_OK,                     /* stopped at the END marker */
    RUN_FAULT,                  /* vcpu_run gave up (triple fault, error) */
    RUN_TIMEOUT,                /* never reached the END marker */
} RunStatus;

/* What a run leaves behind: the state and the memory it may touch. */
typedef struct RunResult {
    RunStatus status;
    VCPURunResult vcpu_result;
    X86CPUState state;
    uint8_t data[GEN_DATA_SIZE];
    uint8_t stack[4096];
    uint64_t end_value;         /* what the END marker stored */
    uint64_t code_addr;         /* where the sequence ran */
} RunResult;

typedef struct Runner Runner;

/* Probes and initialises OPS on a bare machine with one vCPU. */
Runner *runner_new(const AccelOps *ops, GError **errp);
void runner_free(Runner *r);
const char *runner_name(const Runner *r);

/*
 * The state every sequence starts from, except for what
 * gen_random_regs() randomises: 64-bit user mode, RSP/R14/R15 set up.
 */
void runner_base_state(X86CPUState *s);

/*
 * Runs SEQ from INIT (RIP is replaced by the code address) with the data
 * and stack pages holding DATA and STACK.  False (with ERRP) only when
 * the accelerator refused the state; a faulting or hanging sequence is a
 * RunResult status.
 */
bool runner_run(Runner *r, const GenSeq *seq, const X86CPUState *init,
                const uint8_t *data, const uint8_t *stack, RunResult *out,
                GError **errp);

/*
 * Single-stepping: runner_step_begin loads and sets up as runner_run
 * does and turns on the accelerator's single-step mode; each runner_step
 * then makes one vcpu_run, which should run one instruction (*STEPPED
 * says whether it ended as a step: a debug exit under KVM, or the END
 * store), and fills OUT as runner_run does (status RUN_TIMEOUT meaning
 * "not at the END yet").  runner_step_end turns single-stepping off.
 */
bool runner_step_begin(Runner *r, const GenSeq *seq, const X86CPUState *init,
                       const uint8_t *data, const uint8_t *stack,
                       GError **errp);
bool runner_step(Runner *r, RunResult *out, bool *stepped, GError **errp);
bool runner_step_end(Runner *r, GError **errp);

#endif
