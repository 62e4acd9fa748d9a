/* Accesses that may fault, and the faults they raised (guest.h). */
#include "guest.h"

uint64_t probe_read64(uint64_t addr, uint64_t if_fault);
void probe_write32(uint64_t addr, uint32_t value);
void probe_call(uint64_t addr);
void probe_cli(void);
extern const uint8_t probe_read64_fault[], probe_read64_resume[];
extern const uint8_t probe_cli_fault[], probe_cli_resume[];
extern const uint8_t probe_write32_fault[], probe_write32_resume[];

static volatile uint64_t call_target;
static Fault *volatile current;

static void on_fault(TrapFrame *f)
{
    Fault *out = current;

    if (out) {
        out->count++;
        out->vector = f->vector;
        out->error_code = f->error_code;
        out->rip = f->rip;
        out->cs = f->cs;
        out->cr2 = read_cr2();
    }
    if (out && f->rip == (uintptr_t)probe_read64_fault) {
        f->rip = (uintptr_t)probe_read64_resume;
    } else if (out && f->rip == (uintptr_t)probe_write32_fault) {
        f->rip = (uintptr_t)probe_write32_resume;
    } else if (out && f->rip == (uintptr_t)probe_cli_fault) {
        f->rip = (uintptr_t)probe_cli_resume;
    } else if (out && call_target && f->rip == call_target) {
        /* Fetch fault at the call target: return to probe_call's caller. */
        f->rip = *(uint64_t *)f->rsp;
        f->rsp += 8;
    } else {
        printf("unexpected fault: vector %lu error %lx rip %lx cs %lx "
               "cr2 %lx\n", f->vector, f->error_code, f->rip, f->cs,
               read_cr2());
        guest_fail("probe", "fault outside a probe");
    }
}

void probe_init(void)
{
    idt_set_handler(13, on_fault);
    idt_set_handler(14, on_fault);
}

static void begin(Fault *f)
{
    memset(f, 0, sizeof(*f));
    current = f;
}

bool probe_read(uint64_t addr, uint64_t *val, Fault *f)
{
    begin(f);
    *val = probe_read64(addr, 0);
    current = NULL;
    return !f->count;
}

bool probe_write(uint64_t addr, uint32_t val, Fault *f)
{
    begin(f);
    probe_write32(addr, val);
    current = NULL;
    return !f->count;
}

bool probe_exec(uint64_t addr, Fault *f)
{
    begin(f);
    call_target = addr;
    probe_call(addr);
    call_target = 0;
    current = NULL;
    return !f->count;
}

bool probe_privileged(Fault *f)
{
    begin(f);
    probe_cli();
    current = NULL;
    return !f->count;
}
