/*
 * lockstep: runs random CPL3 x86-64 instruction sequences under two
 * accelerators (KVM and TCG by default) from the same starting state and
 * compares what they leave behind: GPRs, RIP, RFLAGS (without the flags
 * the SDM leaves undefined), XMM0-15, MXCSR, and the data and stack pages.
 * With --self-check one accelerator is compared with itself (each
 * sequence runs twice), which is how the harness itself is debugged.
 *
 * Exit status: 0 when every sequence matched, 1 on a mismatch or a
 * sequence that faulted or hung, 2 on a bad command line or setup error.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accel/accel.h"
#include "tools/lockstep/gen.h"
#include "tools/lockstep/runner.h"

#define MAX_REPORTS 10
#define LLVM_MC "/usr/bin/llvm-mc-14"

typedef struct Options {
    gint64 seed;
    gint count;
    unsigned min_len, max_len;
    unsigned classes;
    uint64_t skip;              /* templates left out (--exclude) */
    char *exclude;
    char **accels;
    bool verbose;
    bool self_check;
    bool step;
} Options;

static const char *const reg_names[16] = {
    "RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI",
    "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15",
};

/* ------------------------------------------------------------------ */
/* Command line */

static bool parse_length(const char *s, Options *o)
{
    unsigned a, b;
    char extra;

    if (sscanf(s, "%u:%u%c", &a, &b, &extra) == 2 && a >= 1 && a <= b &&
        b <= GEN_MAX_ITEMS) {
        o->min_len = a;
        o->max_len = b;
        return true;
    }
    if (sscanf(s, "%u%c", &a, &extra) == 1 && a >= 1 && a <= GEN_MAX_ITEMS) {
        o->min_len = o->max_len = a;
        return true;
    }
    return false;
}

static bool parse_classes(const char *s, Options *o)
{
    g_auto(GStrv) names = g_strsplit(s, ",", -1);

    o->classes = 0;
    for (char **n = names; *n; n++) {
        if (!strcmp(*n, "int")) {
            o->classes |= GEN_CLASS_INT;
        } else if (!strcmp(*n, "sse")) {
            o->classes |= GEN_CLASS_SSE;
        } else if (!strcmp(*n, "x87")) {
            o->classes |= GEN_CLASS_X87;
        } else {
            return false;
        }
    }
    return o->classes != 0;
}

static bool has_templates(const Options *o)
{
    unsigned cls;

    for (unsigned i = 0; gen_template_name(i, &cls); i++) {
        if ((cls & o->classes) && !(o->skip & (1ull << i))) {
            return true;
        }
    }
    return false;
}

