/*
 * Shared between the x86 boot loaders (boot.c, bzimage.c, elf64.c,
 * mptable.c): the guest memory layout below 1 MiB, the zero-page
 * (struct boot_params) offsets and little-endian buffer helpers.
 */
#ifndef HW_X86_BOOT_INTERNAL_H
#define HW_X86_BOOT_INTERNAL_H

#include <string.h>

#include "hw/x86/boot.h"

/* Guest-physical layout owned by the loaders; see boot.c. */
#define BOOT_GDT_ADDR           0x500ull
#define BOOT_ZERO_PAGE_ADDR     0x7000ull
#define BOOT_STACK_TOP          0x8ff0ull
#define BOOT_PML4_ADDR          0x9000ull
#define BOOT_PDPT_ADDR          0xa000ull
#define BOOT_PD_ADDR            0xb000ull       /* four page directories */
#define BOOT_CMDLINE_ADDR       0x20000ull
#define BOOT_CMDLINE_MAX        0x10000ull      /* including the NUL */
#define BOOT_AREA_START         BOOT_GDT_ADDR
#define BOOT_AREA_END           (BOOT_CMDLINE_ADDR + BOOT_CMDLINE_MAX)
#define BOOT_LOW_RAM_END        0x9fc00ull      /* start of the EBDA */
#define BOOT_BIOS_END           0x100000ull     /* 1 MiB */
#define BOOT_MPTABLE_ADDR       0xf0000ull
#define BOOT_4G                 0x100000000ull

#define BOOT_SELECTOR_CODE      0x10
#define BOOT_SELECTOR_DATA      0x18

/* struct boot_params ("zero page") */
#define ZP_SIZE                 0x1000
#define ZP_EXT_RAMDISK_IMAGE    0x0c0
#define ZP_EXT_RAMDISK_SIZE     0x0c4
#define ZP_EXT_CMD_LINE_PTR     0x0c8
#define ZP_E820_ENTRIES         0x1e8
#define ZP_HDR                  0x1f1           /* struct setup_header */
#define ZP_HDR_END              0x290           /* edd_mbr_sig_buffer */
#define ZP_E820_TABLE           0x2d0
#define ZP_E820_MAX             128
#define ZP_E820_ENTRY_SIZE      20

/* struct setup_header, as offsets into the image and the zero page */
#define SH_SETUP_SECTS          0x1f1
#define SH_SYSSIZE              0x1f4
#define SH_VID_MODE             0x1fa
#define SH_JUMP                 0x200
#define SH_HEADER               0x202
#define SH_VERSION              0x206
#define SH_TYPE_OF_LOADER       0x210
#define SH_LOADFLAGS            0x211
#define SH_CODE32_START         0x214
#define SH_RAMDISK_IMAGE        0x218
#define SH_RAMDISK_SIZE         0x21c
#define SH_CMD_LINE_PTR         0x228
#define SH_INITRD_ADDR_MAX      0x22c
#define SH_KERNEL_ALIGNMENT     0x230
#define SH_RELOCATABLE_KERNEL   0x234
#define SH_XLOADFLAGS           0x236
#define SH_CMDLINE_SIZE         0x238
#define SH_PREF_ADDRESS         0x258
#define SH_INIT_SIZE            0x260

#define SH_LOADED_HIGH          (1u << 0)
#define SH_XLF_KERNEL_64        (1u << 0)

/* What a kernel loader tells the common code. */
typedef struct X86KernelInfo {
    uint64_t entry;
    /* End of the memory the kernel claims; the initrd goes above it. */
    uint64_t kernel_end;
    /* Exclusive limit for the initrd's last byte. */
    uint64_t initrd_limit;
    /* Longest command line accepted, without the NUL. */
    uint64_t cmdline_max;
} X86KernelInfo;

/*
 * Loaders: check IMAGE, copy it into AS and fill INFO; the bzImage loader
 * also puts the kernel's setup header into ZERO_PAGE (ZP_SIZE bytes).
 */
bool x86_bzimage_probe(const uint8_t *image, size_t size);
bool x86_bzimage_load(AddressSpace *as, const X86BootConfig *cfg,
                      const uint8_t *image, size_t size, uint8_t *zero_page,
                      X86KernelInfo *info, GError **errp);
bool x86_elf64_probe(const uint8_t *image, size_t size);
bool x86_elf64_load(AddressSpace *as, const X86BootConfig *cfg,
                    const uint8_t *image, size_t size,
                    X86KernelInfo *info, GError **errp);

/* True if [ADDR, ADDR+LEN) is RAM according to CFG (LEN may be 0). */
bool x86_boot_range_in_ram(const X86BootConfig *cfg, uint64_t addr,
                           uint64_t len);

/* address_space_write with a GError naming WHAT on failure. */
bool x86_boot_write(AddressSpace *as, uint64_t addr, const void *buf,
                    size_t len, const char *what, GError **errp);
/* Writes LEN zero bytes. */
bool x86_boot_zero(AddressSpace *as, uint64_t addr, uint64_t len,
                   const char *what, GError **errp);

static inline uint16_t boot_ld16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof(v));
    return GUINT16_FROM_LE(v);
}

static inline uint32_t boot_ld32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return GUINT32_FROM_LE(v);
}

static inline uint64_t boot_ld64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return GUINT64_FROM_LE(v);
}

static inline void boot_st16(uint8_t *p, uint16_t v)
{
    v = GUINT16_TO_LE(v);
    memcpy(p, &v, sizeof(v));
}

static inline void boot_st32(uint8_t *p, uint32_t v)
{
    v = GUINT32_TO_LE(v);
    memcpy(p, &v, sizeof(v));
}

static inline void boot_st64(uint8_t *p, uint64_t v)
{
    v = GUINT64_TO_LE(v);
    memcpy(p, &v, sizeof(v));
}

#endif
