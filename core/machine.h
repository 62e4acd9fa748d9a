/*
 * Machines and devices, and the configuration the command line builds.
 * Both register in linker sections (see registry.h).
 */
#ifndef CORE_MACHINE_H
#define CORE_MACHINE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/memory.h"
#include "core/registry.h"
#include "core/vcpu.h"

typedef struct AccelOps AccelOps;
typedef struct Machine Machine;

typedef enum SerialKind {
    SERIAL_STDIO,
    SERIAL_FILE,
    SERIAL_NONE,
} SerialKind;

/* What the command line asked for; owned by the options parser. */
typedef struct MachineConfig {
    char *machine;              /* "microvm" by default */
    char **accels;              /* NULL-terminated, in preference order */
    uint64_t ram_size;          /* bytes */
    unsigned smp;
    char *kernel;
    char *initrd;
    char *append;
    SerialKind serial;
    char *serial_path;          /* SERIAL_FILE */
    bool no_reboot;
    bool start_paused;          /* -S */
    char **devices;             /* NULL-terminated "-device" argument strings */
} MachineConfig;

/*
 * Interrupt controller models used when the accelerator does not keep them
 * in the kernel.  The accelerator asks the model at an instruction
 * boundary with interrupts enabled.
 */
typedef struct X86InterruptSource {
    /* Vector of the highest-priority deliverable interrupt, or -1. */
    int (*pending)(VCPU *cpu);
    /* Acknowledges (INTA) and returns the vector, or -1 if it went away. */
    int (*ack)(VCPU *cpu);
    /*
     * INIT, start-up IPI and NMI events received by CPU since the last
     * call, as X86_INTC_EVENT_* bits; *SIPI_VECTOR gets the last SIPI's vector.
     */
    unsigned (*take_events)(VCPU *cpu, uint8_t *sipi_vector);
    /* The vCPU's CR8 is the LAPIC's TPR[7:4]. */
    void (*set_tpr)(VCPU *cpu, uint8_t cr8);
    uint8_t (*get_tpr)(VCPU *cpu);
} X86InterruptSource;

#define X86_INTC_EVENT_INIT (1u << 0)
#define X86_INTC_EVENT_SIPI (1u << 1)
#define X86_INTC_EVENT_NMI  (1u << 2)

struct Machine {
    const MachineConfig *cfg;
    const struct MachineClass *mc;
    const AccelOps *accel;
    void *accel_state;

    AddressSpace *memory;
    AddressSpace *io;

    VCPU **vcpus;
    unsigned ncpus;

    /*
     * Routes a GSI (ISA IRQ 0-15, IOAPIC pins up to 23) to the userspace
     * interrupt controllers; with ACCEL_IRQCHIP_IN_KERNEL, machine_set_irq()
     * uses the accelerator's set_irq instead.
     */
    void (*set_irq)(Machine *m, unsigned gsi, bool level);
    void *irq_opaque;
    const X86InterruptSource *intc;     /* userspace controllers, or NULL */

    void *board;                /* the machine type's private state */
    int reset_pending;          /* a reboot is scheduled (atomic) */
};

typedef struct MachineClass {
    const char *name;
    const char *description;
    /* Builds memory and devices and loads the boot images. */
    bool (*init)(Machine *m, GError **errp);
    /*
     * (Re)loads the boot images and puts the vCPUs in their boot state:
     * at start and on every reboot, with the vCPUs parked.
     */
    bool (*reset)(Machine *m, GError **errp);
} MachineClass;

typedef struct DeviceClass {
    const char *name;
    const char *description;
    /* OPTS is the "-device" argument after the name's comma, or "". */
    bool (*create)(Machine *m, const char *opts, GError **errp);
} DeviceClass;

QEMU_REGISTRY_DECLARE(qemu_machine, MachineClass);
QEMU_REGISTRY_DECLARE(qemu_device, DeviceClass);

#define MACHINE_REGISTER(mc) QEMU_REGISTER(qemu_machine, MachineClass, mc)
#define DEVICE_REGISTER(dc)  QEMU_REGISTER(qemu_device, DeviceClass, dc)

const MachineClass *machine_find(const char *name);
const DeviceClass *device_find(const char *name);
/* Sorted by name, NULL-terminated, caller g_free()s the array. */
const MachineClass **machine_list(void);
const DeviceClass **device_list(void);

/* Raises or lowers a GSI; call with the BQL held. */
void machine_set_irq(Machine *m, unsigned gsi, bool level);

/*
 * Ends the run: the process exits with STATUS once vCPUs are stopped.
 * Safe from any thread.
 */
void machine_request_shutdown(Machine *m, int status);
/*
 * Guest asked for a reset (i8042, triple fault): exit 0 with -no-reboot,
 * else reboot: every vCPU parks, the main thread calls the machine's reset
 * and resumes them.  Safe from any thread; repeated requests while one is
 * pending are one reboot.
 */
void machine_request_reset(Machine *m);

#endif
