# SYSRET to CPL3 and back through SYSCALL, then HLT at CPL3 (#GP).
# Kernel part at 0x100000, user part at 0x101000 (user page), LSTAR at
# kernel_entry.
        .code64
        .org    0x000
kernel_start:
        mov     $0x101000, %rcx
        mov     $0x2, %r11
        sysretq
        .org    0x040
kernel_entry:                           # LSTAR
        add     $1, %r14
        mov     %rcx, %r13
        mov     %r11, %r12
        sysretq
        .org    0x1000
user:
        mov     $7, %rdi
        syscall
        mov     %cs, %eax
        mov     %rax, %rbx
        mov     %ss, %eax
        mov     %rax, %rbp
        hlt
