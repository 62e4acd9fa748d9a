/*
 * The x86 side of KVM: VM setup, CPUID, state transfer, diagnostics.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "core/error.h"
#include "target/x86_64/cpuid.h"
#include "target/x86_64/kvm/kvm_regs.h"
#include "target/x86_64/kvm/kvm_setup.h"
#include "target/x86_64/kvm/kvm_x86.h"

static bool ioctl_failed(GError **errp, const char *what)
{
    int err = errno;

    g_set_error(errp, QEMU_ERROR, 0, "%s failed: %s", what, g_strerror(err));
    return false;
}

#define KVM_IOCTL(fd, req, arg, errp) \
    (ioctl((fd), (req), (arg)) >= 0 || ioctl_failed((errp), #req))

bool kvm_x86_vm_init(int vm_fd, GError **errp)
{
    uint64_t identity_map = KVM_X86_IDENTITY_MAP_ADDR;
    struct kvm_pit_config pit = { .flags = 0 };
    g_autofree struct kvm_irq_routing *routing = kvm_x86_gsi_routing();

    return KVM_IOCTL(vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_X86_TSS_ADDR, errp) &&
           KVM_IOCTL(vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &identity_map, errp) &&
           KVM_IOCTL(vm_fd, KVM_CREATE_IRQCHIP, 0, errp) &&
           KVM_IOCTL(vm_fd, KVM_CREATE_PIT2, &pit, errp) &&
           KVM_IOCTL(vm_fd, KVM_SET_GSI_ROUTING, routing, errp);
}

static struct kvm_cpuid2 *get_supported_cpuid(int kvm_fd, GError **errp)
{
    for (uint32_t n = 64; n <= 4096; n *= 2) {
        struct kvm_cpuid2 *c = g_malloc0(sizeof(*c) +
                                         n * sizeof(struct kvm_cpuid_entry2));

        c->nent = n;
        if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
            return c;
        }
        g_free(c);
        if (errno != E2BIG) {
            break;
        }
    }
    ioctl_failed(errp, "KVM_GET_SUPPORTED_CPUID");
    return NULL;
}

static bool host_has_msr(int kvm_fd, uint32_t index)
{
    struct kvm_msr_list probe = { .nmsrs = 0 };
    g_autofree struct kvm_msr_list *list = NULL;

    if (ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 && errno != E2BIG) {
        return false;
    }
    list = g_malloc0(sizeof(*list) + probe.nmsrs * sizeof(uint32_t));
    list->nmsrs = probe.nmsrs;
    if (ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, list) < 0) {
        return false;
    }
    for (uint32_t i = 0; i < list->nmsrs; i++) {
        if (list->indices[i] == index) {
            return true;
        }
    }
    return false;
}

bool kvm_x86_vcpu_init(KVMX86CPU *c, int kvm_fd, int vcpu_fd, unsigned index,
                       unsigned ncpus, GError **errp)
{
    g_autofree struct kvm_cpuid2 *supported = NULL;
    g_autofree struct kvm_cpuid2 *cpuid = NULL;
    X86CPUIDContext ctx = {
        .apic_id = index,
        .ncpus = ncpus,
        .apic_base = APIC_DEFAULT_BASE | MSR_APICBASE_ENABLE,
    };
    int tsc_khz;

    memset(c, 0, sizeof(*c));
    c->fd = vcpu_fd;
    c->index = index;
    c->mp_state = KVM_MP_STATE_RUNNABLE;
    c->has_tsc_aux = host_has_msr(kvm_fd, MSR_TSC_AUX);
    c->has_xsave = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE) > 0;

    tsc_khz = ioctl(vcpu_fd, KVM_GET_TSC_KHZ, 0);
    if (tsc_khz < 0) {
        return ioctl_failed(errp, "KVM_GET_TSC_KHZ");
    }
    ctx.tsc_khz = (uint32_t)tsc_khz;

    supported = get_supported_cpuid(kvm_fd, errp);
    if (!supported) {
        return false;
    }
    cpuid = kvm_x86_build_cpuid(x86_cpu_model_default(), &ctx, supported);
    if (!KVM_IOCTL(vcpu_fd, KVM_SET_CPUID2, cpuid, errp)) {
        return false;
    }
    if (index > 0) {
        struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_UNINITIALIZED };

        if (!KVM_IOCTL(vcpu_fd, KVM_SET_MP_STATE, &mp, errp)) {
            return false;
        }
        c->mp_state = mp.mp_state;
    }
    return true;
}

static struct kvm_msrs *msrs_new(void)
{
    return g_malloc0(sizeof(struct kvm_msrs) +
                     KVM_X86_MAX_MSRS * sizeof(struct kvm_msr_entry));
}

static bool get_msrs(KVMX86CPU *c, X86CPUState *s, GError **errp)
{
    g_autofree struct kvm_msrs *msrs = msrs_new();
    uint32_t indices[KVM_X86_MAX_MSRS];
    unsigned n = kvm_msr_indices(indices, c->has_tsc_aux);
    int got;

    msrs->nmsrs = n;
    for (unsigned i = 0; i < n; i++) {
        msrs->entries[i].index = indices[i];
    }
    got = ioctl(c->fd, KVM_GET_MSRS, msrs);
    if (got < 0) {
        return ioctl_failed(errp, "KVM_GET_MSRS");
    }
    if ((unsigned)got < n) {
        g_set_error(errp, QEMU_ERROR, 0, "KVM_GET_MSRS cannot read MSR 0x%x",
                    indices[got]);
        return false;
    }
    kvm_msrs_to_x86(s, msrs->entries, n);
    return true;
}

static bool set_msrs(KVMX86CPU *c, const X86CPUState *s, GError **errp)
{
    g_autofree struct kvm_msrs *msrs = msrs_new();
    int done;

    msrs->nmsrs = kvm_msrs_from_x86(msrs->entries, s, c->has_tsc_aux);
    done = ioctl(c->fd, KVM_SET_MSRS, msrs);
    if (done < 0) {
        return ioctl_failed(errp, "KVM_SET_MSRS");
    }
    if ((unsigned)done < msrs->nmsrs) {
        g_set_error(errp, QEMU_ERROR, 0,
                    "KVM_SET_MSRS rejected MSR 0x%x = 0x%llx",
                    msrs->entries[done].index,
                    (unsigned long long)msrs->entries[done].data);
        return false;
    }
    return true;
}

/*
 * x87 and SSE: through XSAVE where KVM has it, since KVM_SET_FPU ignores
 * MXCSR and leaves XSTATE_BV alone.
 */
