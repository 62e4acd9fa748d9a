/*
 * The KVM accelerator: /dev/kvm, the VM and its memory slots, the vCPU run
 * loop, kicks, and the in-kernel interrupt controllers' GSI lines.  What
 * is x86-specific (CPUID, registers, irqchip setup) is in target/x86_64/kvm.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "accel/accel.h"
#include "accel/kvm/kvm.h"
#include "core/error.h"
#include "core/main_loop.h"
#include "target/x86_64/kvm/kvm_x86.h"

#define KVM_DEVICE "/dev/kvm"
#define KVM_KICK_SIGNAL SIGUSR1
/* More than enough: the machines have a handful of RAM regions. */
#define KVM_MAX_SLOTS 256

typedef struct KVMState {
    int kvm_fd;
    int vm_fd;
    size_t run_size;
    unsigned nslots;
    bool slot_used[KVM_MAX_SLOTS];
    /* A RAM region could not become a slot: vCPUs refuse to run. */
    bool broken;
} KVMState;

typedef struct KVMVCPU {
    KVMX86CPU x86;
    int fd;
    struct kvm_run *run;
    pthread_t thread;
    int thread_known;           /* atomic: thread is valid */
    /* An I/O or MMIO exit was handled: KVM completes it on the next KVM_RUN. */
    bool io_pending;
    int debug_exit;             /* atomic */
} KVMVCPU;

static const struct {
    int cap;
    const char *name;
} required_caps[] = {
#define CAP(c) { c, #c }
    CAP(KVM_CAP_IRQCHIP),
    CAP(KVM_CAP_USER_MEMORY),
    CAP(KVM_CAP_SET_TSS_ADDR),
    CAP(KVM_CAP_SET_IDENTITY_MAP_ADDR),
    CAP(KVM_CAP_EXT_CPUID),
    CAP(KVM_CAP_IMMEDIATE_EXIT),
    CAP(KVM_CAP_PIT2),
    CAP(KVM_CAP_IRQ_ROUTING),
    CAP(KVM_CAP_MP_STATE),
    CAP(KVM_CAP_VCPU_EVENTS),
    CAP(KVM_CAP_DEBUGREGS),
    CAP(KVM_CAP_GET_TSC_KHZ),
#undef CAP
};

/* Opens /dev/kvm and checks the API version and capabilities we use. */
static int kvm_open(GError **errp)
{
    int fd = open(KVM_DEVICE, O_RDWR | O_CLOEXEC);
    int version;

    if (fd < 0) {
        int err = errno;

        if (err == ENOENT) {
            g_set_error(errp, QEMU_ERROR, 0,
                        KVM_DEVICE " does not exist (is the kvm module loaded?)");
        } else {
            g_set_error(errp, QEMU_ERROR, 0, "cannot open " KVM_DEVICE ": %s",
                        g_strerror(err));
        }
        return -1;
    }
    version = ioctl(fd, KVM_GET_API_VERSION, 0);
    if (version != KVM_API_VERSION) {
        g_set_error(errp, QEMU_ERROR, 0,
                    "KVM API version %d is not supported (need %d)", version,
                    KVM_API_VERSION);
        close(fd);
        return -1;
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(required_caps); i++) {
        if (ioctl(fd, KVM_CHECK_EXTENSION, required_caps[i].cap) <= 0) {
            g_set_error(errp, QEMU_ERROR, 0, "KVM lacks capability %s",
                        required_caps[i].name);
            close(fd);
            return -1;
        }
    }
    return fd;
}

static bool kvm_probe(GError **errp)
{
    int fd = kvm_open(errp);

    if (fd < 0) {
        return false;
    }
    close(fd);
    return true;
}

/* Memory slots */

static bool set_slot(KVMState *s, unsigned slot, const MemoryRegion *mr,
                     uint64_t size)
{
    struct kvm_userspace_memory_region r = {
        .slot = slot,
        .guest_phys_addr = mr->base,
        .memory_size = size,
        .userspace_addr = (uintptr_t)mr->host,
    };

    return ioctl(s->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) == 0;
}