static bool parse_options(int argc, char **argv, Options *o)
{
    g_autofree char *length = NULL, *classes = NULL, *accels = NULL;
    gboolean verbose = FALSE, self_check = FALSE, list = FALSE, step = FALSE;
    const GOptionEntry entries[] = {
        { "seed", 0, 0, G_OPTION_ARG_INT64, &o->seed,
          "first sequence's seed (sequence i uses N+i)", "N" },
        { "count", 0, 0, G_OPTION_ARG_INT, &o->count,
          "number of sequences (default 1000)", "N" },
        { "length", 0, 0, G_OPTION_ARG_STRING, &length,
          "items per sequence (default 1:20)", "MIN:MAX" },
        { "classes", 0, 0, G_OPTION_ARG_STRING, &classes,
          "instruction classes (default int,sse,x87)", "int,sse,x87" },
        { "accels", 0, 0, G_OPTION_ARG_STRING, &accels,
          "the two accelerators compared (default kvm,tcg)", "A,B" },
        { "exclude", 0, 0, G_OPTION_ARG_STRING, &o->exclude,
          "templates left out (see --list-templates)", "T,..." },
        { "list-templates", 0, 0, G_OPTION_ARG_NONE, &list,
          "list the generator's templates and exit", NULL },
        { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose,
          "list every sequence", NULL },
        { "self-check", 0, 0, G_OPTION_ARG_NONE, &self_check,
          "compare the first accelerator with itself", NULL },
        { "step", 0, 0, G_OPTION_ARG_NONE, &step,
          "single-step both and compare after every instruction (with "
          "--self-check: stepped against whole runs)", NULL },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    g_autoptr(GOptionContext) ctx =
        g_option_context_new("- compare accelerators on random code");
    g_autoptr(GError) err = NULL;

    o->seed = 1;
    o->count = 1000;
    o->min_len = 1;
    o->max_len = 20;
    o->classes = GEN_CLASS_ALL;
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        fprintf(stderr, "lockstep: %s\n", err->message);
        return false;
    }
    if (list) {
        unsigned cls;
        const char *name;

        for (unsigned i = 0; (name = gen_template_name(i, &cls)); i++) {
            printf("%-16s %s\n", name, cls & GEN_CLASS_SSE ? "sse"
                                       : cls & GEN_CLASS_X87 ? "x87" : "int");
        }
        exit(0);
    }
    if (argc > 1) {
        fprintf(stderr, "lockstep: unexpected argument '%s'\n", argv[1]);
        return false;
    }
    if (o->count < 0) {
        fprintf(stderr, "lockstep: --count must not be negative\n");
        return false;
    }
    if (length && !parse_length(length, o)) {
        fprintf(stderr, "lockstep: bad --length '%s' (MIN:MAX, 1 to %d)\n",
                length, GEN_MAX_ITEMS);
        return false;
    }
    if (classes && !parse_classes(classes, o)) {
        fprintf(stderr, "lockstep: bad --classes '%s' (int, sse)\n",
                classes);
        return false;
    }
    if (o->exclude && !gen_template_mask(o->exclude, &o->skip, &err)) {
        fprintf(stderr, "lockstep: --exclude: %s\n", err->message);
        return false;
    }
    if (!has_templates(o)) {
        fprintf(stderr, "lockstep: --classes and --exclude leave no "
                "template\n");
        return false;
    }
    o->accels = g_strsplit(accels ? accels : "kvm,tcg", ",", -1);
    if (!o->accels[0] || (!self_check && !o->accels[1]) ||
        (o->accels[1] && o->accels[2])) {
        fprintf(stderr, "lockstep: --accels needs two accelerators "
                "(one with --self-check)\n");
        return false;
    }
    o->verbose = verbose;
    o->self_check = self_check;
    o->step = step;
    return true;
}

/* ------------------------------------------------------------------ */
/* Listing */

/* One disassembly line per instruction of SEQ (END marker included), or NULL. */
static GPtrArray *disassemble(const GenSeq *seq)
{
    g_autofree char *path = NULL;
    g_autoptr(GString) input = g_string_new(NULL);
    g_autofree char *out = NULL;
    GPtrArray *lines;
    int fd, status;

    if (access(LLVM_MC, X_OK) != 0) {
        return NULL;
    }
    for (unsigned i = 0; i <= seq->ninsns + 1; i++) {
        unsigned off, len;

        if (i < seq->ninsns) {
            off = seq->insns[i].offset;
            len = seq->insns[i].len;
        } else if (i == seq->ninsns) {
            off = seq->end_offset;
            len = GEN_END_STORE_LEN;
        } else {
            off = seq->end_offset + GEN_END_STORE_LEN;
            len = GEN_END_LEN - GEN_END_STORE_LEN;
        }
        for (unsigned j = 0; j < len; j++) {
            g_string_append_printf(input, "0x%02x ", seq->code[off + j]);
        }
        /* UD2 after each instruction keeps the listing aligned */
        g_string_append(input, "0x0f 0x0b\n");
    }
    fd = g_file_open_tmp("lockstep-XXXXXX.txt", &path, NULL);
    if (fd < 0) {
        return NULL;
    }
    close(fd);
    if (!g_file_set_contents(path, input->str, (gssize)input->len, NULL)) {
        unlink(path);
        return NULL;
    }
    const char *argv[] = { LLVM_MC, "--disassemble", "-triple=x86_64", path,
                           NULL };
    bool ok = g_spawn_sync(NULL, (char **)argv, NULL,
                           G_SPAWN_STDIN_FROM_DEV_NULL |
                           G_SPAWN_STDERR_TO_DEV_NULL,
                           NULL, NULL, &out, NULL, &status, NULL);
    unlink(path);
    if (!ok) {
        return NULL;
    }
    lines = g_ptr_array_new_with_free_func(g_free);
    g_auto(GStrv) split = g_strsplit(out, "\n", -1);
    g_autoptr(GString) pending = g_string_new(NULL);
    for (char **l = split; *l; l++) {
        char *t = g_strstrip(*l);

        g_strdelimit(t, "\t", ' ');
        if (!*t || *t == '.' || !strcmp(t, "ud2")) {
            continue;
        }
        if (!strcmp(t, "lock") || !strcmp(t, "rep") || !strcmp(t, "repne")) {
            g_string_append_printf(pending, "%s ", t);
            continue;
        }
        g_ptr_array_add(lines, g_strdup_printf("%s%s", pending->str, t));
        g_string_truncate(pending, 0);
    }
    if (lines->len != seq->ninsns + 2) {
        g_ptr_array_unref(lines);
        return NULL;
    }
    return lines;
}

static void print_listing(FILE *f, const GenSeq *seq, uint64_t addr)
{
    g_autoptr(GPtrArray) dis = disassemble(seq);

    for (unsigned i = 0; i <= seq->ninsns + 1; i++) {
        unsigned off, len;
        const char *name;
        char hex[64] = "";

        if (i < seq->ninsns) {
            off = seq->insns[i].offset;
            len = seq->insns[i].len;
            name = seq->insns[i].mnemonic;
        } else if (i == seq->ninsns) {
            off = seq->end_offset;
            len = GEN_END_STORE_LEN;
            name = "END";
        } else {
            off = seq->end_offset + GEN_END_STORE_LEN;
            len = GEN_END_LEN - GEN_END_STORE_LEN;
            name = "END";
        }
        for (unsigned j = 0; j < len; j++) {
            snprintf(hex + 3 * j, sizeof(hex) - 3 * j, "%02x ",
                     seq->code[off + j]);
        }
        fprintf(f, "    %#" PRIx64 ": %-46s %s\n", addr + off, hex,
                dis ? (const char *)g_ptr_array_index(dis, i) : name);
    }
}

static void print_hex_line(FILE *f, const char *what, const uint8_t *code,
                           unsigned len)
{
    fprintf(f, "  %s:", what);
    for (unsigned i = 0; i < len; i++) {
        fprintf(f, " %02x", code[i]);
    }
    fprintf(f, "\n");
}

static void print_state(FILE *f, const char *title, const X86CPUState *s,
                        bool xmm)
{
    fprintf(f, "  %s:\n   ", title);
    for (unsigned i = 0; i < 16; i++) {
        fprintf(f, " %s=%016" PRIx64 "%s", reg_names[i], s->regs[i],
                i % 4 == 3 ? "\n   " : "");
    }
    fprintf(f, " RIP=%016" PRIx64 " RFLAGS=%08" PRIx64 " MXCSR=%08x\n",
            s->rip, s->rflags, s->mxcsr);
    for (unsigned i = 0; xmm && i < 16; i++) {
        fprintf(f, "    XMM%-2u=%016" PRIx64 ":%016" PRIx64 "\n", i,
                s->xmm[i].q[1], s->xmm[i].q[0]);
    }
}

/* ------------------------------------------------------------------ */
/* Comparison */

/* Appends one line per difference to DIFFS; returns how many. */
static unsigned compare(const RunResult *a, const RunResult *b,
                        const char *na, const char *nb, uint64_t expect_rip,
                        uint32_t undef, GPtrArray *diffs)
{
    const X86CPUState *x = &a->state, *y = &b->state;
    uint64_t fmask = ~(uint64_t)undef;
    /*
     * The software CPU's x87 models neither the exception flags (FSW bits
     * 0-5) nor C1 as "rounded up"; the rest of FSW (TOP, C0/C2/C3, SF,
     * ES) and the registers must match.
     */
    const uint16_t fsw_ignored = 0x200;

#define DIFF(...) g_ptr_array_add(diffs, g_strdup_printf(__VA_ARGS__))
    for (unsigned i = 0; i < 16; i++) {
        if (x->regs[i] != y->regs[i]) {
            DIFF("%s: %s=%#" PRIx64 " %s=%#" PRIx64, reg_names[i], na,
                 x->regs[i], nb, y->regs[i]);
        }
    }
    if (x->rip != y->rip) {
        DIFF("RIP: %s=%#" PRIx64 " %s=%#" PRIx64, na, x->rip, nb, y->rip);
    } else if (x->rip != expect_rip) {
        DIFF("RIP: both %#" PRIx64 ", not after the END marker (%#" PRIx64
             ")", x->rip, expect_rip);
    }
    if ((x->rflags & fmask) != (y->rflags & fmask)) {
        DIFF("RFLAGS: %s=%#" PRIx64 " %s=%#" PRIx64 " (differing %#" PRIx64
             ", undefined %#x masked)", na, x->rflags, nb, y->rflags,
             (x->rflags ^ y->rflags) & fmask, undef);
    }
    for (unsigned i = 0; i < 16; i++) {
        if (memcmp(&x->xmm[i], &y->xmm[i], sizeof(x->xmm[i]))) {
            DIFF("XMM%u: %s=%016" PRIx64 ":%016" PRIx64 " %s=%016" PRIx64
                 ":%016" PRIx64, i, na, x->xmm[i].q[1], x->xmm[i].q[0], nb,
                 y->xmm[i].q[1], y->xmm[i].q[0]);
        }
    }
    if (x->mxcsr != y->mxcsr) {
        DIFF("MXCSR: %s=%#x %s=%#x", na, x->mxcsr, nb, y->mxcsr);
    }
    if (x->fcw != y->fcw || ((x->fsw ^ y->fsw) & ~fsw_ignored) ||
        x->ftw != y->ftw) {
        DIFF("x87 FCW/FSW/FTW: %s=%#x/%#x/%#x %s=%#x/%#x/%#x", na, x->fcw,
             x->fsw, x->ftw, nb, y->fcw, y->fsw, y->ftw);
    }
    for (unsigned i = 0; i < 8; i++) {
        if (x->st[i].mant != y->st[i].mant ||
            x->st[i].sign_exp != y->st[i].sign_exp) {
            DIFF("x87 R%u: %s=%04x:%016" PRIx64 " %s=%04x:%016" PRIx64, i,
                 na, x->st[i].sign_exp, x->st[i].mant, nb,
                 y->st[i].sign_exp, y->st[i].mant);
        }
    }
    for (unsigned page = 0; page < 2; page++) {
        const uint8_t *p = page ? a->stack : a->data;
        const uint8_t *q = page ? b->stack : b->data;
        uint64_t base = page ? LS_STACK : LS_DATA;

        for (unsigned i = 0; i < 4096; i += 8) {
            uint64_t u, v;

            memcpy(&u, p + i, 8);
            memcpy(&v, q + i, 8);
            if (u != v) {
                DIFF("memory %#" PRIx64 " (%s page + %#x), 8 bytes LE: "
                     "%s=%016" PRIx64 " %s=%016" PRIx64, base + i,
                     page ? "stack" : "data", i, na, u, nb, v);
            }
        }
    }
    if (a->end_value != b->end_value) {
        DIFF("END store: %s=%#" PRIx64 " %s=%#" PRIx64, na, a->end_value,
             nb, b->end_value);
    }
#undef DIFF
    return diffs->len;
}

/* ------------------------------------------------------------------ */
/* Main loop */

typedef struct Case {
    guint32 seed;
    GenSeq seq;
    X86CPUState init;
    uint8_t data[GEN_DATA_SIZE];
    uint8_t stack[4096];
} Case;

static void make_case(Case *c, guint32 seed, const Options *o,
                      uint64_t code_addr)
{
    g_autoptr(GRand) rng = g_rand_new_with_seed(seed);

    c->seed = seed;
    gen_sequence_from(rng, o->classes, o->skip, o->min_len, o->max_len,
                      &c->seq);
    runner_base_state(&c->init);
    gen_random_regs(rng, &c->init);
    c->init.rip = code_addr;
    for (unsigned i = 0; i < GEN_DATA_SIZE; i += 4) {
        uint32_t v = g_rand_int(rng);

        memcpy(c->data + i, &v, 4);
    }
    for (unsigned i = 0; i < sizeof(c->stack); i += 4) {
        uint32_t v = g_rand_int(rng);

        memcpy(c->stack + i, &v, 4);
    }
}

static void report_problem(const Options *o, const Case *c, const char *what)
{
    g_autoptr(GPtrArray) cls = g_ptr_array_new();
    g_autofree char *classes = NULL;

    if (o->classes & GEN_CLASS_INT) {
        g_ptr_array_add(cls, (gpointer)"int");
    }
    if (o->classes & GEN_CLASS_SSE) {
        g_ptr_array_add(cls, (gpointer)"sse");
    }
    if (o->classes & GEN_CLASS_X87) {
        g_ptr_array_add(cls, (gpointer)"x87");
    }
    g_ptr_array_add(cls, NULL);
    classes = g_strjoinv(",", (char **)cls->pdata);
    fprintf(stderr, "lockstep: %s in sequence with seed %u\n", what, c->seed);
    fprintf(stderr, "  reproduce: lockstep --seed %u --count 1 --length %u:%u"
            " --classes %s --accels %s%s%s%s%s%s\n", c->seed, o->min_len,
            o->max_len, classes, o->accels[0],
            o->accels[1] ? "," : "", o->accels[1] ? o->accels[1] : "",
            o->self_check ? (o->step ? " --self-check --step"
                                     : " --self-check")
                          : o->step ? " --step" : "",
            o->exclude ? " --exclude " : "", o->exclude ? o->exclude : "");
    print_hex_line(stderr, "bytes", c->seq.code, c->seq.code_len);
    fprintf(stderr, "  code (%u items, %u instructions + END):\n",
            c->seq.nitems, c->seq.ninsns);
    print_listing(stderr, &c->seq, c->init.rip);
    print_state(stderr, "initial state", &c->init,
                (o->classes & GEN_CLASS_SSE) != 0);
}

static const char *run_problem(const RunResult *r)
{
    static const char *const results[] = {
        [VCPU_RUN_KICKED] = "kicked", [VCPU_RUN_HALT] = "halt",
        [VCPU_RUN_SHUTDOWN] = "shutdown (triple fault)",
        [VCPU_RUN_ERROR] = "error",
    };

    switch (r->status) {
    case RUN_OK:
        return NULL;
    case RUN_TIMEOUT:
        return "never reached the END marker";
    default:
        return r->vcpu_result <= VCPU_RUN_ERROR ? results[r->vcpu_result]
                                                : "unknown result";
    }
}

/* ------------------------------------------------------------------ */
/* Single-stepping */

/* vcpu_runs per instruction at most (REP string ops may step per item) */
#define MAX_RUNS_PER_INSN   200000

typedef enum StepOutcome {
    STEP_DONE,          /* both ran to the END or a fault: compare as usual */
    STEP_DIFF,          /* they differ after the instruction at *AT */
    STEP_UNSUPPORTED,   /* the accelerator does not really step */
    STEP_ERROR,
} StepOutcome;

/*
 * Steps R until RIP moves (a REP string instruction may take one step per
 * iteration on one accelerator and one per batch on the other) or the
 * sequence ends or faults.
 */
static bool advance(Runner *r, RunResult *res, bool *stepped, GError **errp)
{
    uint64_t rip = res->state.rip;

    *stepped = true;
    for (unsigned i = 0; i < MAX_RUNS_PER_INSN; i++) {
        bool one;

        if (!runner_step(r, res, &one, errp)) {
            return false;
        }
        *stepped &= one;
        if (res->status != RUN_TIMEOUT || res->state.rip != rip || !one) {
            return true;
        }
    }
    return true;
}

/* Why stepping R did not run exactly one instruction, or NULL. */
static char *check_step(const Runner *r, const Case *c, const RunResult *res,
                        bool stepped)
{
    if (!stepped && res->vcpu_result == VCPU_RUN_SHUTDOWN) {
        return g_strdup_printf("%s: KVM_SET_GUEST_DEBUG (SINGLESTEP) was "
                               "accepted, but the first step ended in a "
                               "triple fault, not a debug exit (the #DB "
                               "reached the guest)", runner_name(r));
    }
    if (!stepped) {
        return g_strdup_printf("%s: vcpu_run returned (%d) without a debug "
                               "exit", runner_name(r), res->vcpu_result);
    }
    if (res->status == RUN_OK && c->seq.ninsns > 0) {
        return g_strdup_printf("%s: the first step ran the whole sequence",
                               runner_name(r));
    }
    return NULL;
}

/*
 * Runs C one instruction at a time on RA and RB (on RA only, when RB is
 * NULL: then RES_B is left alone).  *AT is the RIP of the instruction
 * after which DIFFS were found; *WHY says what does not step.
 */
static StepOutcome step_case(Runner *ra, Runner *rb, const Case *c,
                             RunResult *res_a, RunResult *res_b,
                             const char *na, const char *nb, bool first,
                             GPtrArray *diffs, uint64_t *at, char **why,
                             GError **errp)
{
    Runner *rs[2] = { ra, rb };
    RunResult *res[2] = { res_a, res_b };
    unsigned nr = rb ? 2 : 1;
    StepOutcome out = STEP_DONE;

    for (unsigned i = 0; i < nr; i++) {
        if (!runner_step_begin(rs[i], &c->seq, &c->init, c->data, c->stack,
                               errp)) {
            if (first) {
                *why = g_strdup((*errp)->message);
                g_clear_error(errp);
                return STEP_UNSUPPORTED;
            }
            return STEP_ERROR;
        }
        res[i]->state.rip = c->init.rip;
        res[i]->status = RUN_TIMEOUT;
    }
    for (unsigned n = 0; n <= c->seq.ninsns + 1; n++) {
        uint64_t rip = res_a->state.rip;

        for (unsigned i = 0; i < nr; i++) {
            bool stepped;

            if (!advance(rs[i], res[i], &stepped, errp)) {
                out = STEP_ERROR;
                goto end;
            }
            if (n == 0 && (*why = check_step(rs[i], c, res[i], stepped))) {
                out = STEP_UNSUPPORTED;
                goto end;
            }
        }
        if (res_a->status == RUN_FAULT || (rb && res_b->status == RUN_FAULT)) {
            break;
        }
        if (!rb) {
            if (res_a->status == RUN_OK) {
                break;
            }
            continue;
        }
        if (compare(res_a, res_b, na, nb, res_a->state.rip, c->seq.undef_flags,
                    diffs) || res_a->status != res_b->status) {
            if (res_a->status != res_b->status) {
                g_ptr_array_add(diffs, g_strdup_printf(
                    "END reached: %s=%s %s=%s", na,
                    res_a->status == RUN_OK ? "yes" : "no", nb,
                    res_b->status == RUN_OK ? "yes" : "no"));
            }
            *at = rip;
            out = STEP_DIFF;
            break;
        }
        if (res_a->status == RUN_OK) {
            break;
        }
    }
end:
    for (unsigned i = 0; i < nr; i++) {
        g_autoptr(GError) err = NULL;

        if (!runner_step_end(rs[i], &err) && out != STEP_ERROR) {
            g_propagate_error(errp, g_steal_pointer(&err));
            out = STEP_ERROR;
        }
    }
    return out;
}

/*
 * Whether OPS steps one instruction at a time, tried in a child process:
 * where it does not (a KVM whose #DB goes to the guest), the failed try
 * leaves KVM unusable for the rest of the process.  NULL or why not.
 */
static char *probe_step(const AccelOps *ops, const Options *o)
{
    int fds[2];
    pid_t pid;
    char buf[512];
    ssize_t len;
    int wstatus = 0;

    if (pipe(fds) < 0 || (pid = fork()) < 0) {
        return g_strdup("cannot start the probe process");
    }
    if (pid == 0) {
        g_autoptr(GError) err = NULL;
        g_autofree char *why = NULL;
        g_autoptr(GPtrArray) diffs = g_ptr_array_new_with_free_func(g_free);
        Case *c = g_new0(Case, 1);
        RunResult *res = g_new0(RunResult, 1);
        Runner *r = runner_new(ops, &err);
        uint64_t at;

        close(fds[0]);
        make_case(c, (guint32)o->seed, o, LS_CODE);
        if (r && step_case(r, NULL, c, res, res, ops->name, ops->name, true,
                           diffs, &at, &why, &err) == STEP_UNSUPPORTED) {
            (void)!write(fds[1], why, strlen(why));
        } else if (!r) {
            (void)!write(fds[1], err->message, strlen(err->message));
        }
        _exit(0);
    }
    close(fds[1]);
    len = read(fds[0], buf, sizeof(buf) - 1);
    close(fds[0]);
    waitpid(pid, &wstatus, 0);
    if (len > 0) {
        return g_strndup(buf, (gsize)len);
    }
    if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
        return g_strdup_printf("%s: the probe process died", ops->name);
    }
    return NULL;
}

