"""guest_payload: a freestanding x86-64 test payload (ELF64 ET_EXEC).

Built with /usr/bin/clang and /usr/bin/ld.lld directly rather than through
the cc toolchain: the payloads are not Linux programs, and must not pick up
the host toolchain's flags, libraries or SSE code.
"""

# No SSE anywhere: this host's KVM (kvm_pvm) rejects SSE at CPL0.
GUEST_COPTS = [
    "--target=x86_64-unknown-none-elf",
    "-std=gnu11",
    "-ffreestanding",
    "-fno-builtin",
    "-nostdlib",
    "-fno-pic",
    "-fno-pie",
    "-fno-stack-protector",
    "-fno-asynchronous-unwind-tables",
    "-fno-unwind-tables",
    "-ffunction-sections",
    "-fdata-sections",
    "-mcmodel=small",
    "-mno-red-zone",
    "-mno-mmx",
    "-mno-sse",
    "-mno-sse2",
    "-mno-avx",
    "-mgeneral-regs-only",
    "-O2",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-ffile-prefix-map=$$PWD=.",
]

GUEST_LDFLAGS = [
    "-nostdlib",
    "-static",
    "--build-id=none",
    "--gc-sections",
]

def guest_link_cmd(ld_script, out):
    """Genrule commands: compile $(SRCS)' .c and .S files, link them with
    LD_SCRIPT into OUT, and fail if any SSE/AVX instruction crept in."""
    return """
set -e
tmp=$$(mktemp -d)
trap 'rm -rf "$$tmp"' EXIT
objs=
n=0
for src in $(SRCS); do
    case "$$src" in
    *.c|*.S)
        n=$$((n + 1))
        /usr/bin/clang {copts} -c "$$src" -o "$$tmp/$$n.o"
        objs="$$objs $$tmp/$$n.o"
        ;;
    esac
done
/usr/bin/ld.lld {ldflags} -T {ld_script} -o {out} $$objs
# Guard against SSE creeping in (e.g. through a new compiler default).
if /usr/bin/llvm-objdump -d {out} | grep -q '%[xyz]mm'; then
    echo "$@: payload contains SSE/AVX instructions" >&2
    exit 1
fi
""".format(
        copts = " ".join(GUEST_COPTS),
        ldflags = " ".join(GUEST_LDFLAGS),
        ld_script = ld_script,
        out = out,
    )

def guest_payload(name, srcs, visibility = None):
    """Declares NAME.elf from SRCS (.c, .S) and the runtime in lib/."""
    native.genrule(
        name = name,
        srcs = srcs + [
            "//tests/guests:lib_srcs",
            "//tests/guests:lib/guest.ld",
        ],
        outs = [name + ".elf"],
        cmd = guest_link_cmd("$(location //tests/guests:lib/guest.ld)", "$@"),
        visibility = visibility,
    )
