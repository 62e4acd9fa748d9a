/*
 * Linux bzImage loader for the 64-bit boot protocol
 * (Documentation/x86/boot.rst): only the protected-mode kernel is loaded;
 * the real-mode setup code is skipped and the setup header goes into the
 * zero page.
 */
#include <inttypes.h>

#include "core/error.h"
#include "hw/x86/boot_internal.h"

#define BZ_MIN_VERSION          0x0206
#define BZ_XLOADFLAGS_VERSION   0x020c
#define BZ_DEFAULT_LOAD_ADDR    0x100000ull
#define BZ_ENTRY_64_OFFSET      0x200
#define BZ_OLD_INITRD_MAX       0x37ffffffull

/* The setup header as read from the image, zero past its end. */
typedef struct BzHeader {
    uint8_t raw[ZP_HDR_END];
    size_t end;                 /* image offset where the header ends */
    uint16_t version;
} BzHeader;

typedef struct BzLayout {
    uint64_t setup_size;        /* file offset of the protected-mode kernel */
    uint64_t kernel_size;       /* its size in the file */
    uint64_t load_addr;
    uint64_t kernel_end;
} BzLayout;

bool x86_bzimage_probe(const uint8_t *image, size_t size)
{
    return size >= SH_HEADER + 4 && memcmp(image + SH_HEADER, "HdrS", 4) == 0;
}

static void set_truncated(GError **errp)
{
    g_set_error(errp, QEMU_ERROR, 0, "kernel image truncated");
}

static bool read_header(const uint8_t *image, size_t size, BzHeader *h,
                        GError **errp)
{
    memset(h, 0, sizeof(*h));
    h->end = SH_HEADER + (size_t)image[SH_JUMP + 1];
    if (h->end > size) {
        set_truncated(errp);
        return false;
    }
    memcpy(h->raw + ZP_HDR, image + ZP_HDR, MIN(h->end, ZP_HDR_END) - ZP_HDR);
    h->version = boot_ld16(h->raw + SH_VERSION);

    if (h->version < BZ_MIN_VERSION) {
        g_set_error(errp, QEMU_ERROR, 0,
                    "kernel boot protocol %u.%02u too old; need 2.06",
                    h->version >> 8, h->version & 0xff);
        return false;
    }
    if (!(h->raw[SH_LOADFLAGS] & SH_LOADED_HIGH)) {
        g_set_error(errp, QEMU_ERROR, 0,
                    "kernel is a zImage (not loaded high); need a bzImage");
        return false;
    }
    /*
     * xloadflags exists from 2.12 on; pref_address and init_size, which
     * the layout relies on, from 2.10, so they are valid past this check.
     */
    if (h->version < BZ_XLOADFLAGS_VERSION ||
        !(boot_ld16(h->raw + SH_XLOADFLAGS) & SH_XLF_KERNEL_64)) {
        g_set_error(errp, QEMU_ERROR, 0, "kernel has no 64-bit entry point");
        return false;
    }
    return true;
}

/* Rounds X up to a multiple of ALIGN (0 means 1); false on overflow. */
static bool align_up(uint64_t x, uint64_t align, uint64_t *out)
{
    uint64_t rem;

    if (align <= 1) {
        *out = x;
        return true;
    }
    rem = x % align;
    return !__builtin_add_overflow(x, rem ? align - rem : 0, out);
}

/*
 * The end of the memory the kernel claims when loaded at LOAD: it
 * decompresses itself to its runtime start (the aligned load address,
 * but never below pref_address) and needs init_size bytes there.
 */
static bool kernel_end_at(const BzHeader *h, const BzLayout *l,
                          uint64_t load, uint64_t *end)
{
    uint64_t pref = boot_ld64(h->raw + SH_PREF_ADDRESS);
    uint64_t need = MAX(boot_ld32(h->raw + SH_INIT_SIZE), l->kernel_size);
    uint64_t start = pref, image_end;

    if (h->raw[SH_RELOCATABLE_KERNEL]) {
        if (!align_up(load, boot_ld32(h->raw + SH_KERNEL_ALIGNMENT), &start)) {
            return false;
        }
        start = MAX(start, pref);
    }
    if (__builtin_add_overflow(start, need, end) ||
        __builtin_add_overflow(load, l->kernel_size, &image_end)) {
        return false;
    }
    *end = MAX(*end, image_end);
    return true;
}

static bool kernel_fits(const X86BootConfig *cfg, const BzHeader *h,
                        const BzLayout *l, uint64_t load, uint64_t *end)
{
    return load >= BZ_DEFAULT_LOAD_ADDR && kernel_end_at(h, l, load, end) &&
           *end <= cfg->ram_below_4g;
}

static bool plan_layout(const X86BootConfig *cfg, const BzHeader *h,
                        size_t size, BzLayout *l, GError **errp)
{
    unsigned setup_sects = h->raw[SH_SETUP_SECTS] ? h->raw[SH_SETUP_SECTS] : 4;
    uint64_t pref = boot_ld64(h->raw + SH_PREF_ADDRESS);

    l->setup_size = (uint64_t)(setup_sects + 1) * 512;
    if (l->setup_size >= size) {
        set_truncated(errp);
        return false;
    }
    l->kernel_size = size - l->setup_size;
    if (l->kernel_size <= BZ_ENTRY_64_OFFSET ||
        (uint64_t)boot_ld32(h->raw + SH_SYSSIZE) * 16 > l->kernel_size) {
        set_truncated(errp);
        return false;
    }

    if (h->raw[SH_RELOCATABLE_KERNEL] &&
        kernel_fits(cfg, h, l, pref, &l->kernel_end)) {
        l->load_addr = pref;
        return true;
    }
    l->load_addr = BZ_DEFAULT_LOAD_ADDR;
    if (!kernel_fits(cfg, h, l, l->load_addr, &l->kernel_end)) {
        g_set_error(errp, QEMU_ERROR, 0, "kernel too large for guest RAM");
        return false;
    }
    return true;
}

static void fill_zero_page(const BzHeader *h, const BzLayout *l,
                           uint8_t *zp)
{
    memcpy(zp + ZP_HDR, h->raw + ZP_HDR, ZP_HDR_END - ZP_HDR);
    zp[SH_TYPE_OF_LOADER] = 0xff;
    boot_st16(zp + SH_VID_MODE, 0xffff);
    boot_st32(zp + SH_CODE32_START, (uint32_t)l->load_addr);
}

bool x86_bzimage_load(AddressSpace *as, const X86BootConfig *cfg,
                      const uint8_t *image, size_t size, uint8_t *zero_page,
                      X86KernelInfo *info, GError **errp)
{
    BzHeader h;
    BzLayout l = { 0 };
    uint64_t initrd_max = BZ_OLD_INITRD_MAX;

    if (!read_header(image, size, &h, errp) ||
        !plan_layout(cfg, &h, size, &l, errp) ||
        !x86_boot_write(as, l.load_addr, image + l.setup_size, l.kernel_size,
                        "kernel", errp)) {
        return false;
    }
    fill_zero_page(&h, &l, zero_page);

    if (h.version >= 0x0203) {
        initrd_max = boot_ld32(h.raw + SH_INITRD_ADDR_MAX);
    }
    info->entry = l.load_addr + BZ_ENTRY_64_OFFSET;
    info->kernel_end = l.kernel_end;
    info->initrd_limit = initrd_max + 1;
    info->cmdline_max = MIN(boot_ld32(h.raw + SH_CMDLINE_SIZE),
                            BOOT_CMDLINE_MAX - 1);
    return true;
}
