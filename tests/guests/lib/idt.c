/* IDT with a gate per vector; handlers are C functions on a TrapFrame. */
#include "guest.h"

typedef struct __attribute__((packed)) Gate {
    uint16_t off_lo;
    uint16_t sel;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t off_mid;
    uint32_t off_hi;
    uint32_t reserved;
} Gate;

extern const uint8_t isr_stubs[];
void trap_dispatch(TrapFrame *f);

static Gate idt[256] __attribute__((aligned(16)));
static TrapHandler handlers[256];

static void unexpected_trap(TrapFrame *f)
{
    printf("unexpected trap: vector %lu error %lx rip %lx cs %lx cr2 %lx\n",
           f->vector, f->error_code, f->rip, f->cs, read_cr2());
    guest_fail("trap", "unexpected exception or interrupt");
}

void trap_dispatch(TrapFrame *f)
{
    TrapHandler h = handlers[f->vector & 0xff];

    (h ? h : unexpected_trap)(f);
}

void idt_set_handler(unsigned vector, TrapHandler h)
{
    handlers[vector & 0xff] = h;
}

void idt_set_dpl(unsigned vector, unsigned dpl)
{
    idt[vector & 0xff].type_attr = (uint8_t)(0x8e | ((dpl & 3) << 5));
}

void idt_set_ist(unsigned vector, unsigned ist)
{
    idt[vector & 0xff].ist = (uint8_t)(ist & 7);
}

void idt_load(void)
{
    DescPtr p = { sizeof(idt) - 1, (uintptr_t)idt };

    __asm__ volatile("lidt %0" : : "m"(p));
}

void idt_init(void)
{
    for (unsigned v = 0; v < 256; v++) {
        uint64_t a = (uintptr_t)(isr_stubs + 16 * v);
        idt[v] = (Gate) {
            .off_lo = (uint16_t)a,
            .sel = SEL_KCODE,
            .type_attr = 0x8e,      /* present, DPL0, interrupt gate */
            .off_mid = (uint16_t)(a >> 16),
            .off_hi = (uint32_t)(a >> 32),
        };
    }
    idt_set_ist(8, 1);              /* #DF on its own stack (gdt.c) */
    idt_load();
}
