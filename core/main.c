/*
 * The program's top level: parse the command line, answer help requests,
 * choose an accelerator, build the machine and run it until it ends.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>

#include "accel/accel.h"
#include "core/binaries.h"
#include "core/error.h"
#include "core/machine.h"
#include "core/main_loop.h"
#include "core/memory.h"
#include "core/options.h"
#include "core/vcpu.h"

#define QEMU_VERSION "0.1.0"

/* "kvm, tcg": the accelerators linked into this binary. */
static char *linked_accel_names(void)
{
    g_autofree const AccelOps **list = accel_list();
    g_autoptr(GString) names = g_string_new(NULL);

    for (const AccelOps **a = list; *a; a++) {
        g_string_append_printf(names, "%s%s", names->len ? ", " : "",
                               (*a)->name);
    }
    return g_string_free(g_steal_pointer(&names), FALSE);
}

static void print_help(void)
{
    g_autofree char *accels = linked_accel_names();

    options_print_help(stdout);
    printf("\nAccelerators in this binary: %s\n"
           "Without -accel, the first usable of kvm and tcg that is built in "
           "is chosen\n(QEMU defaults to tcg; this follows kvmtool and "
           "Firecracker).\n"
           "Default RAM is %uM (QEMU's microvm: 128M).\n",
           accels, OPTIONS_DEFAULT_RAM_MIB);
}

static void print_version(void)
{
    g_autofree char *accels = linked_accel_names();

    printf("%s version " QEMU_VERSION "\n", qemu_binary_name);
    printf("Accelerators: %s\n", accels);
}

static void print_accel_help(void)
{
    g_autofree const AccelOps **list = accel_list();
    int width = 0;

    for (const AccelOps **a = list; *a; a++) {
        width = MAX(width, (int)strlen((*a)->name));
    }
    printf("Accelerators built into %s:\n", qemu_binary_name);
    for (const AccelOps **a = list; *a; a++) {
        g_autoptr(GError) err = NULL;

        if (!(*a)->probe || (*a)->probe(&err)) {
            printf("  %-*s usable\n", width + 2, (*a)->name);
        } else {
            printf("  %-*s not usable: %s\n", width + 2, (*a)->name,
                   err ? err->message : "no reason given");
        }
    }
}

static void print_machine_help(void)
{
    g_autofree const MachineClass **list = machine_list();

    printf("Supported machines are:\n");
    for (const MachineClass **mc = list; *mc; mc++) {
        printf("  %-20s %s%s\n", (*mc)->name,
               (*mc)->description ? (*mc)->description : "",
               strcmp((*mc)->name, OPTIONS_DEFAULT_MACHINE) == 0 ?
               " (default)" : "");
    }
}

static void print_device_help(void)
{
    g_autofree const DeviceClass **list = device_list();

    printf("Available devices:\n");
    for (const DeviceClass **dc = list; *dc; dc++) {
        printf("  %-20s %s\n", (*dc)->name,
               (*dc)->description ? (*dc)->description : "");
    }
    if (!*list) {
        printf("  (none)\n");
    }
}

/* Answers -help, -version and the "help" arguments; false if none was asked. */
static bool answer_requests(const OptionsRequest *req)
{
    if (req->help) {
        print_help();
    }
    if (req->version) {
        print_version();
    }
    if (req->accel_help) {
        print_accel_help();
    }
    if (req->machine_help) {
        print_machine_help();
    }
    if (req->device_help) {
        print_device_help();
    }
    return req->help || req->version || req->accel_help ||
           req->machine_help || req->device_help;
}

/* The "-device" argument's name part, before the first comma. */
static char *device_name(const char *arg, const char **opts)
{
    const char *comma = strchr(arg, ',');

    *opts = comma ? comma + 1 : "";
    return comma ? g_strndup(arg, comma - arg) : g_strdup(arg);
}

static const MachineClass *find_machine(const char *name, GError **errp)
{
    const MachineClass *mc = machine_find(name);

    if (!mc) {
        g_set_error(errp, QEMU_ERROR, 0,
                    "machine type '%s' not found; try -machine help", name);
    }
    return mc;
}

/* The class of a "-device" argument; *OPTS gets its options. */
static const DeviceClass *find_device(const char *arg, const char **opts,
                                      GError **errp)
{
    g_autofree char *name = device_name(arg, opts);
    const DeviceClass *dc = device_find(name);

    if (!dc) {
        g_set_error(errp, QEMU_ERROR, 0,
                    "device '%s' not found; try -device help", name);
    }
    return dc;
}

/* Catches unknown names before the accelerator and the guest are set up. */
static bool check_names(const MachineConfig *cfg, GError **errp)
{
    const char *opts;

    if (!find_machine(cfg->machine, errp)) {
        return false;
    }
    for (char **d = cfg->devices; *d; d++) {
        if (!find_device(*d, &opts, errp)) {
            return false;
        }
    }
    if (!cfg->kernel) {
        g_set_error(errp, QEMU_ERROR, 0, "no kernel given: use -kernel FILE");
        return false;
    }
    return true;
}

/*
 * A name the user asked for must be in this binary, whether or not an
 * earlier one would have been usable: a command line then behaves the
 * same on every host.
 */