static void kvm_region_add(void *opaque, MemoryRegion *mr)
{
    KVMState *s = opaque;
    unsigned slot = 0;

    if (!mr->host) {
        return;
    }
    while (slot < s->nslots && s->slot_used[slot]) {
        slot++;
    }
    if (slot == s->nslots) {
        error_report("KVM: no memory slot left for RAM region '%s'", mr->name);
        s->broken = true;
        return;
    }
    if (!set_slot(s, slot, mr, mr->size)) {
        error_report("KVM: cannot map RAM region '%s' at 0x%llx: %s", mr->name,
                     (unsigned long long)mr->base, g_strerror(errno));
        s->broken = true;
        return;
    }
    s->slot_used[slot] = true;
    mr->accel_slot = (int)slot;
}

static void kvm_region_del(void *opaque, MemoryRegion *mr)
{
    KVMState *s = opaque;

    if (mr->accel_slot < 0) {
        return;
    }
    if (!set_slot(s, (unsigned)mr->accel_slot, mr, 0)) {
        error_report("KVM: cannot unmap RAM region '%s': %s", mr->name,
                     g_strerror(errno));
    }
    s->slot_used[mr->accel_slot] = false;
    mr->accel_slot = -1;
}

/* The VM */

static void kvm_set_irq(Machine *m, unsigned gsi, bool level)
{
    KVMState *s = m->accel_state;
    struct kvm_irq_level irq = { .irq = gsi, .level = level };

    if (ioctl(s->vm_fd, KVM_IRQ_LINE, &irq) < 0) {
        error_report("KVM: cannot set GSI %u to %d: %s", gsi, level,
                     g_strerror(errno));
    }
}

static void kick_handler(int sig)
{
    (void)sig;
}

static gpointer install_kick_handler(gpointer unused)
{
    /* No SA_RESTART: the signal must interrupt KVM_RUN. */
    struct sigaction sa = { .sa_handler = kick_handler };

    (void)unused;
    sigemptyset(&sa.sa_mask);
    sigaction(KVM_KICK_SIGNAL, &sa, NULL);
    return NULL;
}

static void kvm_state_free(KVMState *s)
{
    if (s->vm_fd >= 0) {
        close(s->vm_fd);
    }
    if (s->kvm_fd >= 0) {
        close(s->kvm_fd);
    }
    g_free(s);
}

