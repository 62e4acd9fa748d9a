/*
 * Faulting instructions for the exceptions payload.  Each trigger X has
 * labels X_fault (the instruction that faults) and X_resume (where the
 * handler continues: X_fault + the instruction's length); the handler
 * checks the saved RIP against X_fault (X_resume for the #BP trap).
 */
    .text

    .macro trigger name
    .globl \name, \name\()_fault, \name\()_resume
    .endm

    trigger trig_de
trig_de:
    xor     %ecx, %ecx
    mov     $1, %eax
    xor     %edx, %edx
trig_de_fault:
    divl    %ecx
trig_de_resume:
    ret

    trigger trig_ud
trig_ud:
trig_ud_fault:
    ud2
trig_ud_resume:
    ret

    trigger trig_gp_noncanonical
trig_gp_noncanonical:
    movabs  $0x8000000000000000, %rax
trig_gp_noncanonical_fault:
    mov     (%rax), %rax
trig_gp_noncanonical_resume:
    ret

    /* Selector 0x1230 lies far beyond the GDT limit. */
    trigger trig_gp_selector
trig_gp_selector:
    mov     $0x1230, %eax
trig_gp_selector_fault:
    mov     %eax, %ds
trig_gp_selector_resume:
    ret

    trigger trig_pf_read
trig_pf_read:
trig_pf_read_fault:
    mov     (%rdi), %rax
trig_pf_read_resume:
    ret

    trigger trig_pf_write
trig_pf_write:
trig_pf_write_fault:
    movl    $0x12345678, (%rdi)
trig_pf_write_resume:
    ret

    /* #BP is a trap: the saved RIP is already past INT3. */
    trigger trig_bp
trig_bp:
trig_bp_fault:
    int3
trig_bp_resume:
    ret
