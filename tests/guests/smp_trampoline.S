/*
 * AP start-up trampoline, copied by the BSP to TRAMP_BASE (the SIPI
 * vector is TRAMP_BASE >> 12).  Real mode -> 32-bit protected mode ->
 * long mode with the BSP's GDT, CR3 and EFER, then a stack from
 * tramp_stacks and a call to ap_main(index).  The BSP fills the data
 * block at the end before sending the SIPIs.
 */
#define TRAMP_BASE 0x80000
#define ABS(sym) (TRAMP_BASE + (sym) - tramp_start)

    .section .rodata.trampoline, "a"
    .globl tramp_start, tramp_end
    .globl tramp_gdtr, tramp_cr3, tramp_efer, tramp_stacks, tramp_stack_size
    .globl tramp_next_index, tramp_entry
    .balign 16
    .code16
tramp_start:
    cli
    cld
    mov     %cs, %ax
    mov     %ax, %ds
    lgdtl   tramp_gdtr - tramp_start
    mov     %cr0, %eax
    or      $1, %eax                    /* PE */
    mov     %eax, %cr0
    ljmpl   $0x08, $ABS(pm32)

    .code32
pm32:
    mov     $0x18, %ax
    mov     %ax, %ds
    mov     %ax, %es
    mov     %ax, %ss
    mov     %cr4, %eax
    or      $0x20, %eax                 /* PAE */
    mov     %eax, %cr4
    mov     ABS(tramp_cr3), %eax
    mov     %eax, %cr3
    mov     $0xc0000080, %ecx
    mov     ABS(tramp_efer), %eax       /* LME (and NXE) */
    xor     %edx, %edx
    wrmsr
    mov     %cr0, %eax
    or      $0x80000000, %eax           /* PG */
    mov     %eax, %cr0
    ljmpl   $0x10, $ABS(lm64)

    .code64
lm64:
    mov     $1, %eax
    lock xadd %eax, ABS(tramp_next_index)
    mov     %eax, %edi                  /* ap_main's argument */
    inc     %eax
    imul    ABS(tramp_stack_size), %rax
    add     ABS(tramp_stacks), %rax
    mov     %rax, %rsp
    xor     %ebp, %ebp
    call    *ABS(tramp_entry)
1:  cli
    hlt
    jmp     1b

    .balign 8
tramp_gdtr:         .word 0
                    .long 0
                    .word 0
tramp_cr3:          .long 0
tramp_efer:         .long 0
tramp_next_index:   .long 0
                    .long 0
tramp_stack_size:   .quad 0
tramp_stacks:       .quad 0
tramp_entry:        .quad 0
tramp_end:
