# Self-modifying code: the second pass must see the new immediate, written
# by a store inside the very block that executes it.  Loaded at 0x100000.
        .code64
start:
        mov     $2, %ecx
        xor     %ebx, %ebx
again:
        mov     $0x11111111, %eax
        add     %eax, %ebx
        movl    $0x22222222, again+1(%rip)
        dec     %ecx
        jnz     again
        hlt
