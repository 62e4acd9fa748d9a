/*
 * The microvm machine: no firmware, no PCI.  RAM below the 3 GiB hole and
 * above 4 GiB, the legacy ISA devices Linux needs, an MP table for the
 * CPUs, and the kernel entered directly in long mode (hw/x86/boot.h).
 *
 * Under an accelerator with in-kernel interrupt controllers (KVM) the PIC,
 * IOAPIC, LAPICs and PIT, including the PIT's port 0x61, are the kernel's;
 * otherwise the models of hw/intc and hw/timer are created here.
 */
#include "accel/accel.h"
#include "core/error.h"
#include "hw/acpi/acpi.h"
#include "hw/acpi/pm.h"
#include "hw/char/serial.h"
#include "hw/intc/x86_intc.h"
#include "hw/misc/i8042.h"
#include "hw/timer/pit.h"
#include "hw/timer/rtc.h"
#include "hw/x86/boot.h"
#include "target/x86_64/cpu.h"

#define GiB (1ull << 30)
#define MICROVM_LOWMEM_MAX  (3 * GiB)
#define MICROVM_HIGHMEM_BASE (4 * GiB)

#define MICROVM_MMIO_BASE   0xd0000000ull
#define MICROVM_IOAPIC_BASE 0xfec00000ull
#define MICROVM_LAPIC_BASE  0xfee00000ull

typedef struct MicrovmBoard {
    uint64_t ram_below_4g;
    uint64_t ram_above_4g;
    X86CPUState boot_state;     /* the BSP's entry state */
} MicrovmBoard;

/* Reserved in the e820 map so that the guest puts nothing there. */
static const X86E820Entry microvm_reserved[] = {
    { MICROVM_MMIO_BASE, MICROVM_IOAPIC_BASE - MICROVM_MMIO_BASE, 2 },
    { MICROVM_IOAPIC_BASE, 0x1000, 2 },
    { MICROVM_LAPIC_BASE, 0x1000, 2 },
};

/* Reads as all ones, writes are dropped: the memory API's defaults. */
static const MemoryRegionOps ignore_ops = { 0 };

static bool add_ignored_port(Machine *m, const char *name, uint16_t port,
                             GError **errp)
{
    return address_space_add_io(m->io, name, port, 1, &ignore_ops, NULL,
                                errp) != NULL;
}

static bool add_ram(Machine *m, MicrovmBoard *b, GError **errp)
{
    uint64_t ram = m->cfg->ram_size;

    b->ram_below_4g = MIN(ram, MICROVM_LOWMEM_MAX);
    b->ram_above_4g = ram - b->ram_below_4g;
    if (!address_space_add_ram(m->memory, "ram-below-4g", 0, b->ram_below_4g,
                               errp)) {
        return false;
    }
    return b->ram_above_4g == 0 ||
           address_space_add_ram(m->memory, "ram-above-4g",
                                 MICROVM_HIGHMEM_BASE, b->ram_above_4g,
                                 errp) != NULL;
}

static bool irqchip_in_kernel(const Machine *m)
{
    return m->accel && (m->accel->flags & ACCEL_IRQCHIP_IN_KERNEL);
}

static bool add_devices(Machine *m, MicrovmBoard *b, GError **errp)
{
    if (!irqchip_in_kernel(m)) {
        if (!x86_intc_init(m, errp) || !x86_pit_init(m, errp)) {
            return false;
        }
        /* The PIT model owns port 0x61; in case one does not, ignore it. */
        if (!address_space_lookup(m->io, 0x61) &&
            !add_ignored_port(m, "port61", 0x61, errp)) {
            return false;
        }
    }
    /* POST codes and Linux's I/O delay port. */
    return add_ignored_port(m, "post", 0x80, errp) &&
           add_ignored_port(m, "io-delay", 0xed, errp) &&
           serial_init(m, SERIAL_COM1_BASE, SERIAL_COM1_IRQ, errp) &&
           i8042_init(m, errp) &&
           rtc_init(m, b->ram_below_4g, b->ram_above_4g, errp) &&
           acpi_pm_init(m, errp);
}

static bool load_kernel(Machine *m, MicrovmBoard *b, GError **errp)
{
    const MachineConfig *cfg = m->cfg;
    X86BootConfig bc = {
        .kernel = cfg->kernel,
        .initrd = cfg->initrd,
        .cmdline = cfg->append,
        .ram_below_4g = b->ram_below_4g,
        .ram_above_4g = b->ram_above_4g,
        .extra_e820 = microvm_reserved,
        .n_extra_e820 = G_N_ELEMENTS(microvm_reserved),
    };

    if (!cfg->kernel) {
        g_set_error(errp, QEMU_ERROR, 0,
                    "microvm has no firmware: a kernel is needed (-kernel FILE)");
        return false;
    }
    x86_cpu_state_reset(&b->boot_state, 0);
    /* ACPI after the loader: it points the zero page (RSI) at the RSDP. */
    return x86_boot_load(m->memory, &bc, &b->boot_state, errp) &&
           x86_mptable_write(m->memory, m->ncpus, errp) &&
           acpi_build(m->memory, m->ncpus, b->boot_state.regs[R_RSI], errp);
}

static bool microvm_init(Machine *m, GError **errp)
{
    MicrovmBoard *b = g_new0(MicrovmBoard, 1);

    m->board = b;
    return add_ram(m, b, errp) &&
           add_devices(m, b, errp);
}

/* At start and on every reboot: the guest may have overwritten its images. */
static bool microvm_reset(Machine *m, GError **errp)
{
    MicrovmBoard *b = m->board;

    if (!load_kernel(m, b, errp)) {
        return false;
    }
    for (unsigned i = 0; i < m->ncpus; i++) {
        X86CPUState s;

        if (i == 0) {
            s = b->boot_state;
        } else {
            /* APs wait for INIT/SIPI from the BSP. */
            x86_cpu_state_reset(&s, i);
            s.mp_state = X86_MP_WAIT_SIPI;
        }
        if (!m->accel->set_state(m->vcpus[i], &s, errp)) {
            return false;
        }
    }
    return true;
}

static const MachineClass microvm_class = {
    .name = "microvm",
    .description = "minimal x86-64 machine without firmware or PCI (default)",
    .init = microvm_init,
    .reset = microvm_reset,
};
MACHINE_REGISTER(microvm_class);
