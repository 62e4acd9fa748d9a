# Run by two vCPUs at once on the same counter at 0x40000: N LOCK ADDs and
# N LOCK CMPXCHG increments each (RCX = N).
        .code64
start:
        mov     $0x40000, %rdi
        mov     %rcx, %rdx
1:
        lock addq $1, (%rdi)
        dec     %rcx
        jnz     1b
2:
        mov     (%rdi), %rax
3:
        lea     1(%rax), %rbx
        lock cmpxchg %rbx, (%rdi)
        jnz     3b
        dec     %rdx
        jnz     2b
        hlt
