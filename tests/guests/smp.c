/*
 * smp: the BSP starts the other CPUs with INIT-SIPI-SIPI; each goes
 * through smp_trampoline.S from real mode to long mode, prints
 * "AP <apic id> up" (output serialized by a spinlock) and counts itself.
 * The CPU count comes from "ncpus=N" on the command line, else the MP
 * table, else 1.
 */
#include "lib/guest.h"

#define TRAMP_BASE 0x80000
#define AP_STACK_SIZE 8192
#define MAX_CPUS 16

#define ICR_INIT    0x00004500u     /* INIT, level assert */
#define ICR_SIPI    0x00004600u     /* start-up */

extern uint8_t tramp_start[], tramp_end[];
extern uint8_t tramp_gdtr[], tramp_cr3[], tramp_efer[], tramp_stacks[];
extern uint8_t tramp_stack_size[], tramp_next_index[], tramp_entry[];

static uint8_t ap_stacks[MAX_CPUS][AP_STACK_SIZE] __attribute__((aligned(16)));
static Spinlock print_lock;
static volatile uint32_t aps_up;
static volatile uint8_t ap_seen[256];

void ap_main(uint32_t index);

void ap_main(uint32_t index)
{
    unsigned id = lapic_id();

    (void)index;
    idt_load();
    spin_lock(&print_lock);
    printf("AP %u up\n", id);
    spin_unlock(&print_lock);
    ap_seen[id]++;
    __atomic_fetch_add(&aps_up, 1, __ATOMIC_SEQ_CST);
}

/* The trampoline's data block, at its copy below 1 MiB. */
static void *tramp_field(uint8_t *sym)
{
    return (uint8_t *)TRAMP_BASE + (sym - tramp_start);
}

static void install_trampoline(void)
{
    DescPtr gdtr;

    memcpy((void *)TRAMP_BASE, tramp_start, (size_t)(tramp_end - tramp_start));
    gdt_get_ptr(&gdtr);
    *(uint16_t *)tramp_field(tramp_gdtr) = gdtr.limit;
    *(uint32_t *)tramp_field(tramp_gdtr + 2) = (uint32_t)gdtr.base;
    *(uint32_t *)tramp_field(tramp_cr3) = (uint32_t)read_cr3();
    *(uint32_t *)tramp_field(tramp_efer) =
        (uint32_t)(rdmsr(MSR_EFER) & ~(uint64_t)EFER_LMA);
    *(uint64_t *)tramp_field(tramp_stack_size) = AP_STACK_SIZE;
    *(uint64_t *)tramp_field(tramp_stacks) = (uintptr_t)ap_stacks;
    *(uint64_t *)tramp_field(tramp_entry) = (uintptr_t)ap_main;
    *(uint32_t *)tramp_field(tramp_next_index) = 0;
}

static unsigned cpu_count(MPInfo *mp, bool *have_mp)
{
    unsigned long n;

    *have_mp = mptable_find(mp);
    if (*have_mp) {
        printf("MP table: %u CPUs\n", mp->ncpus);
    }
    if (cmdline_get_ulong("ncpus", &n)) {
        return n;
    }
    return *have_mp ? mp->ncpus : 1;
}

static bool start_ap(unsigned apic_id)
{
    bool ok = lapic_send_ipi(apic_id, ICR_INIT);

    pit_delay_us(10000);
    for (int i = 0; i < 2 && ok; i++) {
        ok = lapic_send_ipi(apic_id, ICR_SIPI | (TRAMP_BASE >> 12));
        pit_delay_us(200);
    }
    return ok;
}

int main(void)
{
    MPInfo mp;
    bool have_mp;
    unsigned ncpus = cpu_count(&mp, &have_mp);
    unsigned bsp = lapic_id();
    bool ok = true;

    printf("BSP %u, %u CPUs\n", bsp, ncpus);
    if (ncpus < 1 || ncpus > MAX_CPUS) {
        guest_fail("smp", "bad CPU count");
    }
    if (have_mp) {
        ok &= check(mp.ncpus == ncpus, "MP table CPU count matches ncpus");
    }
    pic_mask_all();
    lapic_enable(0xff);
    pit_start_free_running();
    install_trampoline();
    for (unsigned i = 0, started = 0; started < ncpus - 1 && i < 255; i++) {
        unsigned id = have_mp && i < mp.ncpus ? mp.apic_ids[i] : i;
        if (id == bsp) {
            continue;
        }
        if (!start_ap(id)) {
            printf("IPI to APIC %u not delivered\n", id);
            ok = false;
        }
        started++;
    }
    for (unsigned ms = 0; aps_up < ncpus - 1 && ms < 2000; ms++) {
        pit_delay_us(1000);
    }
    spin_lock(&print_lock);
    printf("%u of %u APs up\n", aps_up, ncpus - 1);
    spin_unlock(&print_lock);
    ok &= check(aps_up == ncpus - 1, "all APs up");
    for (unsigned id = 0; id < 256; id++) {
        if (ap_seen[id] > 1) {
            printf("not ok AP %u ran the trampoline %u times\n", id, ap_seen[id]);
            ok = false;
        }
    }
    if (!ok) {
        guest_fail("smp", "an SMP check failed");
    }
    guest_pass("smp");
}
