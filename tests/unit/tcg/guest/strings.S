# String instructions at 0x100000.  Data: source buffer at 0x20000,
# destination at 0x30000.
        .code64
        .org    0x000
movsb:                                  # rep movsb of 10000 bytes (crosses pages)
        mov     $0x20000, %rsi
        mov     $0x30000, %rdi
        mov     $10000, %ecx
        cld
        rep movsb
        hlt
        .org    0x040
stosq:                                  # rep stosq of 1000 quadwords
        mov     $0x30000, %rdi
        mov     $1000, %ecx
        movabs  $0x0123456789abcdef, %rax
        rep stosq
        hlt
        .org    0x080
strlen:                                 # repne scasb over a NUL-terminated string
        mov     $0x20000, %rdi
        xor     %eax, %eax
        mov     $-1, %rcx
        repne scasb
        not     %rcx
        dec     %rcx
        hlt
        .org    0x0c0
cmpsb:                                  # repe cmpsb stops at the first difference
        mov     $0x20000, %rsi
        mov     $0x30000, %rdi
        mov     $100, %ecx
        repe cmpsb
        hlt
        .org    0x100
movsd_back:                             # std; rep movsl copies backwards
        mov     $0x2000c, %rsi
        mov     $0x3000c, %rdi
        mov     $4, %ecx
        std
        rep movsl
        cld
        hlt
        .org    0x140
lods:
        mov     $0x20000, %rsi
        lodsl
        lodsw
        hlt
