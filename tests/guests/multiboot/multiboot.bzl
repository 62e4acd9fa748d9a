"""multiboot_payload: a payload behind the multiboot shim, as an ELF32.

QEMU's -kernel boots multiboot v1 kernels on its `pc` machine but refuses
x86-64 ELF files: the payload and shim.S are compiled as for
guest_payload (64-bit, no SSE), linked as ELF64 with multiboot.ld, then
converted to ELF32.  The shim enters long mode before the payload runs,
so the payload's code is the same as in NAME.elf.
"""

load("//tests/guests:guest.bzl", "guest_link_cmd")

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
        cmd = guest_link_cmd(
            "$(location //tests/guests/multiboot:multiboot.ld)",
            "$$tmp/out64.elf",
        ) + "/usr/bin/llvm-objcopy-14 -O elf32-i386 $$tmp/out64.elf $@\n",
        visibility = visibility,
    )
