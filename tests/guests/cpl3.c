/*
 * cpl3: user mode.  The kernel part sets up user segments, a TSS with
 * RSP0, SYSCALL (STAR/LSTAR/SFMASK), an INT 0x80 gate with DPL3 and a
 * periodic LAPIC timer, then enters CPL3 with IRETQ.  The user part
 * makes system calls both ways, takes #PF (supervisor page) and #GP (CLI)
 * faults, is interrupted by the timer, computes in a loop, and ends with
 * an exit system call whose handler checks everything at CPL0.
 *
 * Every step needs the CPL3 -> CPL0 path, which this host's KVM
 * (kvm_pvm) lacks: the integration test skips this payload there.
 */
#include "lib/guest.h"

enum {
    SYS_WRITE = 1,
    SYS_ADD = 2,
    SYS_EXIT = 60,
};

#define VEC_SYSCALL     0x80
#define VEC_TIMER       0x40
#define VEC_SPURIOUS    0xff
#define VA_SUPERVISOR   0x0000400000000000ull
#define USER_TIMER_TICKS 3
#define COMPUTE_N       1000000
#define COMPUTE_EXPECTED 0x2137d1914eba9459ull

#define SFMASK_BITS     0x40700u    /* AC, DF, IF, TF */
#define RFLAGS_IF       0x200u

void syscall_entry(void);
long syscall_dispatch(long nr, long a1, long a2, long a3, uint64_t user_rip,
                      uint64_t user_rflags);
uint64_t syscall_kernel_rsp;

static uint8_t kernel_stack[16384] __attribute__((aligned(16)));
static uint8_t user_stack[16384] __attribute__((aligned(16)));
static uint8_t supervisor_page[4096] __attribute__((aligned(4096)));

/* Written by the user part, checked by the kernel part at exit. */
static struct {
    uint16_t cs, ss;
    long syscall_write, int80_write, syscall_add, int80_add;
    bool pf_read, pf_write, gp_cli;
    Fault pf_read_fault, pf_write_fault, gp_fault;
    uint64_t compute;
    uint64_t timer_wait_loops;
} user;

/* Written by the kernel part. */
static struct {
    unsigned syscalls, int80s;
    bool syscall_if_masked, syscall_user_if, syscall_cs_ok;
    bool int80_frame_ok;
    volatile unsigned timer_ticks, timer_ticks_from_user;
} kern;

/* ---- user part (CPL3) ---- */

static long sys_syscall(long nr, long a1, long a2, long a3)
{
    long ret;

    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a1), "S"(a2), "d"(a3)
                     : "rcx", "r11", "memory");
    return ret;
}

static long sys_int80(long nr, long a1, long a2, long a3)
{
    long ret;

    __asm__ volatile("int $0x80"
                     : "=a"(ret)
                     : "a"(nr), "D"(a1), "S"(a2), "d"(a3)
                     : "memory");
    return ret;
}

static long user_write(long (*sys)(long, long, long, long), const char *s)
{
    return sys(SYS_WRITE, (long)(uintptr_t)s, (long)strlen(s), 0);
}

static uint64_t user_compute(uint64_t n)
{
    uint64_t x = 0x9e3779b97f4a7c15ull, sum = 0;

    for (uint64_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        sum += x ^ i;
    }
    return sum ^ x;
}

static noreturn void user_main(void)
{
    uint64_t v;

    __asm__ volatile("mov %%cs, %0; mov %%ss, %1" : "=r"(user.cs), "=r"(user.ss));
    user.syscall_write = user_write(sys_syscall, "user: hello via syscall\n");
    user.int80_write = user_write(sys_int80, "user: hello via int 0x80\n");
    user.syscall_add = sys_syscall(SYS_ADD, 40, 2, 0);
    user.int80_add = sys_int80(SYS_ADD, 400, 20, 0);
    user.pf_read = probe_read(VA_SUPERVISOR, &v, &user.pf_read_fault);
    user.pf_write = probe_write(VA_SUPERVISOR, 1, &user.pf_write_fault);
    user.gp_cli = probe_privileged(&user.gp_fault);
    user.compute = user_compute(COMPUTE_N);
    /* Bounded wait for timer interrupts that arrive while at CPL3. */
    while (kern.timer_ticks_from_user < USER_TIMER_TICKS &&
           user.timer_wait_loops < 2000000000ull) {
        user.timer_wait_loops++;
    }
    sys_syscall(SYS_EXIT, 0, 0, 0);
    for (;;) {
    }
}

/* ---- kernel part (CPL0) ---- */

static bool check_fault(const char *what, bool no_fault, const Fault *f,
                        uint64_t vector, uint64_t error_code)
{
    printf("%s: vector %lu error %lx cs %lx cr2 %lx\n", what, f->vector,
           f->error_code, f->cs, f->cr2);
    return check(!no_fault && f->count == 1 && f->vector == vector &&
                 f->error_code == error_code && f->cs == (SEL_UCODE | 3),
                 what);
}

