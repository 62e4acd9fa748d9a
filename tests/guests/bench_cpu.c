/*
 * bench_cpu: a CPU-bound integer workload at CPL3, for tools/bench/tcg-mips.
 *
 * The kernel part maps the low 4 GiB user-accessible, takes over #UD and
 * enters CPL3 with IRETQ (interrupts off) to run
 * bench_cpu_user (bench_cpu_asm.S) for N iterations (-append "n=N",
 * default 20000000) of a loop of 18 instructions.  Lines:
 *
 *   bench-cpu: start n=N tsc=T0        just before IRETQ
 *   bench-cpu: end n=N tsc=T1 checksum=C table=S
 *
 * The workload ends with UD2: an exception is the way back to CPL0 that
 * this host's kvm_pvm delivers (INT n from CPL3 arrives there as #UD too).
 * The host times the region between the two lines; should a KVM
 * triple-fault instead (status 0, no end line), it takes the process's
 * end.
 * The same object also runs under QEMU behind the multiboot shim.
 */
#include "lib/guest.h"

#define DEFAULT_N       20000000ul
#define VEC_UD          6
#define TABLE_ENTRIES   256

void bench_cpu_user(uint64_t n, uint64_t *table);
extern const uint8_t bench_cpu_done[];

static uint8_t kernel_stack[16384] __attribute__((aligned(16)));
static uint8_t user_stack[4096] __attribute__((aligned(16)));
static uint64_t table[TABLE_ENTRIES];
static unsigned long iterations;

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static void done(TrapFrame *f)
{
    uint64_t t1 = rdtsc(), sum = 0;

    for (unsigned i = 0; i < TABLE_ENTRIES; i++) {
        sum += table[i] * (i + 1);
    }
    printf("bench-cpu: end n=%lu tsc=%lu checksum=%lx table=%lx\n",
           iterations, t1, f->rax, sum);
    if (f->cs != (SEL_UCODE | 3) || f->rip != (uintptr_t)bench_cpu_done) {
        printf("#UD at rip %lx cs %lx\n", f->rip, f->cs);
        guest_fail("bench_cpu", "#UD not from the workload's UD2 at CPL3");
    }
    guest_pass("bench_cpu");
}

static noreturn void enter_user(uint64_t n)
{
    register uint64_t rdi __asm__("rdi") = n;
    register uint64_t rsi __asm__("rsi") = (uintptr_t)table;

    __asm__ volatile("pushq %0\n\t"
                     "pushq %1\n\t"
                     "pushq $2\n\t"             /* RFLAGS: IF clear */
                     "pushq %2\n\t"
                     "pushq %3\n\t"
                     "iretq"
                     : : "i"(SEL_UDATA | 3),
                         "r"((uintptr_t)(user_stack + sizeof(user_stack))),
                         "i"(SEL_UCODE | 3), "r"((uintptr_t)bench_cpu_user),
                         "r"(rdi), "r"(rsi)
                     : "memory");
    __builtin_unreachable();
}

int main(void)
{
    if (!cmdline_get_ulong("n", &iterations)) {
        iterations = DEFAULT_N;
    }
    if (iterations == 0) {
        guest_fail("bench_cpu", "n must be at least 1");
    }
    write_cr3((uintptr_t)pt_new_identity(true));
    guest_tss.rsp[0] = (uintptr_t)(kernel_stack + sizeof(kernel_stack));
    idt_set_handler(VEC_UD, done);
    printf("bench-cpu: start n=%lu tsc=%lu\n", iterations, rdtsc());
    enter_user(iterations);
}