static bool check_accels_linked(char **names, GError **errp)
{
    for (char **name = names; *name; name++) {
        const char *binaries;

        if (accel_find(*name)) {
            continue;
        }
        binaries = qemu_binaries_with_accel(*name);
        if (binaries) {
            g_set_error(errp, QEMU_ERROR, 0,
                        "accelerator '%s' is not built into this binary; "
                        "use %s", *name, binaries);
        } else {
            g_set_error(errp, QEMU_ERROR, 0, "unknown accelerator '%s'",
                        *name);
        }
        return false;
    }
    return true;
}

/* The first usable accelerator of CFG's list. */
static const AccelOps *select_accel(const MachineConfig *cfg,
                                    bool accel_given, GError **errp)
{
    g_autoptr(GString) reasons = g_string_new(NULL);

    if (accel_given && !check_accels_linked(cfg->accels, errp)) {
        return NULL;
    }
    for (char **name = cfg->accels; *name; name++) {
        const AccelOps *ops = accel_find(*name);
        g_autoptr(GError) err = NULL;

        if (!ops) {
            continue;           /* default list: not built in, skip */
        }
        if (!ops->probe || ops->probe(&err)) {
            if (reasons->len && accel_given) {
                warn_report("falling back to %s: %s", ops->name, reasons->str);
            }
            return ops;
        }
        g_string_append_printf(reasons, "%s%s: %s", reasons->len ? "; " : "",
                               ops->name, err ? err->message : "not usable");
    }
    if (!reasons->len) {
        g_set_error(errp, QEMU_ERROR, 0,
                    "no accelerator is built into this binary");
    } else {
        g_set_error(errp, QEMU_ERROR, 0, "no usable accelerator: %s",
                    reasons->str);
    }
    return NULL;
}

static bool create_devices(Machine *m, GError **errp)
{
    for (char **d = m->cfg->devices; *d; d++) {
        const char *opts;
        const DeviceClass *dc = find_device(*d, &opts, errp);

        if (!dc || !dc->create(m, opts, errp)) {
            return false;
        }
    }
    return true;
}

typedef struct SignalWatch {
    Machine *machine;
    int signo;
    guint source;
    bool seen;
} SignalWatch;

static gboolean on_signal(gpointer opaque)
{
    SignalWatch *w = opaque;

    if (w->seen) {
        /* A second Ctrl-C: a vCPU did not stop; do not wait for it. */
        _exit(1);
    }
    w->seen = true;
    error_report("terminating on signal %d", w->signo);
    machine_request_shutdown(w->machine, 1);
    return G_SOURCE_CONTINUE;
}

static void watch_signal(SignalWatch *w, Machine *m, int signo)
{
    GSource *src = g_unix_signal_source_new(signo);

    *w = (SignalWatch){ .machine = m, .signo = signo };
    g_source_set_callback(src, on_signal, w, NULL);
    w->source = g_source_attach(src, main_loop_context());
    g_source_unref(src);
}

static void unwatch_signal(SignalWatch *w)
{
    GSource *src = g_main_context_find_source_by_id(main_loop_context(),
                                                    w->source);

    if (src) {
        g_source_destroy(src);
    }
}

/* Everything up to running vCPUs; M's cfg and accel are set. */
static bool build_machine(Machine *m, GError **errp)
{
    m->mc = find_machine(m->cfg->machine, errp);
    if (!m->mc) {
        return false;
    }
    m->memory = address_space_new("memory", ADDRESS_SPACE_MEMORY);
    m->io = address_space_new("io", ADDRESS_SPACE_IO);
    m->ncpus = m->cfg->smp;
    return m->accel->init(m, errp) &&
           vcpus_create(m, errp) &&
           m->mc->init(m, errp) &&
           create_devices(m, errp) &&
           m->mc->reset(m, errp);
}

/*
 * Runs the machine until it ends and returns the exit status.  On an
 * error before the vCPUs run, nothing is torn down: the process exits
 * and the kernel releases memory, threads and accelerator descriptors.
 */
static int run_machine(const MachineConfig *cfg, const AccelOps *accel)
{
    Machine m = { .cfg = cfg, .accel = accel };
    SignalWatch sigint, sigterm;
    GError *err = NULL;
    int status;

    if (!build_machine(&m, &err)) {
        error_report_err(err);
        return 1;
    }
    watch_signal(&sigint, &m, SIGINT);
    watch_signal(&sigterm, &m, SIGTERM);
    if (!vcpus_start(&m, cfg->start_paused, &err)) {
        error_report_err(err);
        return 1;
    }
    status = main_loop_run();
    vcpus_stop_all(&m);
    unwatch_signal(&sigint);
    unwatch_signal(&sigterm);
    if (accel->cleanup) {
        accel->cleanup(&m);
    }
    address_space_free(m.io);
    address_space_free(m.memory);
    return status;
}

static int run(const MachineConfig *cfg, const OptionsRequest *req)
{
    const AccelOps *accel;
    GError *err = NULL;

    if (!check_names(cfg, &err)) {
        error_report_err(err);
        return 1;
    }
    accel = select_accel(cfg, req->accel_given, &err);
    if (!accel) {
        error_report_err(err);
        return 1;
    }
    return run_machine(cfg, accel);
}

int main(int argc, char **argv)
{
    MachineConfig cfg;
    OptionsRequest req;
    GError *err = NULL;
    int status;

    g_set_prgname(qemu_binary_name);
    if (!options_parse(argc, argv, &cfg, &req, &err)) {
        error_report_err(err);
        return 1;
    }
    status = answer_requests(&req) ? 0 : run(&cfg, &req);
    machine_config_clear(&cfg);
    return status;
}
