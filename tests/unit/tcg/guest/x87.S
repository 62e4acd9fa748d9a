# x87 arithmetic at 0x100000 on inputs at 0x20000 (a, b, c: doubles;
# i: int32); results from 0x20100 on.
        .code64
        .set    in, 0x20000
        .set    out, 0x20100
        fninit
        fldl    in                      # a
        fldl    in + 8                  # b, a
        faddp                           # a + b
        fldl    in + 16                 # c, a + b
        fmulp                           # (a + b) * c
        fsqrt
        fstpt   out                     # sqrt((a + b) * c), 80-bit
        fildl   in + 24                 # i
        fldpi
        fmulp                           # i * pi
        fistpl  out + 16                # rounded to nearest
        fldl    in                      # a
        fldl    in + 8                  # b, a
        fdivrp                          # a / b
        fstpl   out + 24
        fldl    in + 8                  # b
        fldl    in                      # a, b
        fcomip  %st(1), %st             # compare a with b
        seta    out + 32
        setb    out + 33
        fstp    %st(0)
        fldl    in                      # a
        fchs
        fabs
        frndint
        fistpll out + 40
        fld1
        fldl2e
        fyl2x                           # 1 * log2(log2(e))
        fstpl   out + 48
        fldl    in + 16                 # c
        fldl    in                      # a, c
        fprem                           # fmod(a, c), c
        fstpl   out + 56
        fstp    %st(0)
        fnstsw  %ax
        fnstcw  out + 64
        hlt
