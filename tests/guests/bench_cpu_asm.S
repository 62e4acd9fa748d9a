/*
 * The CPL3 workload of bench_cpu: an xorshift64 generator, a 64-bit LCG
 * and a 256-entry table updated at an LCG-chosen index, BENCH_CPU_INSNS
 * (18) instructions per iteration, counted here and again by
 * tools/bench/tcg-mips from the disassembly between bench_cpu_loop and
 * bench_cpu_loop_end.
 *
 * bench_cpu_user: RDI = iterations (>= 1), RSI = the table (2 KiB).
 * Ends with UD2 (#UD to CPL0), RAX = checksum; it does not return.
 */
    .text
    .globl  bench_cpu_user
    .globl  bench_cpu_loop
    .globl  bench_cpu_loop_end
bench_cpu_user:
    movabs  $0x9e3779b97f4a7c15, %rax       /* xorshift state */
    mov     $1, %ebx                        /* LCG state */
    movabs  $6364136223846793005, %r8       /* LCG multiplier */
    movabs  $1442695040888963407, %r9       /* LCG increment */
    xor     %ecx, %ecx                      /* running sum */
    .p2align 4
bench_cpu_loop:
    mov     %rax, %rdx
    shl     $13, %rdx
    xor     %rdx, %rax
    mov     %rax, %rdx
    shr     $7, %rdx
    xor     %rdx, %rax
    mov     %rax, %rdx
    shl     $17, %rdx
    xor     %rdx, %rax
    imul    %r8, %rbx
    add     %r9, %rbx
    mov     %rbx, %rdx
    shr     $56, %rdx
    add     %rax, (%rsi,%rdx,8)
    add     %rax, %rcx
    xor     %rbx, %rcx
    dec     %rdi
    jnz     bench_cpu_loop
bench_cpu_loop_end:
    xor     %rbx, %rcx
    xor     %rcx, %rax
    .globl  bench_cpu_done
bench_cpu_done:
    ud2
