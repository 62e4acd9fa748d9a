/* Exit through isa-debug-exit, result helpers and the spinlock. */
#include "guest.h"

void guest_runtime_init(void);

void guest_runtime_init(void)
{
    uart_init();
    gdt_init();
    idt_init();
}

noreturn void guest_exit(uint32_t value)
{
    outl(GUEST_EXIT_PORT, value);
    /* Only reached when the VMM has no isa-debug-exit device. */
    uart_puts("guest_exit: isa-debug-exit did not stop the VM\n");
    for (;;) {
        __asm__ volatile("cli; hlt");
    }
}

noreturn void guest_pass(const char *name)
{
    printf("PASS %s\n", name);
    guest_exit(GUEST_EXIT_PASS);
}

noreturn void guest_fail(const char *name, const char *why)
{
    printf("FAIL %s: %s\n", name, why);
    guest_exit(GUEST_EXIT_FAIL);
}

bool check(bool cond, const char *what)
{
    printf("%s %s\n", cond ? "ok" : "not ok", what);
    return cond;
}

void spin_lock(Spinlock *l)
{
    uint32_t v;

    for (;;) {
        v = 1;
        __asm__ volatile("xchg %0, %1" : "+r"(v), "+m"(l->locked) : : "memory");
        if (!v) {
            return;
        }
        while (l->locked) {
            cpu_relax();
        }
    }
}

void spin_unlock(Spinlock *l)
{
    __asm__ volatile("" ::: "memory");
    l->locked = 0;
}
