/*
 * ELF64 executable loader: PT_LOAD segments go to their physical
 * addresses (p_paddr), the rest of p_memsz is zeroed, entry is e_entry.
 * Every header field is checked before anything is written.
 */
#include <inttypes.h>

#include "core/error.h"
#include "hw/x86/boot_internal.h"

#define EHDR_SIZE       64
#define PHDR_SIZE       56

#define EI_CLASS        4
#define EI_DATA         5
#define ELFCLASS64      2
#define ELFDATA2LSB     1
#define ET_EXEC         2
#define EM_X86_64       62
#define PT_LOAD         1

#define E_TYPE          16
#define E_MACHINE       18
#define E_ENTRY         24
#define E_PHOFF         32
#define E_PHENTSIZE     54
#define E_PHNUM         56

typedef struct ElfSegment {
    uint64_t offset, paddr, filesz, memsz;
} ElfSegment;

bool x86_elf64_probe(const uint8_t *image, size_t size)
{
    return size >= 4 && memcmp(image, "\x7f" "ELF", 4) == 0;
}

static bool check_ehdr(const uint8_t *image, size_t size, GError **errp)
{
    const char *bad = NULL;

    if (size < EHDR_SIZE) {
        g_set_error(errp, QEMU_ERROR, 0, "kernel image truncated");
        return false;
    }
    if (image[EI_CLASS] != ELFCLASS64) {
        bad = "ELF kernel is not ELFCLASS64";
    } else if (image[EI_DATA] != ELFDATA2LSB) {
        bad = "ELF kernel is not little-endian";
    } else if (boot_ld16(image + E_MACHINE) != EM_X86_64) {
        bad = "ELF kernel is not for x86-64";
    } else if (boot_ld16(image + E_TYPE) != ET_EXEC) {
        bad = "ELF kernel is not an executable (ET_EXEC)";
    } else if (boot_ld16(image + E_PHENTSIZE) < PHDR_SIZE) {
        bad = "ELF kernel has a bad program header size";
    }
    if (bad) {
        g_set_error(errp, QEMU_ERROR, 0, "%s", bad);
        return false;
    }
    return true;
}

static void set_outside_ram(const ElfSegment *seg, GError **errp)
{
    uint64_t last;

    if (__builtin_add_overflow(seg->paddr, seg->memsz - 1, &last)) {
        g_set_error(errp, QEMU_ERROR, 0,
                    "ELF segment [0x%" PRIx64 ", size 0x%" PRIx64
                    "] outside guest RAM", seg->paddr, seg->memsz);
    } else {
        g_set_error(errp, QEMU_ERROR, 0,
                    "ELF segment [0x%" PRIx64 "-0x%" PRIx64
                    "] outside guest RAM", seg->paddr, last);
    }
}

/* Checks one PT_LOAD segment (memsz > 0) against the file and RAM. */
static bool check_segment(const X86BootConfig *cfg, const ElfSegment *seg,
                          size_t size, GError **errp)
{
    uint64_t file_end;

    if (seg->filesz > seg->memsz) {
        g_set_error(errp, QEMU_ERROR, 0,
                    "ELF segment at 0x%" PRIx64 " has p_filesz > p_memsz",
                    seg->paddr);
        return false;
    }
    if (__builtin_add_overflow(seg->offset, seg->filesz, &file_end) ||
        file_end > size) {
        g_set_error(errp, QEMU_ERROR, 0, "kernel image truncated");
        return false;
    }
    if (!x86_boot_range_in_ram(cfg, seg->paddr, seg->memsz)) {
        set_outside_ram(seg, errp);
        return false;
    }
    if (seg->paddr < BOOT_AREA_END &&
        seg->paddr + seg->memsz > BOOT_AREA_START) {
        g_set_error(errp, QEMU_ERROR, 0,
                    "ELF segment [0x%" PRIx64 "-0x%" PRIx64 "] overlaps the "
                    "boot data at [0x%llx-0x%llx]", seg->paddr,
                    seg->paddr + seg->memsz - 1, BOOT_AREA_START,
                    BOOT_AREA_END - 1);
        return false;
    }
    return true;
}

static bool read_segments(const X86BootConfig *cfg, const uint8_t *image,
                          size_t size, GArray *segs, GError **errp)
{
    uint64_t phoff = boot_ld64(image + E_PHOFF);
    uint64_t phentsize = boot_ld16(image + E_PHENTSIZE);
    uint64_t phnum = boot_ld16(image + E_PHNUM);
    uint64_t table_end;

    /* phentsize and phnum are 16-bit: their product cannot overflow. */
    if (__builtin_add_overflow(phoff, phentsize * phnum, &table_end) ||
        table_end > size) {
        g_set_error(errp, QEMU_ERROR, 0, "kernel image truncated");
        return false;
    }
    for (uint64_t i = 0; i < phnum; i++) {
        const uint8_t *ph = image + phoff + i * phentsize;
        ElfSegment seg = {
            .offset = boot_ld64(ph + 8),
            .paddr = boot_ld64(ph + 24),
            .filesz = boot_ld64(ph + 32),
            .memsz = boot_ld64(ph + 40),
        };

        if (boot_ld32(ph) != PT_LOAD || seg.memsz == 0) {
            continue;
        }
        if (!check_segment(cfg, &seg, size, errp)) {
            return false;
        }
        g_array_append_val(segs, seg);
    }
    if (segs->len == 0) {
        g_set_error(errp, QEMU_ERROR, 0, "ELF kernel has no loadable segments");
        return false;
    }
    return true;
}

bool x86_elf64_load(AddressSpace *as, const X86BootConfig *cfg,
                    const uint8_t *image, size_t size,
                    X86KernelInfo *info, GError **errp)
{
    g_autoptr(GArray) segs = g_array_new(FALSE, FALSE, sizeof(ElfSegment));
    uint64_t kernel_end = 0;

    if (!check_ehdr(image, size, errp) ||
        !read_segments(cfg, image, size, segs, errp)) {
        return false;
    }
    for (unsigned i = 0; i < segs->len; i++) {
        const ElfSegment *seg = &g_array_index(segs, ElfSegment, i);
        uint64_t end = seg->paddr + seg->memsz;

        if (!x86_boot_write(as, seg->paddr, image + seg->offset, seg->filesz,
                            "ELF segment", errp) ||
            !x86_boot_zero(as, seg->paddr + seg->filesz,
                           seg->memsz - seg->filesz, "ELF segment", errp)) {
            return false;
        }
        if (end <= BOOT_4G) {
            kernel_end = MAX(kernel_end, end);
        }
    }
    info->entry = boot_ld64(image + E_ENTRY);
    info->kernel_end = kernel_end;
    info->initrd_limit = BOOT_4G;
    info->cmdline_max = BOOT_CMDLINE_MAX - 1;
    return true;
}
