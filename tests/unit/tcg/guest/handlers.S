# Exception handler stubs, 16 bytes apart from 0x7000: stub V sets R15 to V
# and halts, except vector 0x80 which counts in R14 and returns.
        .code64
        .irp    v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19
        .org    \v * 16
        mov     $\v, %r15
        hlt
        .endr
        .org    0x80 * 16
        add     $1, %r14
        iretq
