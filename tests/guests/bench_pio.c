/*
 * bench_pio: port-I/O exit round trips, for tools/bench/kvm-exits.
 *
 * At CPL0, N (-append "n=N", default 100000) byte writes to port 0x4e0,
 * which nothing decodes (neither our machines nor QEMU's `pc`): under
 * KVM every one is a KVM_EXIT_IO round trip through the VMM's memory API.
 * The TSC is read before and after the loop, so boot and output are not
 * measured:
 *
 *   bench-pio: n=N tsc_start=T0 tsc_end=T1
 *
 * The same object also runs under QEMU behind the multiboot shim
 * (multiboot/).
 */
#include "lib/guest.h"

#define BENCH_PORT      0x4e0
#define DEFAULT_N       100000ul

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    /* LFENCE keeps the loop's OUTs from moving across the read. */
    __asm__ volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi) : : "memory");
    return ((uint64_t)hi << 32) | lo;
}

/* Exactly N OUTs: OUT, DEC, JNZ per iteration. */
static void pio_loop(unsigned long n)
{
    __asm__ volatile("1: outb %%al, %%dx\n\t"
                     "dec %0\n\t"
                     "jnz 1b"
                     : "+r"(n)
                     : "a"(0), "d"(BENCH_PORT)
                     : "memory", "cc");
}

int main(void)
{
    unsigned long n;
    uint64_t t0, t1;

    if (!cmdline_get_ulong("n", &n)) {
        n = DEFAULT_N;
    }
    if (n == 0) {
        guest_fail("bench_pio", "n must be at least 1");
    }
    printf("bench-pio: start\n");
    t0 = rdtsc();
    pio_loop(n);
    t1 = rdtsc();
    printf("bench-pio: n=%lu tsc_start=%lu tsc_end=%lu\n", n, t0, t1);
    guest_pass("bench_pio");
}
