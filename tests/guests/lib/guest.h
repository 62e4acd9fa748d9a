/*
 * Runtime for the bare-metal test payloads: port I/O, UART console,
 * exit through isa-debug-exit, GDT/TSS, IDT, page tables, LAPIC, IOAPIC,
 * PIT and the boot_params the loader hands over in RSI.
 *
 * Everything runs at CPL0 without SSE (see README.md for why).
 */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define noreturn _Noreturn
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* isa-debug-exit values: the VMM exits with status (V << 1) | 1. */
#define GUEST_EXIT_PORT 0xf4
#define GUEST_EXIT_PASS 0x10    /* process status 33 */
#define GUEST_EXIT_FAIL 0x11    /* process status 35 */

/* GDT selectors (gdt.c); 0x10/0x18 match the boot contract. */
#define SEL_KCODE32 0x08
#define SEL_KCODE   0x10
#define SEL_KDATA   0x18
#define SEL_UCODE32 0x20        /* STAR[63:48] base for SYSRET */
#define SEL_UDATA   0x28
#define SEL_UCODE   0x30
#define SEL_TSS     0x38

#define MSR_EFER    0xc0000080
#define MSR_STAR    0xc0000081
#define MSR_LSTAR   0xc0000082
#define MSR_SFMASK  0xc0000084
#define EFER_SCE    (1u << 0)
#define EFER_LME    (1u << 8)
#define EFER_LMA    (1u << 10)
#define EFER_NXE    (1u << 11)

#define CR0_WP      (1ul << 16)

/* ---- port I/O and privileged instructions ---- */

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v),
                     "d"((uint32_t)(v >> 32)) : "memory");
}

#define DEFINE_CR(n)                                                    \
    static inline uint64_t read_cr##n(void)                             \
    {                                                                   \
        uint64_t v;                                                     \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));               \
        return v;                                                       \
    }                                                                   \
    static inline void write_cr##n(uint64_t v)                          \
    {                                                                   \
        __asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory");      \
    }
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline void invlpg(uint64_t va)
{
    __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ volatile("cpuid"
                     : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                     : "a"(leaf), "c"(sub));
}

static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }

/* STI's one-instruction shadow makes "sti; hlt" free of lost wake-ups. */
static inline void sti_hlt(void)
{
    __asm__ volatile("sti; hlt; cli" ::: "memory");
}

static inline uint64_t read_rflags(void)
{
    uint64_t v;
    __asm__ volatile("pushfq; popq %0" : "=r"(v));
    return v;
}

static inline uint16_t read_cs(void)
{
    uint16_t v;
    __asm__ volatile("mov %%cs, %0" : "=r"(v));
    return v;
}

static inline uint32_t mmio_read32(uint64_t addr)
{
    return *(volatile uint32_t *)addr;
}

static inline void mmio_write32(uint64_t addr, uint32_t v)
{
    *(volatile uint32_t *)addr = v;
}

/* ---- libc subset (string.c) ---- */

void *memset(void *s, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);

/* ---- console and exit (uart.c, runtime.c) ---- */

void uart_init(void);
void uart_putc(char c);
void uart_puts(const char *s);
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);

noreturn void guest_exit(uint32_t value);
/* Prints "PASS NAME" and exits with GUEST_EXIT_PASS. */
noreturn void guest_pass(const char *name);
/* Prints "FAIL NAME: WHY" and exits with GUEST_EXIT_FAIL. */
noreturn void guest_fail(const char *name, const char *why);

/* Checks COND, printing "ok WHAT" or "not ok WHAT"; returns COND. */
bool check(bool cond, const char *what);

/* A spinlock for output shared by several CPUs (LOCK XCHG). */
typedef struct { volatile uint32_t locked; } Spinlock;
void spin_lock(Spinlock *l);
void spin_unlock(Spinlock *l);

/* ---- boot_params (bootparams.c) ---- */

typedef struct __attribute__((packed)) E820Entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
} E820Entry;

extern const uint8_t *boot_params;      /* RSI at entry */

/* The CPU state _start found (start.S). */
typedef struct BootState {
    uint16_t cs, ds, ss, es;
    uint64_t rflags;
    uint64_t cr0;
    uint64_t cr4;
    uint64_t efer;
} BootState;
extern const BootState boot_state;
const char *boot_cmdline(void);         /* "" when there is none */
unsigned e820_count(void);
const E820Entry *e820_entry(unsigned i);
/* Value of KEY=N (decimal or 0x hex) on the command line. */
bool cmdline_get_ulong(const char *key, unsigned long *val);

/* ---- MP table (mptable.c) ---- */

typedef struct MPInfo {
    unsigned ncpus;
    uint8_t apic_ids[32];
    int isa_irq0_pin;           /* IOAPIC pin of ISA IRQ 0, -1 if none */
} MPInfo;

/* Scans the EBDA/base-memory end and the BIOS area; false if none. */
bool mptable_find(MPInfo *info);