/* Reports the instruction at RIP (in C's sequence) after which DIFFS. */
static void report_step_diff(const Options *o, const Case *c, uint64_t rip,
                             GPtrArray *diffs)
{
    uint64_t off = rip - c->init.rip;
    g_autofree char *what = NULL;
    unsigned i;

    for (i = 0; i < c->seq.ninsns && c->seq.insns[i].offset != off; i++) {
    }
    if (i < c->seq.ninsns) {
        what = g_strdup_printf("MISMATCH after instruction %u (%s) at %#"
                               PRIx64, i, c->seq.insns[i].mnemonic, rip);
    } else if (off == c->seq.end_offset) {
        what = g_strdup_printf("MISMATCH after the END store at %#" PRIx64,
                               rip);
    } else {
        what = g_strdup_printf("MISMATCH after the instruction at %#" PRIx64
                               " (not in the sequence)", rip);
    }
    report_problem(o, c, what);
    if (i < c->seq.ninsns) {
        print_hex_line(stderr, "instruction bytes",
                       c->seq.code + c->seq.insns[i].offset,
                       c->seq.insns[i].len);
    } else if (off == c->seq.end_offset) {
        print_hex_line(stderr, "instruction bytes",
                       c->seq.code + c->seq.end_offset, GEN_END_STORE_LEN);
    }
    fprintf(stderr, "  first difference: %s\n",
            (char *)g_ptr_array_index(diffs, 0));
    for (unsigned j = 1; j < diffs->len && j < 8; j++) {
        fprintf(stderr, "  also: %s\n", (char *)g_ptr_array_index(diffs, j));
    }
}