static bool kvm_vm_setup(KVMState *s, Machine *m, GError **errp)
{
    int max_vcpus, mmap_size, nslots;

    max_vcpus = ioctl(s->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
    if (max_vcpus > 0 && m->ncpus > (unsigned)max_vcpus) {
        g_set_error(errp, QEMU_ERROR, 0, "KVM supports at most %d vCPUs",
                    max_vcpus);
        return false;
    }
    do {
        s->vm_fd = ioctl(s->kvm_fd, KVM_CREATE_VM, 0);
    } while (s->vm_fd < 0 && errno == EINTR);
    if (s->vm_fd < 0) {
        g_set_error(errp, QEMU_ERROR, 0, "KVM_CREATE_VM failed: %s",
                    g_strerror(errno));
        return false;
    }
    mmap_size = ioctl(s->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (mmap_size < (int)sizeof(struct kvm_run)) {
        g_set_error(errp, QEMU_ERROR, 0, "KVM_GET_VCPU_MMAP_SIZE failed: %s",
                    g_strerror(errno));
        return false;
    }
    s->run_size = (size_t)mmap_size;
    nslots = ioctl(s->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
    s->nslots = nslots > 0 ? MIN((unsigned)nslots, KVM_MAX_SLOTS) : 32;
    return kvm_x86_vm_init(s->vm_fd, errp);
}

static bool kvm_init(Machine *m, GError **errp)
{
    static GOnce handler_once = G_ONCE_INIT;
    static const MemoryListener listener = {
        .region_add = kvm_region_add,
        .region_del = kvm_region_del,
    };
    KVMState *s = g_new0(KVMState, 1);
    MemoryListener l = listener;

    s->vm_fd = -1;
    s->kvm_fd = kvm_open(errp);
    if (s->kvm_fd < 0 || !kvm_vm_setup(s, m, errp)) {
        kvm_state_free(s);
        return false;
    }
    g_once(&handler_once, install_kick_handler, NULL);

    m->accel_state = s;
    l.opaque = s;
    address_space_set_listener(m->memory, &l);
    if (s->broken) {
        g_set_error(errp, QEMU_ERROR, 0, "KVM cannot map the guest's RAM");
        return false;
    }
    return true;
}

static void kvm_cleanup(Machine *m)
{
    KVMState *s = m->accel_state;

    if (!s) {
        return;
    }
    address_space_set_listener(m->memory, NULL);
    kvm_state_free(s);
    m->accel_state = NULL;
}

/* vCPUs */

static void kvm_vcpu_free(KVMVCPU *v, size_t run_size)
{
    if (v->run) {
        munmap(v->run, run_size);
    }
    if (v->fd >= 0) {
        close(v->fd);
    }
    g_free(v);
}

static bool kvm_vcpu_init(VCPU *cpu, GError **errp)
{
    Machine *m = cpu->machine;
    KVMState *s = m->accel_state;
    KVMVCPU *v = g_new0(KVMVCPU, 1);
    void *run;

    v->fd = ioctl(s->vm_fd, KVM_CREATE_VCPU, (unsigned long)cpu->index);
    if (v->fd < 0) {
        g_set_error(errp, QEMU_ERROR, 0, "KVM_CREATE_VCPU %u failed: %s",
                    cpu->index, g_strerror(errno));
        g_free(v);
        return false;
    }
    run = mmap(NULL, s->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
    if (run == MAP_FAILED) {
        g_set_error(errp, QEMU_ERROR, 0, "cannot map vCPU %u's kvm_run: %s",
                    cpu->index, g_strerror(errno));
        kvm_vcpu_free(v, s->run_size);
        return false;
    }
    v->run = run;
    if (!kvm_x86_vcpu_init(&v->x86, s->kvm_fd, v->fd, cpu->index, m->ncpus,
                           errp)) {
        g_prefix_error(errp, "vCPU %u: ", cpu->index);
        kvm_vcpu_free(v, s->run_size);
        return false;
    }
    cpu->accel = v;
    return true;
}

static void kvm_vcpu_cleanup(VCPU *cpu)
{
    KVMVCPU *v = cpu->accel;
    KVMState *s = cpu->machine->accel_state;

    if (!v) {
        return;
    }
    cpu->accel = NULL;
    kvm_vcpu_free(v, s->run_size);
}

static void kvm_kick(VCPU *cpu)
{
    KVMVCPU *v = cpu->accel;

    if (!v) {
        return;
    }
    __atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
    if (g_atomic_int_get(&v->thread_known)) {
        pthread_kill(v->thread, KVM_KICK_SIGNAL);
    }
}

bool kvm_vcpu_take_debug_exit(VCPU *cpu)
{
    KVMVCPU *v = cpu->accel;

    return v && g_atomic_int_compare_and_exchange(&v->debug_exit, 1, 0);
}

/*
 * Makes the calling thread the one kicks go to (the manager always runs a
 * vCPU on the same thread; tests may not).
 */
static void kvm_vcpu_thread_setup(KVMVCPU *v)
{
    pthread_t self = pthread_self();
    sigset_t set;

    if (g_atomic_int_get(&v->thread_known) && pthread_equal(v->thread, self)) {
        return;
    }
    sigemptyset(&set);
    sigaddset(&set, KVM_KICK_SIGNAL);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    g_atomic_int_set(&v->thread_known, 0);
    v->thread = self;
    g_atomic_int_set(&v->thread_known, 1);
}

static void handle_io(Machine *m, struct kvm_run *run)
{
    uint8_t *data = (uint8_t *)run + run->io.data_offset;
    unsigned size = run->io.size;

    for (uint32_t i = 0; i < run->io.count; i++, data += size) {
        uint64_t value = 0;

        if (run->io.direction == KVM_EXIT_IO_OUT) {
            memcpy(&value, data, size);
            address_space_write_val(m->io, run->io.port, size, value);
        } else {
            address_space_read_val(m->io, run->io.port, size, &value);
            memcpy(data, &value, size);
        }
    }
}

static void handle_mmio(Machine *m, struct kvm_run *run)
{
    uint64_t addr = run->mmio.phys_addr;
    uint32_t len = run->mmio.len;
    uint8_t *data = run->mmio.data;
    uint64_t value = 0;

    if (len == 1 || len == 2 || len == 4 || len == 8) {
        if (run->mmio.is_write) {
            memcpy(&value, data, len);
            address_space_write_val(m->memory, addr, len, value);
        } else {
            address_space_read_val(m->memory, addr, len, &value);
            memcpy(data, &value, len);
        }
        return;
    }
    for (uint32_t i = 0; i < len && i < sizeof(run->mmio.data); i++) {
        if (run->mmio.is_write) {
            address_space_write_val(m->memory, addr + i, 1, data[i]);
        } else {
            address_space_read_val(m->memory, addr + i, 1, &value);
            data[i] = (uint8_t)value;
        }
    }
}

static const char *const exit_names[] = {
#define EXIT(x) [KVM_EXIT_##x] = "KVM_EXIT_" #x
    EXIT(UNKNOWN), EXIT(EXCEPTION), EXIT(IO), EXIT(HYPERCALL), EXIT(DEBUG),
    EXIT(HLT), EXIT(MMIO), EXIT(IRQ_WINDOW_OPEN), EXIT(SHUTDOWN),
    EXIT(FAIL_ENTRY), EXIT(INTR), EXIT(SET_TPR), EXIT(TPR_ACCESS),
    EXIT(NMI), EXIT(INTERNAL_ERROR), EXIT(WATCHDOG), EXIT(EPR),
    EXIT(SYSTEM_EVENT), EXIT(IOAPIC_EOI), EXIT(HYPERV), EXIT(X86_RDMSR),
    EXIT(X86_WRMSR), EXIT(DIRTY_RING_FULL), EXIT(AP_RESET_HOLD),
    EXIT(X86_BUS_LOCK), EXIT(XEN), EXIT(NOTIFY),
#undef EXIT
};

static const char *exit_name(uint32_t reason)
{
    if (reason < G_N_ELEMENTS(exit_names) && exit_names[reason]) {
        return exit_names[reason];
    }
    return "unknown exit";
}

static const char *internal_error_name(uint32_t suberror)
{
    switch (suberror) {
    case KVM_INTERNAL_ERROR_EMULATION:
        return "instruction emulation failed";
    case KVM_INTERNAL_ERROR_SIMUL_EX:
        return "exception while delivering an exception";
    case KVM_INTERNAL_ERROR_DELIVERY_EV:
        return "exit while delivering an event";
    case KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON:
        return "unexpected exit reason";
    default:
        return "unknown suberror";
    }
}

static VCPURunResult report_failure(VCPU *cpu, KVMVCPU *v)
{
    struct kvm_run *run = v->run;
    uint32_t reason = run->exit_reason;

    switch (reason) {
    case KVM_EXIT_INTERNAL_ERROR: {
        g_autoptr(GString) data = g_string_new("");

        for (uint32_t i = 0; i < run->internal.ndata &&
                             i < G_N_ELEMENTS(run->internal.data); i++) {
            g_string_append_printf(data, " %llx",
                                   (unsigned long long)run->internal.data[i]);
        }
        error_report("KVM: vCPU %u: %s, suberror %u (%s)%s%s", cpu->index,
                     exit_name(reason), run->internal.suberror,
                     internal_error_name(run->internal.suberror),
                     data->len ? ", data" : "", data->str);
        break;
    }
    case KVM_EXIT_FAIL_ENTRY:
        error_report("KVM: vCPU %u: %s, hardware entry failure reason 0x%llx",
                     cpu->index, exit_name(reason),
                     (unsigned long long)
                     run->fail_entry.hardware_entry_failure_reason);
        break;
    default:
        error_report("KVM: vCPU %u: unexpected %s (%u)", cpu->index,
                     exit_name(reason), reason);
        break;
    }
    kvm_x86_dump_state(&v->x86, cpu->machine->memory);
    return VCPU_RUN_ERROR;
}

static VCPURunResult handle_system_event(Machine *m, struct kvm_run *run)
{
    switch (run->system_event.type) {
    case KVM_SYSTEM_EVENT_RESET:
        machine_request_reset(m);
        break;
    case KVM_SYSTEM_EVENT_CRASH:
        error_report("KVM: the guest reported a crash");
        machine_request_shutdown(m, 1);
        break;
    case KVM_SYSTEM_EVENT_SHUTDOWN:
    default:
        machine_request_shutdown(m, 0);
        break;
    }
    return VCPU_RUN_SHUTDOWN;
}

/*
 * Returns to the manager.  A handled I/O or MMIO exit is completed first
 * (KVM_RUN with immediate_exit set finishes the instruction and returns
 * at once) so that get_state sees consistent registers.
 */
static VCPURunResult kvm_vcpu_leave(KVMVCPU *v, VCPURunResult result)
{
    if (v->io_pending) {
        __atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
        ioctl(v->fd, KVM_RUN, 0);
        v->io_pending = false;
    }
    __atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
    return result;
}

/* Handles one exit; returns -1 to go on running, else the result. */
static int handle_exit(VCPU *cpu, KVMVCPU *v)
{
    Machine *m = cpu->machine;
    struct kvm_run *run = v->run;

    switch (run->exit_reason) {
    case KVM_EXIT_IO:
        handle_io(m, run);
        v->io_pending = true;
        break;
    case KVM_EXIT_MMIO:
        handle_mmio(m, run);
        v->io_pending = true;
        break;
    case KVM_EXIT_INTR:
    case KVM_EXIT_IRQ_WINDOW_OPEN:
        break;
    case KVM_EXIT_HLT:
        /* Only without an in-kernel LAPIC, which we always have. */
        return VCPU_RUN_HALT;
    case KVM_EXIT_SHUTDOWN:
        /* Triple fault. */
        machine_request_reset(m);
        return VCPU_RUN_SHUTDOWN;
    case KVM_EXIT_SYSTEM_EVENT:
        return handle_system_event(m, run);
    case KVM_EXIT_DEBUG:
        g_atomic_int_set(&v->debug_exit, 1);
        return kvm_vcpu_leave(v, VCPU_RUN_KICKED);
    default:
        return report_failure(cpu, v);
    }
    return main_loop_quitting() ? VCPU_RUN_SHUTDOWN : -1;
}

static VCPURunResult kvm_vcpu_run(VCPU *cpu)
{
    KVMVCPU *v = cpu->accel;
    KVMState *s = cpu->machine->accel_state;

    kvm_vcpu_thread_setup(v);
    if (s->broken) {
        error_report("KVM: vCPU %u cannot run: guest RAM is not mapped",
                     cpu->index);
        return VCPU_RUN_ERROR;
    }
    for (;;) {
        int result;

        /* Cleared before exit_request is read: see kvm.h. */
        __atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
        if (g_atomic_int_get(&cpu->exit_request)) {
            return kvm_vcpu_leave(v, VCPU_RUN_KICKED);
        }
        if (ioctl(v->fd, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                v->io_pending = false;
                continue;
            }
            error_report("KVM: vCPU %u: KVM_RUN failed: %s", cpu->index,
                         g_strerror(errno));
            kvm_x86_dump_state(&v->x86, cpu->machine->memory);
            return VCPU_RUN_ERROR;
        }
        v->io_pending = false;
        result = handle_exit(cpu, v);
        if (result >= 0) {
            return (VCPURunResult)result;
        }
    }
}

static bool kvm_get_state(VCPU *cpu, X86CPUState *s, GError **errp)
{
    KVMVCPU *v = cpu->accel;

    return kvm_x86_get_state(&v->x86, s, errp);
}

static bool kvm_set_state(VCPU *cpu, const X86CPUState *s, GError **errp)
{
    KVMVCPU *v = cpu->accel;

    return kvm_x86_set_state(&v->x86, s, errp);
}

static bool kvm_set_single_step(VCPU *cpu, bool enable, GError **errp)
{
    KVMVCPU *v = cpu->accel;

    return kvm_x86_set_single_step(&v->x86, enable, errp);
}

static const AccelOps kvm_accel_ops = {
    .name = "kvm",
    .description = "Linux KVM with in-kernel PIC, IOAPIC, LAPIC and PIT",
    .flags = ACCEL_IRQCHIP_IN_KERNEL,
    .probe = kvm_probe,
    .init = kvm_init,
    .cleanup = kvm_cleanup,
    .vcpu_init = kvm_vcpu_init,
    .vcpu_run = kvm_vcpu_run,
    .kick = kvm_kick,
    .vcpu_cleanup = kvm_vcpu_cleanup,
    .get_state = kvm_get_state,
    .set_state = kvm_set_state,
    .set_irq = kvm_set_irq,
    .set_single_step = kvm_set_single_step,
};

ACCEL_REGISTER(kvm_accel_ops);
