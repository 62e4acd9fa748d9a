/*
 * SYSCALL entry for the cpl3 payload.  SFMASK clears IF, so nothing
 * interrupts the window on the user stack.  Calls
 * syscall_dispatch(nr, a1, a2, a3, user_rip, user_rflags) with the
 * user's RAX, RDI, RSI, RDX and returns with SYSRETQ; RCX and R11 are
 * clobbered, other registers preserved.
 */
    .text
    .globl syscall_entry
syscall_entry:
    mov     %rsp, syscall_user_rsp(%rip)
    mov     syscall_kernel_rsp(%rip), %rsp
    push    %rcx
    push    %r11
    push    %rdi
    push    %rsi
    push    %rdx
    push    %r8
    push    %r9
    push    %r10
    mov     %rdx, %rcx
    mov     %rsi, %rdx
    mov     %rdi, %rsi
    mov     %rax, %rdi
    mov     56(%rsp), %r8           /* user RIP (RCX) */
    mov     48(%rsp), %r9           /* user RFLAGS (R11) */
    call    syscall_dispatch
    pop     %r10
    pop     %r9
    pop     %r8
    pop     %rdx
    pop     %rsi
    pop     %rdi
    pop     %r11
    pop     %rcx
    mov     syscall_user_rsp(%rip), %rsp
    sysretq

    .bss
    .balign 8
    .globl syscall_user_rsp
syscall_user_rsp:
    .skip   8
