# One entry per exception test, each at a fixed offset from 0x100000:
# the test sets RIP to the entry it wants.
        .code64
        .org    0x000
pf_read:                                # #PF on a read of an unmapped page
        mov     0x1ff008, %rax
        hlt
        .org    0x040
pf_write_ro:                            # #PF on a write to a read-only page
        movq    $1, 0x1fe010
        hlt
        .org    0x080
de:                                     # #DE from a division by zero
        xor     %ecx, %ecx
        div     %ecx
        hlt
        .org    0x0c0
ud:
        ud2
        hlt
        .org    0x100
gp_msr:                                 # #GP(0) from an unknown MSR
        mov     $0x12345, %ecx
        rdmsr
        hlt
        .org    0x140
int3:
        int3
        hlt
        .org    0x180
iret:                                   # INT 0x80 twice; its handler IRETQs
        int     $0x80
        int     $0x80
        mov     $0x77, %r15
        hlt
        .org    0x1c0
nx:                                     # #PF on a fetch from an NX page
        mov     $0x1fd000, %rax
        jmp     *%rax
        .org    0x200
df:                                     # #PF whose delivery faults: #DF
        mov     $0x1ff000, %rsp
        mov     0x1ff008, %rax
        hlt
