/*
 * Command-line parsing.  Every error is one line that names the option,
 * spelled with one dash whatever the user typed.
 */
#include <string.h>

#include "core/error.h"
#include "core/options.h"

typedef enum OptionId {
    OPT_ACCEL,
    OPT_ENABLE_KVM,
    OPT_MACHINE,
    OPT_M,
    OPT_SMP,
    OPT_KERNEL,
    OPT_INITRD,
    OPT_APPEND,
    OPT_SERIAL,
    OPT_NOGRAPHIC,
    OPT_DISPLAY,
    OPT_NO_REBOOT,
    OPT_DEVICE,
    OPT_START_PAUSED,
    OPT_VERSION,
    OPT_HELP,
    OPT_NOT_YET,        /* documented for later: rejected with its own message */
} OptionId;

typedef struct OptionDef {
    const char *name;
    OptionId id;
    const char *arg;    /* metavariable, NULL when the option takes no argument */
    const char *help;
} OptionDef;

static const OptionDef option_defs[] = {
    { "accel", OPT_ACCEL, "NAME[:NAME...]",
      "accelerators to try in order, falling back when one is not usable "
      "(default: kvm:tcg, those built in); 'help' lists them" },
    { "enable-kvm", OPT_ENABLE_KVM, NULL, "same as -accel kvm" },
    { "machine", OPT_MACHINE, "NAME[,accel=A[:B]]",
      "machine type (default: " OPTIONS_DEFAULT_MACHINE "); 'help' lists them" },
    { "M", OPT_MACHINE, "NAME", "same as -machine" },
    { "m", OPT_M, "[size=]SIZE",
      "RAM size in MiB, or with a suffix K, M, G or T, e.g. 1G or 1.5G "
      "(default: 256M, minimum 16M)" },
    { "smp", OPT_SMP, "[cpus=]N",
      "number of vCPUs, 1 to 255 (default: 1); sockets=, cores=, threads= "
      "must multiply to N" },
    { "kernel", OPT_KERNEL, "FILE", "Linux bzImage or ELF64 image to boot (required)" },
    { "initrd", OPT_INITRD, "FILE", "initial ramdisk" },
    { "append", OPT_APPEND, "CMDLINE", "kernel command line" },
    { "serial", OPT_SERIAL, "stdio|file:PATH|none",
      "serial port (COM1) backend (default: stdio; mon:stdio is taken as stdio)" },
    { "nographic", OPT_NOGRAPHIC, NULL,
      "no display; serial port on stdio unless -serial says otherwise" },
    { "display", OPT_DISPLAY, "none", "display backend: only 'none'" },
    { "no-reboot", OPT_NO_REBOOT, NULL,
      "exit with status 0 when the guest resets instead of rebooting" },
    { "device", OPT_DEVICE, "NAME[,OPTS]",
      "add a device, e.g. isa-debug-exit,iobase=0xf4,iosize=0x04; "
      "repeatable; 'help' lists them" },
    { "S", OPT_START_PAUSED, NULL, "do not start the vCPUs" },
    { "version", OPT_VERSION, NULL, "print the version and exit" },
    { "help", OPT_HELP, NULL, "print this help and exit" },
    { "h", OPT_HELP, NULL, "same as -help" },
    { "drive", OPT_NOT_YET, "OPTS", NULL },
    { "netdev", OPT_NOT_YET, "OPTS", NULL },
    { "qmp", OPT_NOT_YET, "DEV", NULL },
    { "gdb", OPT_NOT_YET, "DEV", NULL },
    { "s", OPT_NOT_YET, NULL, NULL },
};

typedef struct ParseState {
    MachineConfig *cfg;
    OptionsRequest *req;
    GPtrArray *accels;          /* of owned char *, no duplicates */
    GPtrArray *devices;         /* of owned char * */
    bool serial_given;
} ParseState;

