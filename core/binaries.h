/*
 * Which binaries of the build contain which accelerator.  The definition
 * of qemu_binaries_with_accel() is generated per binary from the table in
 * the top-level BUILD.bazel; qemu_binary_name comes with it (error.h).
 */
#ifndef CORE_BINARIES_H
#define CORE_BINARIES_H

#include "core/error.h"

/*
 * The binaries that contain accelerator ACCEL, as text for a message
 * ("qemu-x86_64-tcg or qemu-x86_64-kvm-tcg"), or NULL if none does.
 */
const char *qemu_binaries_with_accel(const char *accel);

#endif
