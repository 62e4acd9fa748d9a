/*
 * hello: the boot contract as a payload sees it.  Prints the command line
 * (-append), the e820 map and the entry state, and checks the latter.
 */
#include "lib/guest.h"

#define MIB (1024ul * 1024)

static void print_e820(void)
{
    uint64_t ram = 0;
    unsigned n = e820_count();

    printf("e820 entries: %u\n", n);
    for (unsigned i = 0; i < n; i++) {
        const E820Entry *e = e820_entry(i);
        printf("e820: %016lx-%016lx type %u\n", e->addr,
               e->addr + e->size - 1, e->type);
        if (e->type == 1) {
            ram += e->size;
        }
    }
    /* Rounded up: the map may hold back a few pages below 1 MiB. */
    printf("ram_mib=%lu\n", (ram + MIB - 1) / MIB);
}

static bool check_entry_state(void)
{
    const BootState *b = &boot_state;
    bool ok = true;

    printf("entry: cs=%x ds=%x ss=%x rflags=%lx cr0=%lx cr4=%lx efer=%lx\n",
           b->cs, b->ds, b->ss, b->rflags, b->cr0, b->cr4, b->efer);
    ok &= check(b->cs == SEL_KCODE, "entry cs is 0x10");
    ok &= check(b->ds == SEL_KDATA && b->ss == SEL_KDATA,
                "entry ds and ss are 0x18");
    ok &= check(!(b->rflags & 0x200), "entry interrupts off");
    ok &= check((b->cr0 & 0x80000001u) == 0x80000001u, "entry paging on");
    ok &= check((b->efer & (EFER_LME | EFER_LMA)) == (EFER_LME | EFER_LMA),
                "entry long mode");
    /* The identity map must cover the low 4 GiB, LAPIC page included. */
    ok &= check((lapic_read(0x30) & 0xff) >= 0x10, "LAPIC version readable");
    return ok;
}

int main(void)
{
    bool ok;

    printf("Hello from hello\n");
    printf("cmdline: %s\n", boot_cmdline());
    print_e820();
    ok = check_entry_state();
    ok &= check(e820_count() > 0, "e820 map present");
    if (!ok) {
        guest_fail("hello", "boot contract not met");
    }
    guest_pass("hello");
}
