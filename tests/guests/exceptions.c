/*
 * exceptions: #DE, #UD, #GP (non-canonical address, bad selector), #PF
 * (read of an unmapped address, write to a not-present page) and #BP.
 * The handler records vector, error code, RIP and CR2 and resumes after
 * the faulting instruction.
 *
 * "int3=0" on the command line skips #BP: this host's KVM (kvm_pvm) cannot
 * emulate INT3 at CPL0 and stops the VM with an internal error.
 */
#include "lib/guest.h"

#define UNMAPPED_VA   0x0000500000000000ull   /* no PML4 entry */
#define NOTPRESENT_VA 0x0000400000001000ull   /* PTE present bit clear */

typedef struct ExcTest {
    const char *name;
    unsigned vector;
    uint64_t error_code;
    void (*trigger)(uint64_t arg);
    const uint8_t *fault;           /* expected saved RIP */
    const uint8_t *resume;
    uint64_t arg;
    bool check_cr2;
} ExcTest;

#define TRIGGER(x)                                                      \
    void x(uint64_t arg);                                               \
    extern const uint8_t x##_fault[], x##_resume[];
TRIGGER(trig_de)
TRIGGER(trig_ud)
TRIGGER(trig_gp_noncanonical)
TRIGGER(trig_gp_selector)
TRIGGER(trig_pf_read)
TRIGGER(trig_pf_write)
TRIGGER(trig_bp)
#undef TRIGGER

#define T(x) x, x##_fault, x##_resume
static const ExcTest tests[] = {
    { "#DE", 0, 0, T(trig_de), 0, false },
    { "#UD", 6, 0, T(trig_ud), 0, false },
    { "#GP non-canonical", 13, 0, T(trig_gp_noncanonical), 0, false },
    { "#GP bad selector", 13, 0x1230, T(trig_gp_selector), 0, false },
    { "#PF read unmapped", 14, 0, T(trig_pf_read), UNMAPPED_VA, true },
    { "#PF write not-present", 14, PF_W, T(trig_pf_write), NOTPRESENT_VA,
      true },
    { "#BP", 3, 0, trig_bp, trig_bp_resume, trig_bp_resume, 0, false },
};
#undef T

static const ExcTest *current;
static struct {
    unsigned count;
    uint64_t vector, error_code, rip, cr2;
} seen;

static void on_exception(TrapFrame *f)
{
    seen.count++;
    seen.vector = f->vector;
    seen.error_code = f->error_code;
    seen.rip = f->rip;
    seen.cr2 = read_cr2();
    if (!current || seen.count > 1) {
        printf("exception %lu at rip %lx outside a test\n", f->vector, f->rip);
        guest_fail("exceptions", "unexpected exception");
    }
    f->rip = (uintptr_t)current->resume;
}

static bool run_one(const ExcTest *t)
{
    bool ok;

    memset(&seen, 0, sizeof(seen));
    current = t;
    t->trigger(t->arg);
    current = NULL;
    printf("%s: vector %lu error %lx rip %lx cr2 %lx\n", t->name, seen.vector,
           seen.error_code, seen.rip, seen.cr2);
    ok = seen.count == 1 && seen.vector == t->vector &&
         seen.error_code == t->error_code &&
         seen.rip == (uintptr_t)t->fault &&
         (!t->check_cr2 || seen.cr2 == t->arg);
    printf("%s %s\n", ok ? "ok" : "not ok", t->name);
    return ok;
}

int main(void)
{
    uint64_t *pml4 = pt_new_identity(false);
    unsigned long int3 = 1;
    unsigned failed = 0;

    cmdline_get_ulong("int3", &int3);
    pt_map_4k(pml4, NOTPRESENT_VA, 0x300000, PTE_W);   /* P clear */
    write_cr3((uintptr_t)pml4);
    for (unsigned v = 0; v < 32; v++) {
        idt_set_handler(v, on_exception);
    }
    for (unsigned i = 0; i < ARRAY_SIZE(tests); i++) {
        if (tests[i].vector == 3 && !int3) {
            printf("skip %s (int3=0)\n", tests[i].name);
            continue;
        }
        failed += !run_one(&tests[i]);
    }
    if (failed) {
        guest_fail("exceptions", "an exception was not delivered as expected");
    }
    guest_pass("exceptions");
}
