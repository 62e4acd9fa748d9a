/*
 * Multiboot (v1) front end for the bare-metal payloads, so that QEMU's
 * -kernel can boot them on its `pc` machine for side-by-side benchmarks.
 *
 * The loader enters mb_entry in 32-bit protected mode, paging off, with
 * EAX = 0x2BADB002 and EBX = the multiboot information.  The shim builds
 * what the boot contract (ARCHITECTURE.md) promises a payload: long mode
 * with the low 4 GiB identity-mapped by 2 MiB pages, CS = 0x10,
 * DS/SS = 0x18, interrupts off, and RSI = a zero page whose command line
 * is the multiboot one (the e820 table is left empty).  It then jumps to
 * the payload's _start (lib/start.S).
 *
 * Its tables live in .mbshim.bss, outside the payload's .bss, which
 * _start clears.
 */
#define MB_MAGIC        0x1badb002
#define MB_FLAGS        0x00000003      /* modules page-aligned, memory info */
#define MB_INFO_CMDLINE (1 << 2)

#define BP_CMD_LINE_PTR 0x228

#define CR0_PE          (1 << 0)
#define CR0_PG          (1 << 31)
#define CR4_PAE         (1 << 5)
#define MSR_EFER        0xc0000080
#define EFER_LME        (1 << 8)

#define PTE_P_W         0x003
#define PTE_P_W_PS      0x083

    .section .multiboot, "a"
    .balign 4
    .long   MB_MAGIC
    .long   MB_FLAGS
    .long   -(MB_MAGIC + MB_FLAGS)

    .section .text.mbshim, "ax"
    .code32
    .globl  mb_entry
mb_entry:
    cli
    cld
    mov     $mb_stack_top, %esp
    mov     %ebx, %ebp

    /* Clear the tables and the zero page. */
    mov     $mb_tables, %edi
    mov     $(mb_tables_end - mb_tables) / 4, %ecx
    xor     %eax, %eax
    rep stosl

    /* PML4[0] -> PDPT; PDPT[0..3] -> PD0..PD3 (mb_pd is 4 contiguous pages). */
    movl    $mb_pdpt + PTE_P_W, mb_pml4
    mov     $mb_pdpt, %edi
    mov     $mb_pd + PTE_P_W, %eax
    mov     $4, %ecx
1:  mov     %eax, (%edi)
    add     $8, %edi
    add     $4096, %eax
    loop    1b

    /* 2048 2 MiB pages: PD entry i maps i * 2 MiB. */
    mov     $mb_pd, %edi
    mov     $PTE_P_W_PS, %eax
    xor     %edx, %edx
    mov     $2048, %ecx
2:  mov     %eax, (%edi)
    mov     %edx, 4(%edi)
    add     $0x200000, %eax
    adc     $0, %edx
    add     $8, %edi
    loop    2b

    /* The zero page: only the command line. */
    testl   $MB_INFO_CMDLINE, (%ebp)
    jz      3f
    mov     16(%ebp), %eax
    mov     %eax, mb_zero_page + BP_CMD_LINE_PTR
3:
    lgdt    mb_gdt_ptr
    mov     %cr4, %eax
    or      $CR4_PAE, %eax
    mov     %eax, %cr4
    mov     $mb_pml4, %eax
    mov     %eax, %cr3
    mov     $MSR_EFER, %ecx
    rdmsr
    or      $EFER_LME, %eax
    wrmsr
    mov     %cr0, %eax
    or      $(CR0_PG | CR0_PE), %eax
    mov     %eax, %cr0
    ljmp    $0x10, $mb_entry64

    .code64
mb_entry64:
    mov     $0x18, %eax
    mov     %eax, %ds
    mov     %eax, %es
    mov     %eax, %ss
    xor     %eax, %eax
    mov     %eax, %fs
    mov     %eax, %gs
    mov     $mb_zero_page, %esi
    jmp     _start

    .section .rodata.mbshim, "a"
    .balign 16
mb_gdt:
    .quad   0
    .quad   0x00cf9b000000ffff          /* 0x08: code32 */
    .quad   0x00af9b000000ffff          /* 0x10: code64 */
    .quad   0x00cf93000000ffff          /* 0x18: data */
mb_gdt_end:
mb_gdt_ptr:
    .word   mb_gdt_end - mb_gdt - 1
    .long   mb_gdt

    .section .mbshim.bss, "aw", @nobits
    .balign 4096
mb_tables:
mb_pml4:
    .skip   4096
mb_pdpt:
    .skip   4096
mb_pd:
    .skip   4 * 4096
mb_zero_page:
    .skip   4096
mb_tables_end:
    .balign 16
    .skip   4096
mb_stack_top:
