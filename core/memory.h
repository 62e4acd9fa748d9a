/*
 * The memory API: guest-physical and port-I/O address spaces made of
 * non-overlapping regions.  A region is either RAM (backed by an anonymous
 * mmap, guest accesses go straight to host memory) or I/O (every access
 * calls the region's ops under the big lock).
 *
 * Lookups are fast: the port-I/O space (64 KiB of ports) keeps a direct
 * table, the memory space a sorted array searched by bisection behind a
 * one-entry cache.  Adding a region that overlaps another fails.
 *
 * An accelerator follows RAM changes through a listener (KVM turns them
 * into memory slots).
 */
#ifndef CORE_MEMORY_H
#define CORE_MEMORY_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct MemoryRegionOps {
    /* SIZE is 1, 2, 4 or 8; OFFSET is relative to the region's base. */
    uint64_t (*read)(void *opaque, uint64_t offset, unsigned size);
    void (*write)(void *opaque, uint64_t offset, uint64_t value, unsigned size);
    /*
     * The widest access the callbacks take (0: any).  A wider guest access
     * is split into consecutive accesses of this size, lowest address
     * first, as an 8-bit ISA device sees a 16-bit IN; the parts past the
     * region's end read all ones and are dropped on writes.
     */
    unsigned max_access_size;
} MemoryRegionOps;

typedef struct MemoryRegion {
    char *name;
    uint64_t base;
    uint64_t size;
    void *host;                 /* RAM: host mapping of [base, base+size); NULL for I/O */
    const MemoryRegionOps *ops; /* I/O only */
    void *opaque;               /* I/O only */
    int accel_slot;             /* accelerator's bookkeeping (KVM slot), -1 if none */
} MemoryRegion;

typedef enum AddressSpaceKind {
    ADDRESS_SPACE_MEMORY,   /* 64-bit guest-physical addresses */
    ADDRESS_SPACE_IO,       /* 16-bit ports */
} AddressSpaceKind;

typedef struct AddressSpace AddressSpace;

typedef struct MemoryListener {
    void (*region_add)(void *opaque, MemoryRegion *mr);
    void (*region_del)(void *opaque, MemoryRegion *mr);
    /*
     * RAM at [ADDR, ADDR+LEN) was written through this API (loaders, DMA,
     * devices), not by a vCPU: TCG drops code it decoded from there.
     */
    void (*ram_written)(void *opaque, uint64_t addr, uint64_t len);
    void *opaque;
} MemoryListener;

AddressSpace *address_space_new(const char *name, AddressSpaceKind kind);
void address_space_free(AddressSpace *as);

/* Maps fresh zeroed RAM at [BASE, BASE+SIZE); SIZE a multiple of 4 KiB. */
MemoryRegion *address_space_add_ram(AddressSpace *as, const char *name,
                                    uint64_t base, uint64_t size,
                                    GError **errp);
MemoryRegion *address_space_add_io(AddressSpace *as, const char *name,
                                   uint64_t base, uint64_t size,
                                   const MemoryRegionOps *ops, void *opaque,
                                   GError **errp);
void address_space_remove(AddressSpace *as, MemoryRegion *mr);

/* Listener callbacks are called for every existing RAM region at once. */
void address_space_set_listener(AddressSpace *as, const MemoryListener *l);

/* The region containing ADDR, or NULL. */
MemoryRegion *address_space_lookup(AddressSpace *as, uint64_t addr);

/*
 * Host pointer for [ADDR, ADDR+LEN) if it lies entirely inside one RAM
 * region, else NULL.
 */
void *address_space_ram_ptr(AddressSpace *as, uint64_t addr, uint64_t len);

/*
 * Accesses of 1, 2, 4 or 8 bytes (little-endian value).  RAM is read or
 * written directly; I/O regions are dispatched under the big lock;
 * accesses to nothing read all ones and writes are dropped, as on a PC.
 * Return false when nothing was there.
 */
bool address_space_read_val(AddressSpace *as, uint64_t addr, unsigned size,
                            uint64_t *value);
bool address_space_write_val(AddressSpace *as, uint64_t addr, unsigned size,
                             uint64_t value);

/* Byte-buffer copies for loaders and DMA: RAM only, false if any byte is not RAM. */
bool address_space_read(AddressSpace *as, uint64_t addr, void *buf, size_t len);
bool address_space_write(AddressSpace *as, uint64_t addr, const void *buf, size_t len);

/* Sorted snapshot of the regions (for `info mtree`-like dumps and tests). */
GPtrArray *address_space_regions(AddressSpace *as);

#endif