static const OptionDef *option_lookup(const char *arg)
{
    const char *name = arg + 1;

    if (*name == '-') {
        name++;                 /* QEMU accepts --name as well */
    }
    for (size_t i = 0; i < G_N_ELEMENTS(option_defs); i++) {
        if (strcmp(option_defs[i].name, name) == 0) {
            return &option_defs[i];
        }
    }
    return NULL;
}

static bool is_help(const char *value)
{
    return strcmp(value, "help") == 0 || strcmp(value, "?") == 0;
}

/* Decimal digits only, no sign, no overflow. */
static bool parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;

    if (!g_ascii_isdigit(*s)) {
        return false;
    }
    for (; *s; s++) {
        if (!g_ascii_isdigit(*s) || v > (G_MAXUINT64 - (*s - '0')) / 10) {
            return false;
        }
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return true;
}

/* The multiplier of a size suffix ("", "b", "k", "M", "GiB", "tb"), or 0. */
static uint64_t size_multiplier(const char *suffix)
{
    static const char units[] = "bkmgt";
    const char *unit;

    if (*suffix == '\0') {
        return 1ull << 20;      /* QEMU: a plain number is MiB */
    }
    unit = strchr(units, g_ascii_tolower(*suffix));
    if (!unit) {
        return 0;
    }
    suffix++;
    if (*unit != 'b' && (g_ascii_strcasecmp(suffix, "b") == 0 ||
                         g_ascii_strcasecmp(suffix, "ib") == 0)) {
        suffix = "";
    }
    if (*suffix != '\0') {
        return 0;
    }
    return 1ull << (10 * (unit - units));
}

/*
 * Parses "N[.F][suffix]" into bytes; false for junk or overflow (with
 * *TOO_LARGE set for the latter).
 */
static bool parse_size(const char *s, uint64_t *bytes, bool *too_large)
{
    const char *p = s;
    uint64_t whole = 0, frac = 0, frac_scale = 1, mult;
    unsigned __int128 total;

    *too_large = false;
    if (!g_ascii_isdigit(*p)) {
        return false;
    }
    for (; g_ascii_isdigit(*p); p++) {
        if (whole > (G_MAXUINT64 - 9) / 10) {
            *too_large = true;
            return false;
        }
        whole = whole * 10 + (uint64_t)(*p - '0');
    }
    if (*p == '.') {
        p++;
        if (!g_ascii_isdigit(*p)) {
            return false;
        }
        for (; g_ascii_isdigit(*p); p++) {
            if (frac_scale >= 1000000000ull) {
                return false;   /* more precision than any size needs */
            }
            frac = frac * 10 + (uint64_t)(*p - '0');
            frac_scale *= 10;
        }
    }
    mult = size_multiplier(p);
    if (!mult) {
        return false;
    }
    total = (unsigned __int128)whole * mult +
            (unsigned __int128)frac * mult / frac_scale;
    if (total > G_MAXUINT64) {
        *too_large = true;
        return false;
    }
    *bytes = (uint64_t)total;
    return true;
}

/* Splits "A,k=v,..." at commas; "" gives one empty part, not none. */
static char **split_opts(const char *value)
{
    char **parts;

    if (*value != '\0') {
        return g_strsplit(value, ",", -1);
    }
    parts = g_new0(char *, 2);
    parts[0] = g_strdup("");
    return parts;
}

static bool parse_ram_size(const char *value, uint64_t *ram_size,
                           GError **errp)
{
    bool too_large;
    uint64_t bytes;

    if (!parse_size(value, &bytes, &too_large)) {
        g_set_error(errp, QEMU_ERROR, 0, too_large ?
                    "-m: RAM size '%s' is too large (maximum 1T)" :
                    "-m: invalid size '%s'", value);
        return false;
    }
    if (bytes == 0) {
        g_set_error(errp, QEMU_ERROR, 0, "-m: invalid size '%s'", value);
        return false;
    }
    if (bytes > OPTIONS_MAX_RAM) {
        g_set_error(errp, QEMU_ERROR, 0,
                    "-m: RAM size '%s' is too large (maximum 1T)", value);
        return false;
    }
    if (bytes < ((uint64_t)OPTIONS_MIN_RAM_MIB << 20)) {
        g_set_error(errp, QEMU_ERROR, 0,
                    "-m: RAM size too small: '%s' (minimum %uM)", value,
                    OPTIONS_MIN_RAM_MIB);
        return false;
    }
    /* RAM is mapped in pages; QEMU likewise rounds up silently. */
    *ram_size = (bytes + 0xfff) & ~(uint64_t)0xfff;
    return true;
}

