/*
 * Entry per the boot contract: long mode, CS=0x10, DS/SS=0x18, IF=0,
 * RSI = zero page.  Records that state (BootState in guest.h), sets up a
 * stack, clears .bss and calls main().
 */
    .section .text.start, "ax"
    .globl _start
_start:
    /* The boot protocol gives no stack: set one up before PUSHF. */
    lea     boot_stack_top(%rip), %rsp
    mov     %cs, boot_state+0(%rip)
    mov     %ds, boot_state+2(%rip)
    mov     %ss, boot_state+4(%rip)
    mov     %es, boot_state+6(%rip)
    pushfq
    popq    boot_state+8(%rip)
    mov     %cr0, %rax
    mov     %rax, boot_state+16(%rip)
    mov     %cr4, %rax
    mov     %rax, boot_state+24(%rip)
    mov     %rsi, %rbx
    mov     $0xc0000080, %ecx
    rdmsr
    mov     %eax, boot_state+32(%rip)
    mov     %edx, boot_state+36(%rip)
    cli
    cld
    lea     __bss_start(%rip), %rdi
    lea     __bss_end(%rip), %rcx
    sub     %rdi, %rcx
    shr     $3, %rcx
    xor     %eax, %eax
    rep stosq
    mov     %rbx, boot_params(%rip)
    xor     %ebp, %ebp
    call    guest_runtime_init
    call    main
    /* main() returning is a failure: payloads end with guest_pass(). */
    mov     $0x11, %edi
    call    guest_exit
1:  hlt
    jmp     1b

    .data
    .balign 8
    .globl boot_state
boot_state:
    .skip   40

    /* Nothing is pushed before .bss is cleared, so the stack may live there. */
    .section .bss.boot_stack, "aw", @nobits
    .balign 16
    .globl boot_stack_top
boot_stack:
    .skip   16384
boot_stack_top:
