/*
 * x86 boot: the parts common to the bzImage and ELF64 loaders.
 *
 * Guest-physical layout of what the loaders write (everything between
 * 0x500 and the EBDA at 0x9fc00 is ours; the BIOS area 0x9fc00-1 MiB is
 * reserved in the e820 map and holds the MP table at 0xf0000):
 *
 *   0x00500  GDT: null, null, 0x10 flat 64-bit code, 0x18 flat data
 *   0x07000  zero page (struct boot_params), 4 KiB; RSI points here
 *   0x08ff0  initial RSP (the stack grows down towards the zero page)
 *   0x09000  PML4
 *   0x0a000  PDPT
 *   0x0b000  4 page directories of 2 MiB pages: 0..4 GiB identity-mapped
 *   0x20000  kernel command line, at most 64 KiB with its NUL
 *   0xf0000  MP floating pointer + configuration table (mptable.c)
 *   1 MiB+   kernel (bzImage: pref_address or 1 MiB; ELF: p_paddr)
 *   top      initrd: highest 4 KiB-aligned spot below the kernel's limit
 */
#include <inttypes.h>
#include <stdlib.h>

#include "core/error.h"
#include "hw/x86/boot_internal.h"

#define PTE_PRESENT     (1ull << 0)
#define PTE_WRITABLE    (1ull << 1)
#define PTE_PS          (1ull << 7)
#define PAGE_SIZE_4K    0x1000ull

#define E820_RAM        1
#define E820_RESERVED   2

#define BOOT_ELF_CMDLINE_VERSION  0x0206

bool x86_boot_range_in_ram(const X86BootConfig *cfg, uint64_t addr,
                           uint64_t len)
{
    uint64_t end;

    if (__builtin_add_overflow(addr, len, &end)) {
        return false;
    }
    if (end <= cfg->ram_below_4g) {
        return true;
    }
    return addr >= BOOT_4G && end - BOOT_4G <= cfg->ram_above_4g;
}

bool x86_boot_write(AddressSpace *as, uint64_t addr, const void *buf,
                    size_t len, const char *what, GError **errp)
{
    if (len == 0 || address_space_write(as, addr, buf, len)) {
        return true;
    }
    g_set_error(errp, QEMU_ERROR, 0,
                "%s [0x%" PRIx64 "-0x%" PRIx64 "] outside guest RAM",
                what, addr, addr + (len - 1));
    return false;
}

bool x86_boot_zero(AddressSpace *as, uint64_t addr, uint64_t len,
                   const char *what, GError **errp)
{
    static const uint8_t zeros[64 * 1024];

    while (len > 0) {
        size_t n = MIN(len, sizeof(zeros));

        if (!x86_boot_write(as, addr, zeros, n, what, errp)) {
            return false;
        }
        addr += n;
        len -= n;
    }
    return true;
}

static bool check_config(const X86BootConfig *cfg, GError **errp)
{
    if (cfg->ram_below_4g > BOOT_4G ||
        cfg->ram_above_4g > UINT64_MAX - BOOT_4G) {
        g_set_error(errp, QEMU_ERROR, 0, "invalid guest RAM layout");
        return false;
    }
    if (cfg->n_extra_e820 && !cfg->extra_e820) {
        g_set_error(errp, QEMU_ERROR, 0, "invalid extra e820 entries");
        return false;
    }
    return true;
}

/* ---- page tables and GDT ---- */

static bool write_page_tables(AddressSpace *as, GError **errp)
{
    uint64_t pml4[512] = { 0 }, pdpt[512] = { 0 };
    g_autofree uint64_t *pd = g_new0(uint64_t, 4 * 512);

    pml4[0] = GUINT64_TO_LE(BOOT_PDPT_ADDR | PTE_PRESENT | PTE_WRITABLE);
    for (unsigned i = 0; i < 4; i++) {
        pdpt[i] = GUINT64_TO_LE((BOOT_PD_ADDR + i * PAGE_SIZE_4K) |
                                PTE_PRESENT | PTE_WRITABLE);
    }
    for (uint64_t i = 0; i < 4 * 512; i++) {
        pd[i] = GUINT64_TO_LE((i << 21) | PTE_PRESENT | PTE_WRITABLE | PTE_PS);
    }
    return x86_boot_write(as, BOOT_PML4_ADDR, pml4, sizeof(pml4),
                          "page tables", errp) &&
           x86_boot_write(as, BOOT_PDPT_ADDR, pdpt, sizeof(pdpt),
                          "page tables", errp) &&
           x86_boot_write(as, BOOT_PD_ADDR, pd, 4 * 512 * sizeof(uint64_t),
                          "page tables", errp);
}

/* A flat descriptor: base 0, limit 0xfffff pages; ACCESS = bits 40-47. */
static uint64_t flat_descriptor(uint8_t access, uint8_t flags)
{
    return 0xffffull | ((uint64_t)access << 40) | (0xfull << 48) |
           ((uint64_t)flags << 52);
}

#define GDT_ENTRIES 4

static bool write_gdt(AddressSpace *as, GError **errp)
{
    uint64_t gdt[GDT_ENTRIES] = {
        [BOOT_SELECTOR_CODE / 8] = flat_descriptor(0x9b, 0xa),  /* G, L */
        [BOOT_SELECTOR_DATA / 8] = flat_descriptor(0x93, 0xc),  /* G, DB */
    };

    for (unsigned i = 0; i < GDT_ENTRIES; i++) {
        gdt[i] = GUINT64_TO_LE(gdt[i]);
    }
    return x86_boot_write(as, BOOT_GDT_ADDR, gdt, sizeof(gdt), "GDT", errp);
}

/* ---- CPU entry state ---- */

static X86Segment flat_segment(uint16_t selector, uint16_t attrib)
{
    return (X86Segment) {
        .selector = selector,
        .attrib = attrib,
        .limit = 0xffffffff,
        .base = 0,
    };
}

static void set_entry_state(X86CPUState *s, uint64_t entry)
{
    uint16_t code = 0xb | SEG_ATTR_S | SEG_ATTR_P | SEG_ATTR_L | SEG_ATTR_G;
    uint16_t data = 0x3 | SEG_ATTR_S | SEG_ATTR_P | SEG_ATTR_DB | SEG_ATTR_G;

    memset(s->regs, 0, sizeof(s->regs));
    s->regs[R_RSI] = BOOT_ZERO_PAGE_ADDR;
    s->regs[R_RSP] = BOOT_STACK_TOP;
    s->rip = entry;
    s->rflags = X86_FLAG_FIXED;

    s->segs[SEG_CS] = flat_segment(BOOT_SELECTOR_CODE, code);
    s->segs[SEG_DS] = flat_segment(BOOT_SELECTOR_DATA, data);
    s->segs[SEG_ES] = flat_segment(BOOT_SELECTOR_DATA, data);
    s->segs[SEG_SS] = flat_segment(BOOT_SELECTOR_DATA, data);
    s->segs[SEG_FS] = flat_segment(BOOT_SELECTOR_DATA, data);
    s->segs[SEG_GS] = flat_segment(BOOT_SELECTOR_DATA, data);
    /* A busy 64-bit TSS, as VMX requires in long mode; LDTR unusable. */
    s->segs[SEG_TR] = (X86Segment) { .attrib = 0xb | SEG_ATTR_P,
                                     .limit = 0x67 };
    s->segs[SEG_LDTR] = (X86Segment) { .attrib = 0x2, .limit = 0xffff };

    s->gdt = (X86DescTable) { .base = BOOT_GDT_ADDR,
                              .limit = GDT_ENTRIES * 8 - 1 };
    s->idt = (X86DescTable) { .base = 0, .limit = 0 };

    s->cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_PG;
    s->cr2 = 0;
    s->cr3 = BOOT_PML4_ADDR;
    s->cr4 = X86_CR4_PAE;
    s->cr8 = 0;
    s->efer = X86_EFER_LME | X86_EFER_LMA;

    s->apic_base = APIC_DEFAULT_BASE | MSR_APICBASE_ENABLE | MSR_APICBASE_BSP;
    s->pat = 0x0007040600070406ull;
    s->mxcsr = 0x1f80;
    s->fcw = 0x37f;
    s->mp_state = X86_MP_RUNNABLE;
    s->interrupt_shadow = false;
}

/* ---- zero page: command line, initrd, e820 ---- */

