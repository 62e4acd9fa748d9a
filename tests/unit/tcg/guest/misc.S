# Assorted checks at 0x100000, one entry per 0x80 bytes.
        .code64
        .org    0x000
ad_bits:                                # touch 0x180000 (read) and 0x181000 (write)
        mov     0x180000, %rax          # the test maps both with 4 KiB pages
        movq    $1, 0x181008
        hlt
        .org    0x080
invlpg:                                 # remap 0x182000 -> 0x183000 by hand
        mov     0x182000, %rax          # fills the TLB (old frame)
        movq    $0x183007, 0x4c10       # PTE of 0x182000 (PT at 0x4000)
        mov     0x182000, %rbx          # may still see the old frame
        invlpg  0x182000
        mov     0x182000, %rcx          # must see the new frame
        mov     %cr3, %rdx
        movq    $0x182007, 0x4c10       # back to the old frame
        mov     %rdx, %cr3              # a CR3 write flushes too
        mov     0x182000, %rdx
        hlt
        .org    0x100
wp_off:                                 # CR0.WP=0: supervisor writes to RO pages
        mov     %cr0, %rax
        and     $~0x10000, %rax
        mov     %rax, %cr0
        movq    $0x55, 0x1fe018
        hlt
        .org    0x180
cx16:                                   # cmpxchg16b: one miss, one hit
        mov     $0x20000, %rdi
        xor     %eax, %eax
        xor     %edx, %edx
        mov     $1, %ebx
        mov     $2, %ecx
        lock cmpxchg16b (%rdi)          # memory holds 5:6, so it fails
        setz    %r8b
        lock cmpxchg16b (%rdi)          # now RDX:RAX = 6:5: succeeds
        setz    %r9b
        hlt
        .org    0x200
flags_live:                             # rotate flags read and overwritten
        mov     $0x80000001, %eax
        rol     $1, %eax
        setc    %bl                     # CF from ROL: 1
        ror     $1, %eax
        add     %ecx, %ecx              # overwrites every flag (CF = 0)
        setc    %bh
        shl     $1, %eax                # CF = 1 ...
        inc     %edx                    # ... which INC preserves
        setc    %cl
        hlt
        .org    0x280
far_ret:                                # lretq to the same privilege
        pushq   $0x10
        lea     1f(%rip), %rax
        push    %rax
        lretq
        hlt
1:
        mov     %cs, %ebx
        mov     $0x18, %eax
        mov     %eax, %ds
        mov     %ds, %ecx
        hlt
        .org    0x300
str_mmio:                               # REP STOSB into nothing (MMIO hole)
        mov     $0xe0000000, %rdi
        mov     $64, %ecx
        mov     $0xab, %al
        rep stosb
        movabs  0xe0000000, %rax        # reads of nothing are all ones
        hlt
        .org    0x380
single_step:                            # three steps under TF, counted in R14
        pushfq
        orq     $0x100, (%rsp)
        popfq                           # TF on: traps after the next insn
        nop
        nop
        pushfq
        andq    $~0x100, (%rsp)
        popfq                           # TF off again (trap after this one)
        mov     $0x55, %r13
        hlt
