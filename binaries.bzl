"""The binaries, composed per target from the core and a set of accelerators.

BINARIES is the single source of truth: it defines the cc_binary targets,
each binary's name as it reports itself, and the catalog a binary uses to
say which other binary has an accelerator it lacks.
"""

BINARIES = {
    "qemu-x86_64-kvm": ["kvm"],
    "qemu-x86_64-tcg": ["tcg"],
    "qemu-x86_64-kvm-tcg": ["kvm", "tcg"],
}

ACCEL_LIBS = {
    "kvm": "//accel/kvm",
    "tcg": "//accel/tcg",
}

# What every binary has besides its accelerators.
COMMON_DEPS = [
    "//core:main",
    "//core",
    "//hw",
    "//target/x86_64:cpu",
]

def _c_string(s):
    return "\"" + s + "\""

def _catalog_source():
    lines = [
        "/* Generated from binaries.bzl: which binaries link each accelerator. */",
        "#include <string.h>",
        "#include \"core/binaries.h\"",
        "const char *qemu_binaries_with_accel(const char *accel)",
        "{",
    ]
    for accel in sorted(ACCEL_LIBS.keys()):
        names = [b for b in BINARIES.keys() if accel in BINARIES[b]]
        lines.append("    if (!strcmp(accel, %s)) {" % _c_string(accel))
        lines.append("        return %s;" % _c_string(" or ".join(names)))
        lines.append("    }")
    lines += ["    return NULL;", "}"]
    return "\n".join(lines) + "\n"

def _write_file(name, out, content):
    if "$" in content or "QEMU_EOF" in content:
        fail("generated source must not contain '$' or the heredoc marker")
    native.genrule(
        name = name,
        outs = [out],
        cmd = "cat > $@ <<'QEMU_EOF'\n" + content + "QEMU_EOF\n",
    )

def qemu_binaries():
    """Declares the catalog and one static binary per BINARIES entry."""
    _write_file("binaries_catalog_c", "binaries_catalog.c", _catalog_source())
    native.cc_library(
        name = "binaries_catalog",
        srcs = ["binaries_catalog.c"],
        deps = ["//core"],
    )
    for binary, accels in BINARIES.items():
        src = binary.replace("-", "_") + "_name.c"
        _write_file(
            binary + "_name_c",
            src,
            "/* Generated from binaries.bzl. */\nconst char qemu_binary_name[] = %s;\n" % _c_string(binary),
        )
        native.cc_binary(
            name = binary,
            srcs = [src],
            deps = COMMON_DEPS + [":binaries_catalog"] + [ACCEL_LIBS[a] for a in accels],
            visibility = ["//visibility:public"],
        )