static noreturn void finish(void)
{
    bool ok = true;

    lapic_write(LAPIC_LVT_TIMER, 1u << 16);
    lapic_write(LAPIC_TIMER_ICR, 0);
    printf("user cs=%x ss=%x\n", user.cs, user.ss);
    ok &= check(user.cs == (SEL_UCODE | 3) && user.ss == (SEL_UDATA | 3),
                "user part ran at CPL3");
    ok &= check(user.syscall_write == 24 && user.int80_write == 25,
                "write returned the lengths");
    ok &= check(user.syscall_add == 42, "SYSCALL returned a value");
    ok &= check(user.int80_add == 420, "INT 0x80 returned a value");
    ok &= check(kern.syscall_cs_ok, "SYSCALL ran at CPL0 with CS 0x10");
    ok &= check(kern.syscall_if_masked, "SFMASK cleared IF in the handler");
    ok &= check(kern.syscall_user_if, "user RFLAGS (R11) had IF set");
    ok &= check(kern.int80_frame_ok, "INT 0x80 frame has user CS and SS");
    ok &= check_fault("#PF user read of supervisor page", user.pf_read,
                      &user.pf_read_fault, 14, PF_P | PF_U);
    ok &= check_fault("#PF user write to supervisor page", user.pf_write,
                      &user.pf_write_fault, 14, PF_P | PF_W | PF_U);
    ok &= check_fault("#GP on CLI at CPL3", user.gp_cli, &user.gp_fault, 13, 0);
    printf("compute=%lx\n", user.compute);
    ok &= check(user.compute == COMPUTE_EXPECTED, "CPL3 computation");
    printf("timer ticks %u, %u from CPL3\n", kern.timer_ticks,
           kern.timer_ticks_from_user);
    ok &= check(kern.timer_ticks_from_user >= USER_TIMER_TICKS,
                "timer interrupts taken at CPL3");
    if (!ok) {
        guest_fail("cpl3", "a user-mode check failed");
    }
    guest_pass("cpl3");
}

static long do_syscall(long nr, long a1, long a2)
{
    switch (nr) {
    case SYS_WRITE:
        for (long i = 0; i < a2 && i < 256; i++) {
            uart_putc(((const char *)(uintptr_t)a1)[i]);
        }
        return a2;
    case SYS_ADD:
        return a1 + a2;
    case SYS_EXIT:
        finish();
    default:
        return -1;
    }
}

/* Called by syscall_entry (cpl3_asm.S). */
long syscall_dispatch(long nr, long a1, long a2, long a3, uint64_t user_rip,
                      uint64_t user_rflags)
{
    (void)a3;
    (void)user_rip;
    kern.syscalls++;
    kern.syscall_cs_ok = read_cs() == SEL_KCODE;
    kern.syscall_if_masked = !(read_rflags() & RFLAGS_IF);
    kern.syscall_user_if = (user_rflags & RFLAGS_IF) != 0;
    return do_syscall(nr, a1, a2);
}

static void on_int80(TrapFrame *f)
{
    kern.int80s++;
    kern.int80_frame_ok = f->cs == (SEL_UCODE | 3) && f->ss == (SEL_UDATA | 3);
    f->rax = (uint64_t)do_syscall((long)f->rax, (long)f->rdi, (long)f->rsi);
}

static void on_timer(TrapFrame *f)
{
    kern.timer_ticks++;
    if ((f->cs & 3) == 3) {
        kern.timer_ticks_from_user++;
    }
    lapic_eoi();
}

static void on_spurious(TrapFrame *f)
{
    (void)f;
}

static noreturn void enter_user(void (*fn)(void), uint64_t rsp)
{
    __asm__ volatile("pushq %0\n\t"
                     "pushq %1\n\t"
                     "pushq %2\n\t"
                     "pushq %3\n\t"
                     "pushq %4\n\t"
                     "iretq"
                     : : "i"(SEL_UDATA | 3), "r"(rsp), "i"(RFLAGS_IF | 2),
                         "i"(SEL_UCODE | 3), "r"((uintptr_t)fn)
                     : "memory");
    __builtin_unreachable();
}

int main(void)
{
    uint64_t *pml4 = pt_new_identity(true);

    pt_map_4k(pml4, VA_SUPERVISOR, (uintptr_t)supervisor_page, PTE_P | PTE_W);
    write_cr3((uintptr_t)pml4);

    syscall_kernel_rsp = (uintptr_t)(kernel_stack + sizeof(kernel_stack));
    guest_tss.rsp[0] = syscall_kernel_rsp;
    wrmsr(MSR_STAR, (uint64_t)(SEL_UCODE32 | 3) << 48 |
                    (uint64_t)SEL_KCODE << 32);
    wrmsr(MSR_LSTAR, (uintptr_t)syscall_entry);
    wrmsr(MSR_SFMASK, SFMASK_BITS);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);

    probe_init();
    idt_set_handler(VEC_SYSCALL, on_int80);
    idt_set_dpl(VEC_SYSCALL, 3);
    idt_set_handler(VEC_TIMER, on_timer);
    idt_set_handler(VEC_SPURIOUS, on_spurious);

    pic_mask_all();
    lapic_enable(VEC_SPURIOUS);
    lapic_write(LAPIC_TIMER_DCR, 0x3);
    lapic_write(LAPIC_LVT_TIMER, VEC_TIMER | 1u << 17);
    lapic_write(LAPIC_TIMER_ICR, 100000);

    printf("cpl3: entering user mode\n");
    /* As if called: RSP+8 16-byte aligned at function entry. */
    enter_user(user_main, (uintptr_t)(user_stack + sizeof(user_stack)) - 8);
}
