# A CPU-bound mix for measuring the interpreter (not run by default): a
# hash over a 4 KiB buffer with calls, loads, ALU, rotates and branches,
# repeated RCX times.  Loaded at 0x100000; buffer at 0x20000.
        .code64
start:
        xor     %eax, %eax
outer:
        mov     $0x20000, %rsi
        mov     $512, %edx
inner:
        mov     (%rsi), %r8
        call    mix
        add     $8, %rsi
        dec     %edx
        jnz     inner
        dec     %rcx
        jnz     outer
        hlt
mix:
        push    %rbx
        mov     %r8, %rbx
        xor     %rbx, %rax
        rol     $13, %rax
        imul    $0x5bd1e995, %rax, %rax
        mov     %rax, %rbx
        shr     $7, %rbx
        add     %rbx, %rax
        test    $1, %al
        jz      1f
        lea     0x11(%rax,%rbx,2), %rax
1:
        pop     %rbx
        ret
