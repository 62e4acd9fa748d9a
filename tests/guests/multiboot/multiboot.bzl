"""multiboot_payload: a payload behind the multiboot shim, as an ELF32.

QEMU's -kernel boots multiboot v1 kernels on its `pc` machine but refuses
x86-64 ELF files: the payload and shim.S are compiled as for
guest_payload (64-bit, no SSE), linked as ELF64 with multiboot.ld, then
converted to ELF32.  The shim enters long mode before the payload runs,
so the payload's code is the same as in NAME.elf.
"""

load("//tests/guests:guest.bzl", "GUEST_COPTS", "GUEST_LDFLAGS")

def multiboot_payload(name, srcs, visibility = None):
    """Declares NAME.elf (ELF32, multiboot) from SRCS and lib/."""
    native.genrule(
        name = name,
        srcs = srcs + [
            "//tests/guests:lib_srcs",
            "//tests/guests/multiboot:shim.S",
        ],
        tools = ["//tests/guests/multiboot:multiboot.ld"],
        outs = [name + ".elf"],
        cmd = """
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
/usr/bin/ld.lld {ldflags} -T $(location //tests/guests/multiboot:multiboot.ld) -o $$tmp/out64.elf $$objs
if /usr/bin/llvm-objdump -d $$tmp/out64.elf | grep -q '%[xyz]mm'; then
    echo "$@: payload contains SSE/AVX instructions" >&2
    exit 1
fi
/usr/bin/llvm-objcopy-14 -O elf32-i386 $$tmp/out64.elf $@
""".format(copts = " ".join(GUEST_COPTS), ldflags = " ".join(GUEST_LDFLAGS)),
        visibility = visibility,
    )