static bool load_cmdline(AddressSpace *as, const X86BootConfig *cfg,
                         const X86KernelInfo *info, uint8_t *zp,
                         GError **errp)
{
    const char *cmdline = cfg->cmdline ? cfg->cmdline : "";
    size_t len = strlen(cmdline);

    if (len > info->cmdline_max) {
        g_set_error(errp, QEMU_ERROR, 0,
                    "kernel command line too long (%zu bytes, at most %"
                    PRIu64 ")", len, info->cmdline_max);
        return false;
    }
    boot_st32(zp + SH_CMD_LINE_PTR, (uint32_t)BOOT_CMDLINE_ADDR);
    boot_st32(zp + ZP_EXT_CMD_LINE_PTR, (uint32_t)(BOOT_CMDLINE_ADDR >> 32));
    return x86_boot_write(as, BOOT_CMDLINE_ADDR, cmdline, len + 1,
                          "kernel command line", errp);
}

static bool load_initrd(AddressSpace *as, const X86BootConfig *cfg,
                        const X86KernelInfo *info, const void *initrd,
                        size_t size, uint8_t *zp, GError **errp)
{
    uint64_t limit = MIN(info->initrd_limit, cfg->ram_below_4g);
    uint64_t floor = MAX(info->kernel_end, BOOT_BIOS_END);
    uint64_t addr;

    if (!initrd || size == 0) {
        return true;
    }
    addr = (uint64_t)size <= limit ? (limit - size) & ~(PAGE_SIZE_4K - 1) : 0;
    if (addr < floor) {
        g_set_error(errp, QEMU_ERROR, 0, "initrd too large for guest RAM");
        return false;
    }
    if (!x86_boot_write(as, addr, initrd, size, "initrd", errp)) {
        return false;
    }
    boot_st32(zp + SH_RAMDISK_IMAGE, (uint32_t)addr);
    boot_st32(zp + SH_RAMDISK_SIZE, (uint32_t)size);
    boot_st32(zp + ZP_EXT_RAMDISK_IMAGE, (uint32_t)(addr >> 32));
    boot_st32(zp + ZP_EXT_RAMDISK_SIZE, (uint32_t)((uint64_t)size >> 32));
    return true;
}

