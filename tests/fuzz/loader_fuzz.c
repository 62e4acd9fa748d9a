/*
 * libFuzzer target for the x86 boot loaders (built outside Bazel by
 * tools/fuzz-loaders).  The input is the kernel image; its length picks
 * the initrd (none, small, or one that cannot fit).  Every input must load
 * or fail with a GError, and nothing but RAM may be touched: an I/O region
 * right above RAM and one at the IOAPIC abort on any access.
 */
#include <stdlib.h>
#include <string.h>

#include "core/memory.h"
#include "hw/x86/boot.h"

#define RAM_SIZE        (32ull << 20)
#define RAM_ABOVE_4G    (1ull << 20)

static AddressSpace *as;
static uint8_t *small_initrd, *huge_initrd;

static uint64_t probe_read(void *opaque, uint64_t offset, unsigned size)
{
    (void)opaque, (void)offset, (void)size;
    abort();
}

static void probe_write(void *opaque, uint64_t offset, uint64_t value,
                        unsigned size)
{
    (void)opaque, (void)offset, (void)value, (void)size;
    abort();
}

static const MemoryRegionOps probe_ops = { probe_read, probe_write };

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    as = address_space_new("fuzz", ADDRESS_SPACE_MEMORY);
    if (!address_space_add_ram(as, "low", 0, RAM_SIZE, NULL) ||
        !address_space_add_ram(as, "high", 1ull << 32, RAM_ABOVE_4G, NULL) ||
        !address_space_add_io(as, "probe", RAM_SIZE, 1 << 20, &probe_ops,
                              NULL, NULL) ||
        !address_space_add_io(as, "ioapic", 0xfec00000, 0x1000, &probe_ops,
                              NULL, NULL)) {
        abort();
    }
    small_initrd = g_malloc0(0x2345);
    huge_initrd = g_malloc0(RAM_SIZE);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const X86E820Entry extra[] = { { 0xfec00000, 0x1000, 2 } };
    X86BootConfig cfg = {
        .kernel = "fuzz",
        .cmdline = "console=ttyS0",
        .ram_below_4g = RAM_SIZE,
        .ram_above_4g = RAM_ABOVE_4G,
        .extra_e820 = extra,
        .n_extra_e820 = 1,
    };
    const uint8_t *initrd = NULL;
    size_t initrd_size = 0;
    X86CPUState cpu;
    GError *err = NULL;
    bool ok;

    switch (size % 3) {
    case 1:
        initrd = small_initrd;
        initrd_size = 0x2345;
        break;
    case 2:
        initrd = huge_initrd;
        initrd_size = RAM_SIZE;
        break;
    }
    memset(&cpu, 0, sizeof(cpu));
    ok = x86_boot_load_images(as, &cfg, data, size, initrd, initrd_size,
                              &cpu, &err);
    if (ok == (err != NULL) || (err && !err->message[0])) {
        abort();
    }
    if (ok && (cpu.regs[R_RSI] != 0x7000 || cpu.cr3 != 0x9000)) {
        abort();
    }
    g_clear_error(&err);
    return 0;
}
