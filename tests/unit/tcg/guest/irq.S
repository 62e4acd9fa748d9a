# External interrupts at 0x100000.  The handler for vector 0x40 (installed
# by the test at 0x7400) counts in R14 and returns.
        .code64
        .org    0x000
sti_hlt:                                # wait for one interrupt
        sti
        hlt
        mov     $0x99, %r15
        cli
        hlt
        .org    0x040
spin:                                   # count loops with IF=1 until R14 != 0
        sti
1:
        add     $1, %rbx
        test    %r14, %r14
        jz      1b
        cli
        hlt
        .org    0x080
shadow:                                 # no interrupt between STI and the next insn
        sti
        mov     %r14, %r13
        cli
        hlt
        .org    0x400
handler:
        add     $1, %r14
        iretq