static int e820_compare(const void *a, const void *b)
{
    const X86E820Entry *x = a, *y = b;

    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void e820_add(X86E820Entry *table, unsigned *n, uint64_t addr,
                     uint64_t size, uint32_t type)
{
    if (size) {
        table[(*n)++] = (X86E820Entry) { addr, size, type };
    }
}

static bool fill_e820(const X86BootConfig *cfg, uint8_t *zp, GError **errp)
{
    unsigned n = 0, max = 4 + cfg->n_extra_e820;
    g_autofree X86E820Entry *table = NULL;
    uint64_t low = cfg->ram_below_4g;

    if (cfg->n_extra_e820 > ZP_E820_MAX) {
        goto too_many;
    }
    table = g_new0(X86E820Entry, max);
    e820_add(table, &n, 0, MIN(low, BOOT_LOW_RAM_END), E820_RAM);
    if (low > BOOT_LOW_RAM_END) {
        e820_add(table, &n, BOOT_LOW_RAM_END,
                 MIN(low, BOOT_BIOS_END) - BOOT_LOW_RAM_END, E820_RESERVED);
    }
    if (low > BOOT_BIOS_END) {
        e820_add(table, &n, BOOT_BIOS_END, low - BOOT_BIOS_END, E820_RAM);
    }
    e820_add(table, &n, BOOT_4G, cfg->ram_above_4g, E820_RAM);
    for (unsigned i = 0; i < cfg->n_extra_e820; i++) {
        const X86E820Entry *e = &cfg->extra_e820[i];
        e820_add(table, &n, e->addr, e->size, e->type);
    }
    if (n > ZP_E820_MAX) {
        goto too_many;
    }
    qsort(table, n, sizeof(*table), e820_compare);

    zp[ZP_E820_ENTRIES] = (uint8_t)n;
    for (unsigned i = 0; i < n; i++) {
        uint8_t *p = zp + ZP_E820_TABLE + i * ZP_E820_ENTRY_SIZE;
        boot_st64(p, table[i].addr);
        boot_st64(p + 8, table[i].size);
        boot_st32(p + 16, table[i].type);
    }
    return true;

too_many:
    g_set_error(errp, QEMU_ERROR, 0, "too many e820 entries (at most %d)",
                ZP_E820_MAX);
    return false;
}

/* An ELF payload gets a setup header that says what we filled in. */
static void fill_elf_header(uint8_t *zp, const X86KernelInfo *info)
{
    boot_st16(zp + 0x1fe, 0xaa55);
    memcpy(zp + SH_HEADER, "HdrS", 4);
    boot_st16(zp + SH_VERSION, BOOT_ELF_CMDLINE_VERSION);
    zp[SH_TYPE_OF_LOADER] = 0xff;
    zp[SH_LOADFLAGS] = SH_LOADED_HIGH;
    boot_st16(zp + SH_VID_MODE, 0xffff);
    boot_st32(zp + SH_INITRD_ADDR_MAX, 0xffffffff);
    boot_st32(zp + SH_CMDLINE_SIZE, (uint32_t)info->cmdline_max);
}

static bool load_kernel(AddressSpace *as, const X86BootConfig *cfg,
                        const uint8_t *kernel, size_t kernel_size,
                        uint8_t *zp, X86KernelInfo *info, GError **errp)
{
    if (kernel && x86_elf64_probe(kernel, kernel_size)) {
        if (!x86_elf64_load(as, cfg, kernel, kernel_size, info, errp)) {
            return false;
        }
        fill_elf_header(zp, info);
        return true;
    }
    if (kernel && x86_bzimage_probe(kernel, kernel_size)) {
        return x86_bzimage_load(as, cfg, kernel, kernel_size, zp, info, errp);
    }
    g_set_error(errp, QEMU_ERROR, 0,
                "'%s': not a Linux bzImage or ELF64 executable",
                cfg->kernel ? cfg->kernel : "(kernel)");
    return false;
}

bool x86_boot_load_images(AddressSpace *as, const X86BootConfig *cfg,
                          const void *kernel, size_t kernel_size,
                          const void *initrd, size_t initrd_size,
                          X86CPUState *bsp, GError **errp)
{
    g_autofree uint8_t *zp = g_malloc0(ZP_SIZE);
    X86KernelInfo info = { 0 };

    if (!check_config(cfg, errp) ||
        !load_kernel(as, cfg, kernel, kernel_size, zp, &info, errp) ||
        !load_cmdline(as, cfg, &info, zp, errp) ||
        !load_initrd(as, cfg, &info, initrd, initrd_size, zp, errp) ||
        !fill_e820(cfg, zp, errp) ||
        !x86_boot_write(as, BOOT_ZERO_PAGE_ADDR, zp, ZP_SIZE, "zero page",
                        errp) ||
        !write_gdt(as, errp) ||
        !write_page_tables(as, errp)) {
        return false;
    }
    set_entry_state(bsp, info.entry);
    return true;
}

static GMappedFile *map_file(const char *what, const char *path,
                             GError **errp)
{
    GError *err = NULL;
    GMappedFile *f = g_mapped_file_new(path, FALSE, &err);

    if (!f) {
        g_set_error(errp, QEMU_ERROR, 0, "could not load %s '%s': %s",
                    what, path, err->message);
        g_error_free(err);
    }
    return f;
}

bool x86_boot_load(AddressSpace *as, const X86BootConfig *cfg,
                   X86CPUState *bsp, GError **errp)
{
    g_autoptr(GMappedFile) kernel = NULL;
    g_autoptr(GMappedFile) initrd = NULL;

    if (!cfg->kernel) {
        g_set_error(errp, QEMU_ERROR, 0, "no kernel given");
        return false;
    }
    kernel = map_file("kernel", cfg->kernel, errp);
    if (!kernel) {
        return false;
    }
    if (cfg->initrd) {
        initrd = map_file("initrd", cfg->initrd, errp);
        if (!initrd) {
            return false;
        }
    }
    return x86_boot_load_images(
        as, cfg,
        g_mapped_file_get_contents(kernel), g_mapped_file_get_length(kernel),
        initrd ? g_mapped_file_get_contents(initrd) : NULL,
        initrd ? g_mapped_file_get_length(initrd) : 0,
        bsp, errp);
}