static bool opt_m(ParseState *st, const char *value, GError **errp)
{
    g_auto(GStrv) parts = split_opts(value);
    const char *size = NULL;

    for (char **p = parts; *p; p++) {
        if (p == parts && !strchr(*p, '=')) {
            size = *p;
        } else if (g_str_has_prefix(*p, "size=")) {
            size = *p + strlen("size=");
        } else {
            g_set_error(errp, QEMU_ERROR, 0,
                        "-m: unsupported property '%s'", *p);
            return false;
        }
    }
    if (!size) {
        g_set_error(errp, QEMU_ERROR, 0, "-m: missing size");
        return false;
    }
    return parse_ram_size(size, &st->cfg->ram_size, errp);
}

typedef struct SmpSpec {
    uint64_t cpus, maxcpus, topology;
    bool has_cpus, has_maxcpus, has_topology;
} SmpSpec;

static bool smp_property(SmpSpec *spec, const char *prop, GError **errp)
{
    static const char *const topology[] = { "sockets", "dies", "cores", "threads" };
    g_autofree char *key = g_strdup(prop);
    char *eq = strchr(key, '=');
    uint64_t v;

    if (!eq) {
        g_set_error(errp, QEMU_ERROR, 0, "-smp: unsupported property '%s'", prop);
        return false;
    }
    *eq = '\0';
    if (strcmp(key, "cpus") == 0) {
        if (!parse_u64(eq + 1, &spec->cpus)) {
            g_set_error(errp, QEMU_ERROR, 0, "-smp: invalid CPU count '%s'", eq + 1);
            return false;
        }
        spec->has_cpus = true;
        return true;
    }
    if (!parse_u64(eq + 1, &v) || v == 0 || v > OPTIONS_MAX_CPUS) {
        g_set_error(errp, QEMU_ERROR, 0, "-smp: invalid value '%s'", prop);
        return false;
    }
    if (strcmp(key, "maxcpus") == 0) {
        spec->maxcpus = v;
        spec->has_maxcpus = true;
        return true;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(topology); i++) {
        if (strcmp(key, topology[i]) == 0) {
            /* Each factor is at most 255, so four of them cannot overflow. */
            spec->topology = (spec->has_topology ? spec->topology : 1) * v;
            spec->has_topology = true;
            return true;
        }
    }
    g_set_error(errp, QEMU_ERROR, 0, "-smp: unsupported property '%s'", prop);
    return false;
}

static bool smp_resolve(const SmpSpec *spec, unsigned *smp, GError **errp)
{
    uint64_t cpus = spec->has_cpus ? spec->cpus :
                    spec->has_topology ? spec->topology : spec->maxcpus;

    if (!spec->has_cpus && !spec->has_topology && !spec->has_maxcpus) {
        g_set_error(errp, QEMU_ERROR, 0, "-smp: missing CPU count");
        return false;
    }
    if (cpus == 0 || cpus > OPTIONS_MAX_CPUS) {
        g_set_error(errp, QEMU_ERROR, 0, cpus == 0 ?
                    "-smp: invalid CPU count '%" G_GUINT64_FORMAT "'" :
                    "-smp: invalid CPU count '%" G_GUINT64_FORMAT
                    "' (maximum 255)", cpus);
        return false;
    }
    if (spec->has_topology && spec->topology != cpus) {
        g_set_error(errp, QEMU_ERROR, 0,
                    "-smp: sockets*dies*cores*threads is %" G_GUINT64_FORMAT
                    ", not the CPU count %" G_GUINT64_FORMAT,
                    spec->topology, cpus);
        return false;
    }
    if (spec->has_maxcpus && spec->maxcpus != cpus) {
        g_set_error(errp, QEMU_ERROR, 0,
                    "-smp: maxcpus must equal the CPU count: "
                    "CPU hotplug is not supported");
        return false;
    }
    *smp = (unsigned)cpus;
    return true;
}

