/*
 * Memory accesses that may fault, for probe.c: the trap handler resumes
 * a faulting probe_read64/probe_write32 at its _resume label with RAX
 * left as it was (probe.c presets it), and probe_call's target by
 * popping the return address.
 */
    .text
    .globl probe_read64, probe_read64_fault, probe_read64_resume
    /* uint64_t probe_read64(uint64_t addr, uint64_t if_fault) */
probe_read64:
    mov     %rsi, %rax
probe_read64_fault:
    mov     (%rdi), %rax
probe_read64_resume:
    ret

    .globl probe_write32, probe_write32_fault, probe_write32_resume
    /* void probe_write32(uint64_t addr, uint32_t value) */
probe_write32:
probe_write32_fault:
    mov     %esi, (%rdi)
probe_write32_resume:
    ret

    .globl probe_call
    /* void probe_call(uint64_t addr): calls code at ADDR */
probe_call:
    jmp     *%rdi

    .globl probe_cli, probe_cli_fault, probe_cli_resume
    /* void probe_cli(void): CLI, which faults at CPL3 with IOPL 0 */
probe_cli:
probe_cli_fault:
    cli
probe_cli_resume:
    ret