static bool get_fpu(KVMX86CPU *c, X86CPUState *s, GError **errp)
{
    if (c->has_xsave) {
        g_autofree struct kvm_xsave *xsave = g_new0(struct kvm_xsave, 1);

        if (!KVM_IOCTL(c->fd, KVM_GET_XSAVE, xsave, errp)) {
            return false;
        }
        kvm_xsave_to_x86(s, xsave);
    } else {
        struct kvm_fpu fpu;

        if (!KVM_IOCTL(c->fd, KVM_GET_FPU, &fpu, errp)) {
            return false;
        }
        kvm_fpu_to_x86(s, &fpu);
    }
    return true;
}

static bool set_fpu(KVMX86CPU *c, const X86CPUState *s, GError **errp)
{
    if (c->has_xsave) {
        g_autofree struct kvm_xsave *xsave = g_new0(struct kvm_xsave, 1);

        if (!KVM_IOCTL(c->fd, KVM_GET_XSAVE, xsave, errp)) {
            return false;
        }
        kvm_xsave_from_x86(xsave, s);
        return KVM_IOCTL(c->fd, KVM_SET_XSAVE, xsave, errp);
    } else {
        struct kvm_fpu fpu;

        kvm_fpu_from_x86(&fpu, s);
        return KVM_IOCTL(c->fd, KVM_SET_FPU, &fpu, errp);
    }
}

bool kvm_x86_get_state(KVMX86CPU *c, X86CPUState *s, GError **errp)
{
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    struct kvm_debugregs dregs;
    struct kvm_mp_state mp;
    struct kvm_vcpu_events events;

    memset(s, 0, sizeof(*s));
    if (!KVM_IOCTL(c->fd, KVM_GET_REGS, &regs, errp) ||
        !KVM_IOCTL(c->fd, KVM_GET_SREGS, &sregs, errp) ||
        !get_fpu(c, s, errp) ||
        !KVM_IOCTL(c->fd, KVM_GET_DEBUGREGS, &dregs, errp) ||
        !KVM_IOCTL(c->fd, KVM_GET_MP_STATE, &mp, errp) ||
        !KVM_IOCTL(c->fd, KVM_GET_VCPU_EVENTS, &events, errp) ||
        !get_msrs(c, s, errp)) {
        return false;
    }
    kvm_regs_to_x86(s, &regs);
    kvm_sregs_to_x86(s, &sregs);
    kvm_debugregs_to_x86(s, &dregs);
    kvm_events_to_x86(s, &events);
    s->mp_state = kvm_mp_state_to_x86(mp.mp_state);
    c->mp_state = mp.mp_state;
    return true;
}

/*
 * sregs and events are read first so that what X86CPUState does not hold
 * (an interrupt being injected, a pending exception or NMI) is written
 * back unchanged.
 */
bool kvm_x86_set_state(KVMX86CPU *c, const X86CPUState *s, GError **errp)
{
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    struct kvm_debugregs dregs;
    struct kvm_mp_state mp;
    struct kvm_vcpu_events events;

    if (!KVM_IOCTL(c->fd, KVM_GET_SREGS, &sregs, errp) ||
        !KVM_IOCTL(c->fd, KVM_GET_VCPU_EVENTS, &events, errp)) {
        return false;
    }
    kvm_sregs_from_x86(&sregs, s);
    memset(&regs, 0, sizeof(regs));
    kvm_regs_from_x86(&regs, s);
    kvm_debugregs_from_x86(&dregs, s);
    kvm_events_from_x86(&events, s);
    memset(&mp, 0, sizeof(mp));
    mp.mp_state = kvm_mp_state_from_x86(s->mp_state, c->mp_state);

    if (!KVM_IOCTL(c->fd, KVM_SET_SREGS, &sregs, errp) ||
        !KVM_IOCTL(c->fd, KVM_SET_REGS, &regs, errp) ||
        !set_fpu(c, s, errp) ||
        !set_msrs(c, s, errp) ||
        !KVM_IOCTL(c->fd, KVM_SET_DEBUGREGS, &dregs, errp) ||
        !KVM_IOCTL(c->fd, KVM_SET_VCPU_EVENTS, &events, errp) ||
        !KVM_IOCTL(c->fd, KVM_SET_MP_STATE, &mp, errp)) {
        return false;
    }
    c->mp_state = mp.mp_state;
    return true;
}

bool kvm_x86_set_single_step(KVMX86CPU *c, bool enable, GError **errp)
{
    struct kvm_guest_debug dbg;

    memset(&dbg, 0, sizeof(dbg));
    if (enable) {
        dbg.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP;
    }
    return KVM_IOCTL(c->fd, KVM_SET_GUEST_DEBUG, &dbg, errp);
}

/* Guest-physical address of linear address LA, via KVM's own page walk. */
static bool translate(KVMX86CPU *c, uint64_t la, uint64_t *pa)
{
    struct kvm_translation t = { .linear_address = la };

    if (ioctl(c->fd, KVM_TRANSLATE, &t) < 0 || !t.valid) {
        return false;
    }
    *pa = t.physical_address;
    return true;
}

/* Up to LEN code bytes at LA into BUF; returns how many could be read. */
static size_t read_code(KVMX86CPU *c, AddressSpace *mem, uint64_t la,
                        uint8_t *buf, size_t len)
{
    size_t done = 0;

    while (done < len) {
        uint64_t pa;
        size_t chunk = MIN(len - done, 0x1000 - ((la + done) & 0xfff));
        const void *host;

        if (!translate(c, la + done, &pa)) {
            break;
        }
        host = address_space_ram_ptr(mem, pa, chunk);
        if (!host) {
            break;
        }
        memcpy(buf + done, host, chunk);
        done += chunk;
    }
    return done;
}

static void dump_segment(const char *name, const struct kvm_segment *seg)
{
    X86Segment x;

    kvm_segment_to_x86(&x, seg);
    error_report("%s =%04x base %016llx limit %08x attrib %04x", name,
                 x.selector, (unsigned long long)x.base, x.limit, x.attrib);
}

void kvm_x86_dump_state(KVMX86CPU *c, AddressSpace *mem)
{
    struct kvm_regs r;
    struct kvm_sregs s;
    uint8_t code[16];
    size_t ncode;
    uint64_t la;
    GString *line;

    if (ioctl(c->fd, KVM_GET_REGS, &r) < 0 ||
        ioctl(c->fd, KVM_GET_SREGS, &s) < 0) {
        error_report("vCPU %u: cannot read registers: %s", c->index,
                     g_strerror(errno));
        return;
    }
    error_report("vCPU %u: RIP=%016llx RSP=%016llx RFLAGS=%08llx", c->index,
                 r.rip, r.rsp, r.rflags);
    error_report("RAX=%016llx RBX=%016llx RCX=%016llx RDX=%016llx",
                 r.rax, r.rbx, r.rcx, r.rdx);
    error_report("RSI=%016llx RDI=%016llx RBP=%016llx",
                 r.rsi, r.rdi, r.rbp);
    error_report("CR0=%08llx CR2=%016llx CR3=%016llx CR4=%08llx EFER=%llx",
                 s.cr0, s.cr2, s.cr3, s.cr4, s.efer);
    dump_segment("CS", &s.cs);
    dump_segment("SS", &s.ss);
    dump_segment("DS", &s.ds);

    la = (s.efer & X86_EFER_LMA) && s.cs.l ? r.rip : s.cs.base + r.rip;
    ncode = mem ? read_code(c, mem, la, code, sizeof(code)) : 0;
    if (!ncode) {
        error_report("code at RIP: not readable");
        return;
    }
    line = g_string_new("code at RIP:");
    for (size_t i = 0; i < ncode; i++) {
        g_string_append_printf(line, " %02x", code[i]);
    }
    error_report("%s", line->str);
    g_string_free(line, TRUE);
}