static bool opt_smp(ParseState *st, const char *value, GError **errp)
{
    g_auto(GStrv) parts = split_opts(value);
    SmpSpec spec = { 0 };

    for (char **p = parts; *p; p++) {
        if (p == parts && !strchr(*p, '=')) {
            if (!parse_u64(*p, &spec.cpus)) {
                g_set_error(errp, QEMU_ERROR, 0,
                            "-smp: invalid CPU count '%s'", *p);
                return false;
            }
            spec.has_cpus = true;
        } else if (!smp_property(&spec, *p, errp)) {
            return false;
        }
    }
    return smp_resolve(&spec, &st->cfg->smp, errp);
}

/* Appends the names of "A[:B...]", keeping the first of any duplicate. */
static bool add_accels(ParseState *st, const char *opt, const char *list,
                       GError **errp)
{
    g_auto(GStrv) names = g_strsplit(list, ":", -1);

    if (!names[0]) {
        g_set_error(errp, QEMU_ERROR, 0, "%s: missing accelerator name", opt);
        return false;
    }
    for (char **n = names; *n; n++) {
        if (**n == '\0') {
            g_set_error(errp, QEMU_ERROR, 0,
                        "%s: empty accelerator name in '%s'", opt, list);
            return false;
        }
        if (strchr(*n, ',') || strchr(*n, '=')) {
            g_set_error(errp, QEMU_ERROR, 0,
                        "%s: accelerator properties are not supported: '%s'",
                        opt, *n);
            return false;
        }
        if (!g_ptr_array_find_with_equal_func(st->accels, *n, g_str_equal,
                                              NULL)) {
            g_ptr_array_add(st->accels, g_strdup(*n));
        }
    }
    st->req->accel_given = true;
    return true;
}

static bool opt_accel(ParseState *st, const char *value, GError **errp)
{
    if (is_help(value)) {
        st->req->accel_help = true;
        return true;
    }
    return add_accels(st, "-accel", value, errp);
}

static bool opt_machine(ParseState *st, const char *value, GError **errp)
{
    g_auto(GStrv) parts = split_opts(value);

    if (is_help(value)) {
        st->req->machine_help = true;
        return true;
    }
    for (char **p = parts; *p; p++) {
        const char *type = NULL;

        if (p == parts && !strchr(*p, '=')) {
            type = *p;
        } else if (g_str_has_prefix(*p, "type=")) {
            type = *p + strlen("type=");
        } else if (g_str_has_prefix(*p, "accel=")) {
            if (!add_accels(st, "-machine", *p + strlen("accel="), errp)) {
                return false;
            }
            continue;
        } else {
            g_set_error(errp, QEMU_ERROR, 0,
                        "-machine: unsupported property '%s'", *p);
            return false;
        }
        if (*type == '\0') {
            g_set_error(errp, QEMU_ERROR, 0, "-machine: missing machine type");
            return false;
        }
        g_free(st->cfg->machine);
        st->cfg->machine = g_strdup(type);
    }
    return true;
}

