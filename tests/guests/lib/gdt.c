/*
 * GDT: kernel code32/code64/data at 0x08/0x10/0x18 (the boot contract's
 * selectors), user code32/data/code64 at 0x20/0x28/0x30 in the order
 * SYSRET expects (STAR[63:48] = 0x20), and a TSS at 0x38.
 */
#include "guest.h"

#define DF_IST_STACK 4096

TSS64 guest_tss;
static uint8_t df_stack[DF_IST_STACK] __attribute__((aligned(16)));

/* Accessed bits preset so the CPU never writes the table. */
static uint64_t gdt[9] __attribute__((aligned(16))) = {
    [SEL_KCODE32 / 8] = 0x00cf9b000000ffffull,
    [SEL_KCODE / 8]   = 0x00af9b000000ffffull,
    [SEL_KDATA / 8]   = 0x00cf93000000ffffull,
    [SEL_UCODE32 / 8] = 0x00cffb000000ffffull,
    [SEL_UDATA / 8]   = 0x00cff3000000ffffull,
    [SEL_UCODE / 8]   = 0x00affb000000ffffull,
};

static void set_tss_descriptor(void)
{
    uint64_t base = (uintptr_t)&guest_tss;
    uint64_t limit = sizeof(guest_tss) - 1;

    gdt[SEL_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
                       (0x89ull << 40) |            /* present, 64-bit TSS */
                       (((limit >> 16) & 0xf) << 48) |
                       (((base >> 24) & 0xff) << 56);
    gdt[SEL_TSS / 8 + 1] = base >> 32;
}

void gdt_get_ptr(DescPtr *p)
{
    p->limit = sizeof(gdt) - 1;
    p->base = (uintptr_t)gdt;
}

void gdt_init(void)
{
    DescPtr p;

    guest_tss.iomap_base = sizeof(guest_tss);   /* no I/O bitmap */
    guest_tss.ist[0] = (uintptr_t)(df_stack + sizeof(df_stack));
    set_tss_descriptor();
    gdt_get_ptr(&p);
    __asm__ volatile(
        "lgdt %0\n\t"
        "pushq %1\n\t"
        "leaq 1f(%%rip), %%rax\n\t"
        "pushq %%rax\n\t"
        "lretq\n"
        "1:\n\t"
        "mov %2, %%ds\n\t"
        "mov %2, %%es\n\t"
        "mov %2, %%ss\n\t"
        "mov %3, %%fs\n\t"
        "mov %3, %%gs\n\t"
        "ltr %w4"
        : : "m"(p), "i"(SEL_KCODE), "r"(SEL_KDATA), "r"(0), "r"(SEL_TSS)
        : "rax", "memory");
}
