# Real-mode code at 0x8000 (CS = DS = SS = 0x0800): 16-bit addressing,
# near calls, LOOP, string ops with a 16-bit count, and INT through the
# real-mode IVT (vector 0x40 -> handler below).
        .code16
        .org    0
start:
        mov     %cs, %ax
        mov     %ax, %ds
        mov     %ax, %ss
        mov     $0x1000, %sp
        mov     $0x1234, %ax
        mov     $0x10, %bx
        mov     $0x20, %si
        mov     %ax, 0x100(%bx,%si)     # DS:0x130 = linear 0x8130
        mov     $5, %cx
        xor     %dx, %dx
1:
        call    addone
        loop    1b
        lea     -2(%bx,%si), %di        # 0x2e
        movl    $0x89abcdef, %eax       # 32-bit operand in 16-bit code
        addr32 mov %eax, 0x200(%ebx)    # 32-bit addressing: DS:0x210
        xor     %ax, %ax
        mov     %ax, %es
        movw    $handler - start, %es:0x100     # IVT[0x40]
        movw    %cs, %es:0x102
        int     $0x40
        hlt
addone:
        add     $1, %dx
        ret
handler:
        mov     $0x4242, %bp
        iret
