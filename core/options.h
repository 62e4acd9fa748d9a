/*
 * The command line: a QEMU-compatible subset.  Options are spelled as in
 * QEMU, with one or two leading dashes ("-m 1G", "--m 1G").
 */
#ifndef CORE_OPTIONS_H
#define CORE_OPTIONS_H

#include <glib.h>
#include <stdbool.h>
#include <stdio.h>

#include "core/machine.h"

#define OPTIONS_DEFAULT_MACHINE  "microvm"
#define OPTIONS_DEFAULT_RAM_MIB  256
#define OPTIONS_MIN_RAM_MIB      16
#define OPTIONS_MAX_RAM          (1ull << 40)   /* 1 TiB */
#define OPTIONS_MAX_CPUS         255

/* Requests that are answered without running a machine, and UI choices. */
typedef struct OptionsRequest {
    bool help;                  /* -help, -h */
    bool version;               /* -version */
    bool accel_help;            /* -accel help */
    bool machine_help;          /* -machine help */
    bool device_help;           /* -device help */
    bool nographic;             /* -nographic */
    bool display_none;          /* -display none */
    /*
     * True when the accelerator list came from -accel or -enable-kvm;
     * false for the default list, whose unlinked names are skipped.
     */
    bool accel_given;
} OptionsRequest;

/*
 * Parses ARGV into CFG and REQ, which need not be initialised.  On failure
 * returns false with a one-line error naming the option, and leaves CFG
 * cleared.  On success CFG owns its strings: free with machine_config_clear().
 */
bool options_parse(int argc, char **argv, MachineConfig *cfg,
                   OptionsRequest *req, GError **errp);

/* Frees what CFG owns and zeroes it; safe to call twice. */
void machine_config_clear(MachineConfig *cfg);

/* Prints one line per option with its description and default. */
void options_print_help(FILE *out);

#endif