int main(int argc, char **argv)
{
    Options o = { 0 };
    Runner *ra = NULL, *rb = NULL;
    const AccelOps *oa, *ob;
    g_autoptr(GError) err = NULL;
    uint64_t code_next = LS_CODE, ninsns = 0;
    unsigned mismatches = 0;
    int status = 0;
    gint64 n;
    Case *c = g_new0(Case, 1);
    RunResult *res_a = g_new0(RunResult, 1), *res_b = g_new0(RunResult, 1);

    if (!parse_options(argc, argv, &o)) {
        return 2;
    }
    const char *name_b = o.self_check ? o.accels[0] : o.accels[1];
    oa = accel_find(o.accels[0]);
    ob = accel_find(name_b);
    if (!oa || !ob) {
        fprintf(stderr, "lockstep: accelerator '%s' is not linked in\n",
                oa ? name_b : o.accels[0]);
        return 2;
    }
    for (unsigned i = 0; o.step && i < 2; i++) {
        const AccelOps *ops = i ? ob : oa;
        g_autofree char *why = NULL;

        if (!strcmp(ops->name, "kvm") && (why = probe_step(ops, &o))) {
            fprintf(stderr, "lockstep: KVM single-step is not supported by "
                    "this host's KVM: %s; comparing whole sequences\n", why);
            o.step = false;
        }
    }
    ra = runner_new(oa, &err);
    if (ra && !o.self_check) {
        rb = runner_new(ob, &err);
    }
    if (!ra || (!o.self_check && !rb)) {
        fprintf(stderr, "lockstep: %s\n", err->message);
        return 2;
    }

    for (n = 0; n < o.count; n++) {
        g_autoptr(GPtrArray) diffs = g_ptr_array_new_with_free_func(g_free);
        guint32 seed = (guint32)(o.seed + n);
        const char *pa, *pb;
        uint64_t expect_rip;

        make_case(c, seed, &o, 0);
        if (code_next + c->seq.code_len > LS_RAM_SIZE) {
            code_next = LS_CODE;
        }
        c->init.rip = code_next;
        code_next += (c->seq.code_len + LS_CODE_ALIGN - 1) &
                     ~(uint64_t)(LS_CODE_ALIGN - 1);
        expect_rip = c->init.rip + c->seq.end_offset + GEN_END_STORE_LEN;

        if (o.verbose) {
            printf("sequence %" G_GINT64_FORMAT " (seed %u):\n", n, seed);
            print_listing(stdout, &c->seq, c->init.rip);
        }
        if (o.step) {
            g_autofree char *why = NULL;
            uint64_t at = 0;
            StepOutcome so;

            if (o.self_check && !runner_run(ra, &c->seq, &c->init, c->data,
                                            c->stack, res_a, &err)) {
                fprintf(stderr, "lockstep: %s\n", err->message);
                status = 2;
                break;
            }
            so = step_case(ra, o.self_check ? NULL : rb,
                           c, o.self_check ? res_b : res_a, res_b,
                           o.accels[0], name_b, n == 0, diffs, &at, &why,
                           &err);
            if (so == STEP_ERROR) {
                fprintf(stderr, "lockstep: %s\n", err->message);
                status = 2;
                break;
            }
            if (so == STEP_UNSUPPORTED) {
                fprintf(stderr, "lockstep: %s single-step is not supported "
                        "by this host's %s: %s; comparing whole sequences\n",
                        strstr(why, "kvm") == why ? "KVM" : "accelerator",
                        strstr(why, "kvm") == why ? "KVM" : "build", why);
                o.step = false;
                g_ptr_array_set_size(diffs, 0);
                /* a failed step may leave a vCPU shut down: start afresh */
                runner_free(rb);
                runner_free(ra);
                rb = NULL;
                ra = runner_new(oa, &err);
                if (ra && !o.self_check) {
                    rb = runner_new(ob, &err);
                }
                if (!ra || (!o.self_check && !rb)) {
                    fprintf(stderr, "lockstep: %s\n", err->message);
                    status = 2;
                    break;
                }
            } else if (so == STEP_DIFF) {
                ninsns += c->seq.ninsns;
                mismatches++;
                status = 1;
                if (mismatches <= MAX_REPORTS) {
                    report_step_diff(&o, c, at, diffs);
                }
                continue;
            }
        }
        if (!o.step &&
            (!runner_run(ra, &c->seq, &c->init, c->data, c->stack, res_a,
                         &err) ||
             !runner_run(o.self_check ? ra : rb, &c->seq, &c->init, c->data,
                         c->stack, res_b, &err))) {
            fprintf(stderr, "lockstep: %s\n", err->message);
            status = 2;
            break;
        }
        ninsns += c->seq.ninsns;
        pa = run_problem(res_a);
        pb = run_problem(res_b);
        if (pa || pb) {
            g_autofree char *what = g_strdup_printf(
                "sequence faulted under %s: %s",
                pa ? o.accels[0] : name_b, pa ? pa : pb);

            report_problem(&o, c, what);
            print_state(stderr, "final state", pa ? &res_a->state
                                                  : &res_b->state, false);
            /* a triple fault ends the machine (and the main loop): stop */
            mismatches++;
            status = 1;
            n++;
            break;
        }
        if (compare(res_a, res_b, o.accels[0], name_b, expect_rip,
                    c->seq.undef_flags, diffs)) {
            mismatches++;
            status = 1;
            if (mismatches <= MAX_REPORTS) {
                report_problem(&o, c, "MISMATCH");
                fprintf(stderr, "  first difference: %s\n",
                        (char *)g_ptr_array_index(diffs, 0));
                for (unsigned i = 1; i < diffs->len && i < 8; i++) {
                    fprintf(stderr, "  also: %s\n",
                            (char *)g_ptr_array_index(diffs, i));
                }
            }
        } else if (o.verbose) {
            printf("  ok\n");
        }
    }

    printf("lockstep: %" G_GINT64_FORMAT " sequences, %" PRIu64
           " instructions, %u mismatches\n", n, ninsns, mismatches);
    runner_free(rb);
    runner_free(ra);
    g_free(c);
    g_free(res_a);
    g_free(res_b);
    g_strfreev(o.accels);
    g_free(o.exclude);
    return status;
}
