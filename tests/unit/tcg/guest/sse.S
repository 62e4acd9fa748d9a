# SSE2 string-search idioms and some arithmetic, at 0x100000.  Data at
# 0x20000 (16-aligned).
        .code64
        .org    0x000
strlen16:                               # glibc-style: first NUL in 16 bytes
        pxor    %xmm0, %xmm0
        movdqa  0x20000, %xmm1
        pcmpeqb %xmm1, %xmm0
        pmovmskb %xmm0, %eax
        bsf     %eax, %eax
        hlt
        .org    0x040
arith:
        movdqu  0x20000, %xmm2
        movdqu  0x20010, %xmm3
        paddd   %xmm3, %xmm2
        pshufd  $0x1b, %xmm2, %xmm4
        psubb   %xmm3, %xmm4
        pminub  %xmm3, %xmm4
        punpcklbw %xmm3, %xmm4
        psrldq  $3, %xmm4
        movq    %xmm4, %rax
        movd    %xmm2, %ebx
        movdqu  %xmm4, 0x20040
        hlt
        .org    0x0c0
fp:
        mov     $3, %eax
        cvtsi2sd %eax, %xmm0
        mov     $4, %eax
        cvtsi2sd %eax, %xmm1
        mulsd   %xmm0, %xmm0
        mulsd   %xmm1, %xmm1
        addsd   %xmm1, %xmm0
        sqrtsd  %xmm0, %xmm0
        cvttsd2si %xmm0, %rbx
        ucomisd %xmm1, %xmm0
        seta    %cl
        hlt
        .org    0x140
fx:
        fninit
        fnstcw  0x20100
        stmxcsr 0x20104
        fxsave  0x20200
        hlt
