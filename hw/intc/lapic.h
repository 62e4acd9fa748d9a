/*
 * Local APIC, one per vCPU (xAPIC MMIO interface at 0xfee00000).
 *
 * The LAPICs share an LAPICBus: the interrupt-message bus that IPIs and
 * IOAPIC redirections travel on, with hooks to the IOAPIC (EOI broadcast)
 * and the 8259 (ExtINT through LINT0 of the first LAPIC).  Every function
 * here expects the BQL held; the timer callback takes it itself.
 *
 * The timer counts a fixed 1 GHz bus clock divided by the divide
 * configuration register, like KVM's in-kernel LAPIC, so a guest sees the
 * same rate under both accelerators (CPUID 0x15's crystal clock, if it is
 * reported, must be 1 GHz to match).
 */
#ifndef HW_INTC_LAPIC_H
#define HW_INTC_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "core/memory.h"
#include "core/vcpu.h"

#define LAPIC_BUS_HZ            1000000000ull
/* Periodic timer interrupts come at most this often (KVM has a similar floor). */
#define LAPIC_MIN_PERIOD_NS     100000

/* Register offsets in the 4 KiB page. */
#define LAPIC_ID        0x020
#define LAPIC_VERSION   0x030
#define LAPIC_TPR       0x080
#define LAPIC_APR       0x090
#define LAPIC_PPR       0x0a0
#define LAPIC_EOI       0x0b0
#define LAPIC_LDR       0x0d0
#define LAPIC_DFR       0x0e0
#define LAPIC_SVR       0x0f0
#define LAPIC_ISR       0x100
#define LAPIC_TMR       0x180
#define LAPIC_IRR       0x200
#define LAPIC_ESR       0x280
#define LAPIC_ICR_LO    0x300
#define LAPIC_ICR_HI    0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_THERM 0x330
#define LAPIC_LVT_PERF  0x340
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_ICR 0x380
#define LAPIC_TIMER_CCR 0x390
#define LAPIC_TIMER_DCR 0x3e0

#define LAPIC_VERSION_VALUE     0x00050014  /* 6 LVT entries, version 0x14 */

/* Delivery modes (ICR, LVT, IOAPIC redirection entries). */
#define APIC_DM_FIXED       0
#define APIC_DM_LOWEST      1
#define APIC_DM_SMI         2
#define APIC_DM_NMI         4
#define APIC_DM_INIT        5
#define APIC_DM_STARTUP     6
#define APIC_DM_EXTINT      7

#define APIC_LVT_MASKED     (1u << 16)
#define APIC_SVR_ENABLE     (1u << 8)

typedef struct LAPIC LAPIC;

typedef struct LAPICBus {
    LAPIC **cpus;
    unsigned ncpus;
    /* EOI of a level-triggered vector: the IOAPIC clears Remote IRR. */
    void (*eoi)(void *opaque, uint8_t vector);
    /* The 8259's pending vector (-1 when INTR is low) and its INTA. */
    int (*extint_peek)(void *opaque);
    int (*extint_ack)(void *opaque);
    void *opaque;
} LAPICBus;

/* BUS->cpus must have room for the LAPIC; the caller stores it there. */
LAPIC *lapic_new(LAPICBus *bus, VCPU *cpu, uint8_t apic_id);
void lapic_free(LAPIC *s);
/* Power-up/INIT state: everything but the APIC ID. */
void lapic_reset(LAPIC *s);

/* 32-bit register access by page offset (16-byte aligned). */
uint32_t lapic_read(LAPIC *s, unsigned offset);
void lapic_write(LAPIC *s, unsigned offset, uint32_t value);

/* MMIO ops for the page; opaque is the LAPICBus, the LAPIC is the caller's. */
extern const MemoryRegionOps lapic_mmio_ops;

/* The X86InterruptSource operations, on one LAPIC. */
int lapic_pending(LAPIC *s);
int lapic_ack(LAPIC *s);
unsigned lapic_take_events(LAPIC *s, uint8_t *sipi_vector);
void lapic_set_tpr(LAPIC *s, uint8_t cr8);
uint8_t lapic_get_tpr(LAPIC *s);
/*
 * Lock-free hint: false means pending() would surely return -1 (nothing
 * in IRR, no ExtINT), so the vCPU can skip taking the BQL.
 */
bool lapic_needs_attention(LAPIC *s);

/*
 * An interrupt message on the bus (IOAPIC redirection or IPI without
 * shorthand).  Returns how many LAPICs accepted it.
 */
unsigned lapic_bus_deliver(LAPICBus *bus, uint8_t dest, bool logical,
                           unsigned delivery_mode, uint8_t vector,
                           bool level_triggered);

/* The 8259's INTR output changed: wakes the vCPU that takes ExtINT. */
void lapic_bus_extint_changed(LAPICBus *bus, bool level);

#endif