/* ---- GDT and TSS (gdt.c) ---- */

typedef struct __attribute__((packed)) TSS64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} TSS64;

typedef struct __attribute__((packed)) DescPtr {
    uint16_t limit;
    uint64_t base;
} DescPtr;

extern TSS64 guest_tss;
/* Loads the payload's GDT, reloads the segment registers, loads the TSS. */
void gdt_init(void);
/* GDTR value, for APs. */
void gdt_get_ptr(DescPtr *p);

/* ---- IDT and traps (idt.c, isr.S) ---- */

typedef struct TrapFrame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error_code;
    uint64_t rip, cs, rflags, rsp, ss;
} TrapFrame;

typedef void (*TrapHandler)(TrapFrame *f);

/* Installs all 256 gates (DPL0, unexpected vectors fail the test). */
void idt_init(void);
void idt_load(void);            /* on APs */
void idt_set_handler(unsigned vector, TrapHandler h);
void idt_set_dpl(unsigned vector, unsigned dpl);
void idt_set_ist(unsigned vector, unsigned ist);

/* ---- page tables (paging.c) ---- */

#define PTE_P   (1ull << 0)
#define PTE_W   (1ull << 1)
#define PTE_U   (1ull << 2)
#define PTE_A   (1ull << 5)
#define PTE_D   (1ull << 6)
#define PTE_PS  (1ull << 7)
#define PTE_NX  (1ull << 63)
#define PTE_ADDR_MASK 0x000ffffffffff000ull

#define PF_P    (1u << 0)
#define PF_W    (1u << 1)
#define PF_U    (1u << 2)
#define PF_I    (1u << 4)

/*
 * A new PML4 identity-mapping the low 4 GiB with 2 MiB pages (writable;
 * user-accessible if USER).  Tables come from a static pool.
 */
uint64_t *pt_new_identity(bool user);
/* Maps a 4 KiB page; upper levels get P|W|U so the leaf's bits decide. */
void pt_map_4k(uint64_t *pml4, uint64_t va, uint64_t pa, uint64_t flags);
/* The 4 KiB leaf entry for VA (NULL if an upper level is absent). */
volatile uint64_t *pt_leaf(uint64_t *pml4, uint64_t va);
/* A zeroed, page-aligned page from the pool. */
void *pt_alloc_page(void);

/* ---- accesses that may fault (probe.c) ---- */

typedef struct Fault {
    unsigned count;
    uint64_t vector, error_code, rip, cs, cr2;
} Fault;

/*
 * Takes over #GP and #PF.  A probe returns true if the access did not
 * fault, else fills F.  probe_exec calls ADDR, which must hold a RET.
 * Probes work from CPL3 too where the code and F are user-accessible;
 * the handler then runs at CPL0 and IRETQ returns to CPL3.
 */
void probe_init(void);
bool probe_read(uint64_t addr, uint64_t *val, Fault *f);
bool probe_write(uint64_t addr, uint32_t val, Fault *f);
bool probe_exec(uint64_t addr, Fault *f);
/* Executes CLI (privileged at CPL3 with IOPL 0). */
bool probe_privileged(Fault *f);

/* ---- LAPIC and IOAPIC (apic.c) ---- */

#define LAPIC_BASE      0xfee00000ull
#define LAPIC_ID        0x020
#define LAPIC_TPR       0x080
#define LAPIC_EOI       0x0b0
#define LAPIC_SVR       0x0f0
#define LAPIC_ICR_LO    0x300
#define LAPIC_ICR_HI    0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_ICR 0x380
#define LAPIC_TIMER_CCR 0x390
#define LAPIC_TIMER_DCR 0x3e0

uint32_t lapic_read(uint32_t reg);
void lapic_write(uint32_t reg, uint32_t v);
unsigned lapic_id(void);
void lapic_enable(uint8_t spurious_vector);
void lapic_eoi(void);
/* Sends an IPI and waits (bounded) for the delivery status to clear. */
bool lapic_send_ipi(unsigned dest_apic_id, uint32_t icr_lo);

#define IOAPIC_BASE 0xfec00000ull
uint32_t ioapic_read(uint32_t reg);
void ioapic_write(uint32_t reg, uint32_t v);
/* Edge-triggered, active-high, fixed delivery to DEST's APIC. */
void ioapic_route(unsigned pin, uint8_t vector, unsigned dest, bool masked);

/* Masks both 8259s. */
void pic_mask_all(void);

/* ---- PIT (pit.c) ---- */

#define PIT_HZ 1193182u
/* Channel 0, mode 2 (rate generator) at HZ. */
void pit_start_periodic(unsigned hz);
/* Channel 0 free-running (mode 2, reload 65536) for pit_delay_us. */
void pit_start_free_running(void);
uint16_t pit_read_counter(void);
/* Busy-waits US microseconds on the free-running channel 0. */
void pit_delay_us(uint64_t us);

int main(void);

#endif