static bool opt_serial(ParseState *st, const char *value, GError **errp)
{
    MachineConfig *cfg = st->cfg;

    if (st->serial_given) {
        g_set_error(errp, QEMU_ERROR, 0,
                    "-serial: only one serial port is supported");
        return false;
    }
    if (strcmp(value, "stdio") == 0 || strcmp(value, "mon:stdio") == 0) {
        cfg->serial = SERIAL_STDIO;
    } else if (strcmp(value, "none") == 0) {
        cfg->serial = SERIAL_NONE;
    } else if (g_str_has_prefix(value, "file:") && value[strlen("file:")]) {
        cfg->serial = SERIAL_FILE;
        cfg->serial_path = g_strdup(value + strlen("file:"));
    } else {
        g_set_error(errp, QEMU_ERROR, 0,
                    "-serial: unsupported backend '%s' "
                    "(use stdio, file:PATH or none)", value);
        return false;
    }
    st->serial_given = true;
    return true;
}

static bool opt_display(ParseState *st, const char *value, GError **errp)
{
    if (strcmp(value, "none") != 0) {
        g_set_error(errp, QEMU_ERROR, 0,
                    "-display: unsupported display '%s' (only 'none')", value);
        return false;
    }
    st->req->display_none = true;
    return true;
}

static bool opt_device(ParseState *st, const char *value, GError **errp)
{
    if (is_help(value)) {
        st->req->device_help = true;
        return true;
    }
    if (*value == '\0' || *value == ',') {
        g_set_error(errp, QEMU_ERROR, 0, "-device: missing device name");
        return false;
    }
    g_ptr_array_add(st->devices, g_strdup(value));
    return true;
}

static bool set_file(char **field, const char *opt, const char *value,
                     GError **errp)
{
    if (*value == '\0') {
        g_set_error(errp, QEMU_ERROR, 0, "-%s: empty file name", opt);
        return false;
    }
    g_free(*field);
    *field = g_strdup(value);
    return true;
}

static bool apply_option(ParseState *st, const OptionDef *opt,
                         const char *value, GError **errp)
{
    MachineConfig *cfg = st->cfg;

    switch (opt->id) {
    case OPT_ACCEL:
        return opt_accel(st, value, errp);
    case OPT_ENABLE_KVM:
        return add_accels(st, "-enable-kvm", "kvm", errp);
    case OPT_MACHINE:
        return opt_machine(st, value, errp);
    case OPT_M:
        return opt_m(st, value, errp);
    case OPT_SMP:
        return opt_smp(st, value, errp);
    case OPT_KERNEL:
        return set_file(&cfg->kernel, "kernel", value, errp);
    case OPT_INITRD:
        return set_file(&cfg->initrd, "initrd", value, errp);
    case OPT_APPEND:
        g_free(cfg->append);
        cfg->append = g_strdup(value);
        return true;
    case OPT_SERIAL:
        return opt_serial(st, value, errp);
    case OPT_NOGRAPHIC:
        /* Serial on stdio unless -serial chose; that is already the default. */
        st->req->nographic = true;
        return true;
    case OPT_DISPLAY:
        return opt_display(st, value, errp);
    case OPT_NO_REBOOT:
        cfg->no_reboot = true;
        return true;
    case OPT_DEVICE:
        return opt_device(st, value, errp);
    case OPT_START_PAUSED:
        cfg->start_paused = true;
        return true;
    case OPT_VERSION:
        st->req->version = true;
        return true;
    case OPT_HELP:
        st->req->help = true;
        return true;
    case OPT_NOT_YET:
        g_set_error(errp, QEMU_ERROR, 0, "option '-%s' is not supported yet",
                    opt->name);
        return false;
    }
    g_assert_not_reached();
}

static bool parse_args(ParseState *st, int argc, char **argv, GError **errp)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const OptionDef *opt;
        const char *value = NULL;

        if (arg[0] != '-' || arg[1] == '\0') {
            g_set_error(errp, QEMU_ERROR, 0, "unexpected argument '%s'", arg);
            return false;
        }
        opt = option_lookup(arg);
        if (!opt) {
            g_set_error(errp, QEMU_ERROR, 0, "unknown option '%s'", arg);
            return false;
        }
        if (opt->arg && opt->id != OPT_NOT_YET) {
            if (i + 1 >= argc) {
                g_set_error(errp, QEMU_ERROR, 0,
                            "option '-%s' needs an argument", opt->name);
                return false;
            }
            value = argv[++i];
        }
        if (!apply_option(st, opt, value, errp)) {
            return false;
        }
    }
    return true;
}

