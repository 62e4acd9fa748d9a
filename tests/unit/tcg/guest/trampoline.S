# An AP-style start-up trampoline at 0x8000 (CS = 0x0800, IP = 0): real mode
# -> protected mode -> PAE, LME, paging -> 64-bit code.  Page tables are the
# test's identity map (CR3 = 0x1000).
        .code16
        .org    0
tramp:
        cli
        mov     %cs, %ax
        mov     %ax, %ds
        lgdtl   gdt_ptr - tramp
        mov     %cr0, %eax
        or      $1, %eax
        mov     %eax, %cr0
        ljmpl   $0x08, $pm32
        .code32
pm32:
        mov     $0x10, %ax
        mov     %ax, %ds
        mov     %ax, %ss
        mov     $0x9000, %esp
        push    $0x5a5a
        pop     %esi
        mov     %cr4, %eax
        or      $0x20, %eax
        mov     %eax, %cr4
        mov     $0x1000, %eax
        mov     %eax, %cr3
        mov     $0xc0000080, %ecx
        rdmsr
        or      $0x100, %eax
        wrmsr
        mov     %cr0, %eax
        or      $0x80000000, %eax
        mov     %eax, %cr0
        ljmp    $0x18, $lm64
        .code64
lm64:
        movabs  $0x123456789abcdef0, %rax
        lea     (%rsi,%rsi), %rbx
        hlt
        .p2align 3
gdt:
        .quad   0
        .quad   0x00cf9b000000ffff      # 0x08: 32-bit code
        .quad   0x00cf93000000ffff      # 0x10: data
        .quad   0x00af9b000000ffff      # 0x18: 64-bit code
gdt_end:
gdt_ptr:
        .word   gdt_end - gdt - 1
        .long   gdt