static void config_defaults(MachineConfig *cfg, OptionsRequest *req)
{
    memset(cfg, 0, sizeof(*cfg));
    memset(req, 0, sizeof(*req));
    cfg->machine = g_strdup(OPTIONS_DEFAULT_MACHINE);
    cfg->ram_size = (uint64_t)OPTIONS_DEFAULT_RAM_MIB << 20;
    cfg->smp = 1;
    cfg->serial = SERIAL_STDIO;
}

static char **take_strv(GPtrArray *array)
{
    g_ptr_array_add(array, NULL);
    return (char **)g_ptr_array_free(array, FALSE);
}

bool options_parse(int argc, char **argv, MachineConfig *cfg,
                   OptionsRequest *req, GError **errp)
{
    ParseState st = {
        .cfg = cfg,
        .req = req,
        .accels = g_ptr_array_new_with_free_func(g_free),
        .devices = g_ptr_array_new_with_free_func(g_free),
    };
    bool ok;

    config_defaults(cfg, req);
    ok = parse_args(&st, argc, argv, errp);
    if (ok && st.accels->len == 0) {
        /* Best available, as kvmtool and Firecracker do (QEMU says tcg). */
        g_ptr_array_add(st.accels, g_strdup("kvm"));
        g_ptr_array_add(st.accels, g_strdup("tcg"));
    }
    cfg->accels = take_strv(st.accels);
    cfg->devices = take_strv(st.devices);
    if (!ok) {
        machine_config_clear(cfg);
    }
    return ok;
}

void machine_config_clear(MachineConfig *cfg)
{
    g_free(cfg->machine);
    g_strfreev(cfg->accels);
    g_free(cfg->kernel);
    g_free(cfg->initrd);
    g_free(cfg->append);
    g_free(cfg->serial_path);
    g_strfreev(cfg->devices);
    memset(cfg, 0, sizeof(*cfg));
}

/* Prints TEXT word-wrapped to 79 columns, continuation lines at INDENT. */
static void print_wrapped(FILE *out, const char *text, int indent)
{
    g_auto(GStrv) words = g_strsplit(text, " ", -1);
    int column = indent;

    for (char **w = words; *w; w++) {
        int len = (int)strlen(*w);

        if (column > indent && column + 1 + len > 79) {
            fprintf(out, "\n%*s", indent, "");
            column = indent;
        }
        if (column > indent) {
            fputc(' ', out);
            column++;
        }
        fputs(*w, out);
        column += len;
    }
    fputc('\n', out);
}

void options_print_help(FILE *out)
{
    const int width = 29;

    fprintf(out, "Usage: %s -kernel FILE [options]\n\nOptions (also "
            "spelled with two dashes):\n", qemu_binary_name);
    for (size_t i = 0; i < G_N_ELEMENTS(option_defs); i++) {
        const OptionDef *opt = &option_defs[i];
        g_autofree char *left = NULL;

        if (!opt->help) {
            continue;
        }
        left = g_strdup_printf("-%s%s%s", opt->name, opt->arg ? " " : "",
                               opt->arg ? opt->arg : "");
        if ((int)strlen(left) > width) {
            fprintf(out, "  %s\n", left);
            g_free(left);
            left = g_strdup("");
        }
        fprintf(out, "  %-*s ", width, left);
        print_wrapped(out, opt->help, width + 3);
    }
    fprintf(out, "\nNot supported yet:");
    for (size_t i = 0; i < G_N_ELEMENTS(option_defs); i++) {
        if (option_defs[i].id == OPT_NOT_YET) {
            fprintf(out, " -%s", option_defs[i].name);
        }
    }
    fprintf(out, "\n");
}
