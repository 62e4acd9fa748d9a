/*
 * Address spaces made of non-overlapping RAM and I/O regions.
 *
 * Concurrency rule: regions are added and removed only while no vCPU can
 * look them up (before the vCPUs start, or with them paused by
 * vcpus_pause_all()), and never from inside an I/O callback.  Lookups may
 * then run from every vCPU thread at once without a lock; the only shared
 * state they write is the one-entry cache, an atomic pointer.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>

#include "core/error.h"
#include "core/main_loop.h"
#include "core/memory.h"

#define PAGE_SIZE 4096u
#define IO_SPACE_SIZE 0x10000u

/* Guest values are little-endian and so are the hosts we build for. */
G_STATIC_ASSERT(G_BYTE_ORDER == G_LITTLE_ENDIAN);

struct AddressSpace {
    char *name;
    AddressSpaceKind kind;
    GPtrArray *regions;         /* sorted by base */
    MemoryRegion **io_table;    /* ADDRESS_SPACE_IO: one entry per port */
    MemoryRegion *cache;        /* last hit; accessed atomically */
    MemoryListener listener;
    bool has_listener;
};

static uint64_t region_last(const MemoryRegion *mr)
{
    return mr->base + (mr->size - 1);
}

static uint64_t size_mask(unsigned size)
{
    return size >= 8 ? UINT64_MAX : (1ull << (size * 8)) - 1;
}

AddressSpace *address_space_new(const char *name, AddressSpaceKind kind)
{
    AddressSpace *as = g_new0(AddressSpace, 1);

    as->name = g_strdup(name);
    as->kind = kind;
    as->regions = g_ptr_array_new();
    if (kind == ADDRESS_SPACE_IO) {
        as->io_table = g_new0(MemoryRegion *, IO_SPACE_SIZE);
    }
    return as;
}

static void region_free(MemoryRegion *mr)
{
    if (mr->host) {
        munmap(mr->host, mr->size);
    }
    g_free(mr->name);
    g_free(mr);
}

/* The listener is not told: it belongs to an accelerator already gone. */
void address_space_free(AddressSpace *as)
{
    if (!as) {
        return;
    }
    for (guint i = 0; i < as->regions->len; i++) {
        region_free(g_ptr_array_index(as->regions, i));
    }
    g_ptr_array_free(as->regions, TRUE);
    g_free(as->io_table);
    g_free(as->name);
    g_free(as);
}

/* Index of the first region whose base is above ADDR. */
static guint upper_bound(AddressSpace *as, uint64_t addr)
{
    guint lo = 0, hi = as->regions->len;

    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        MemoryRegion *mr = g_ptr_array_index(as->regions, mid);

        if (mr->base <= addr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

static bool check_range(AddressSpace *as, const char *name, uint64_t base,
                        uint64_t size, GError **errp)
{
    if (size == 0) {
        g_set_error(errp, QEMU_ERROR, 0, "region '%s' has size 0", name);
        return false;
    }
    if (size - 1 > UINT64_MAX - base) {
        g_set_error(errp, QEMU_ERROR, 0,
                    "region '%s' at 0x%" PRIx64 " of size 0x%" PRIx64
                    " wraps around the address space", name, base, size);
        return false;
    }
    if (as->kind == ADDRESS_SPACE_IO && base + (size - 1) >= IO_SPACE_SIZE) {
        g_set_error(errp, QEMU_ERROR, 0,
                    "region '%s' [0x%" PRIx64 "-0x%" PRIx64
                    "] is beyond the last I/O port 0xffff",
                    name, base, base + (size - 1));
        return false;
    }
    return true;
}

static bool check_overlap(AddressSpace *as, const char *name, uint64_t base,
                          uint64_t size, guint *index, GError **errp)
{
    uint64_t last = base + (size - 1);
    guint i = upper_bound(as, base);
    MemoryRegion *other = NULL;

    if (i > 0) {
        MemoryRegion *prev = g_ptr_array_index(as->regions, i - 1);
        if (region_last(prev) >= base) {
            other = prev;
        }
    }
    if (!other && i < as->regions->len) {
        MemoryRegion *next = g_ptr_array_index(as->regions, i);
        if (next->base <= last) {
            other = next;
        }
    }
    if (other) {
        g_set_error(errp, QEMU_ERROR, 0,
                    "region '%s' [0x%" PRIx64 "-0x%" PRIx64 "] overlaps '%s'"
                    " [0x%" PRIx64 "-0x%" PRIx64 "]", name, base, last,
                    other->name, other->base, region_last(other));
        return false;
    }
    *index = i;
    return true;
}

static void insert_region(AddressSpace *as, MemoryRegion *mr, guint index)
{
    g_ptr_array_insert(as->regions, index, mr);
    if (as->io_table) {
        for (uint64_t port = mr->base; port <= region_last(mr); port++) {
            as->io_table[port] = mr;
        }
    }
}

MemoryRegion *address_space_add_ram(AddressSpace *as, const char *name,
                                    uint64_t base, uint64_t size,
                                    GError **errp)
{
    MemoryRegion *mr;
    guint index;
    void *host;

    if (as->kind != ADDRESS_SPACE_MEMORY) {
        g_set_error(errp, QEMU_ERROR, 0,
                    "RAM region '%s' cannot be placed in I/O space '%s'",
                    name, as->name);
        return NULL;
    }
    if (!check_range(as, name, base, size, errp)) {
        return NULL;
    }
    if ((base | size) & (PAGE_SIZE - 1)) {
        g_set_error(errp, QEMU_ERROR, 0,
                    "RAM region '%s' at 0x%" PRIx64 " of size 0x%" PRIx64
                    " is not 4 KiB aligned", name, base, size);
        return NULL;
    }
    if (!check_overlap(as, name, base, size, &index, errp)) {
        return NULL;
    }
    host = mmap(NULL, size, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (host == MAP_FAILED) {
        g_set_error(errp, QEMU_ERROR, 0,
                    "cannot allocate 0x%" PRIx64 " bytes for RAM '%s': %s",
                    size, name, g_strerror(errno));
        return NULL;
    }
    mr = g_new0(MemoryRegion, 1);
    mr->name = g_strdup(name);
    mr->base = base;
    mr->size = size;
    mr->host = host;
    mr->accel_slot = -1;
    insert_region(as, mr, index);
    if (as->has_listener && as->listener.region_add) {
        as->listener.region_add(as->listener.opaque, mr);
    }
    return mr;
}

MemoryRegion *address_space_add_io(AddressSpace *as, const char *name,
                                   uint64_t base, uint64_t size,
                                   const MemoryRegionOps *ops, void *opaque,
                                   GError **errp)
{
    MemoryRegion *mr;
    guint index;

    if (!check_range(as, name, base, size, errp) ||
        !check_overlap(as, name, base, size, &index, errp)) {
        return NULL;
    }
    mr = g_new0(MemoryRegion, 1);
    mr->name = g_strdup(name);
    mr->base = base;
    mr->size = size;
    mr->ops = ops;
    mr->opaque = opaque;
    mr->accel_slot = -1;
    insert_region(as, mr, index);
    return mr;
}

void address_space_remove(AddressSpace *as, MemoryRegion *mr)
{
    if (!mr || !g_ptr_array_remove(as->regions, mr)) {
        return;
    }
    g_atomic_pointer_set(&as->cache, NULL);
    if (as->io_table) {
        for (uint64_t port = mr->base; port <= region_last(mr); port++) {
            as->io_table[port] = NULL;
        }
    }
    if (mr->host && as->has_listener && as->listener.region_del) {
        as->listener.region_del(as->listener.opaque, mr);
    }
    region_free(mr);
}

void address_space_set_listener(AddressSpace *as, const MemoryListener *l)
{
    as->has_listener = l != NULL;
    if (!l) {
        memset(&as->listener, 0, sizeof(as->listener));
        return;
    }
    as->listener = *l;
    for (guint i = 0; l->region_add && i < as->regions->len; i++) {
        MemoryRegion *mr = g_ptr_array_index(as->regions, i);
        if (mr->host) {
            l->region_add(l->opaque, mr);
        }
    }
}

MemoryRegion *address_space_lookup(AddressSpace *as, uint64_t addr)
{
    MemoryRegion *mr;
    guint i;

    if (as->io_table) {
        return addr < IO_SPACE_SIZE ? as->io_table[addr] : NULL;
    }
    mr = g_atomic_pointer_get(&as->cache);
    if (mr && addr - mr->base < mr->size) {
        return mr;
    }
    i = upper_bound(as, addr);
    if (i == 0) {
        return NULL;
    }
    mr = g_ptr_array_index(as->regions, i - 1);
    if (addr - mr->base >= mr->size) {
        return NULL;
    }
    g_atomic_pointer_set(&as->cache, mr);
    return mr;
}

void *address_space_ram_ptr(AddressSpace *as, uint64_t addr, uint64_t len)
{
    MemoryRegion *mr = address_space_lookup(as, addr);
    uint64_t offset;

    if (!mr || !mr->host) {
        return NULL;
    }
    offset = addr - mr->base;
    if (len > mr->size - offset) {
        return NULL;
    }
    return (uint8_t *)mr->host + offset;
}

static uint64_t ram_load(const void *p, unsigned size)
{
    uint64_t v = 0;

    /* Naturally aligned accesses are single-copy atomic, as on hardware. */
    if (((uintptr_t)p & (size - 1)) == 0) {
        switch (size) {
        case 1: return __atomic_load_n((const uint8_t *)p, __ATOMIC_RELAXED);
        case 2: return __atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED);
        case 4: return __atomic_load_n((const uint32_t *)p, __ATOMIC_RELAXED);
        case 8: return __atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED);
        }
    }
    memcpy(&v, p, size);
    return v;
}

static void ram_store(void *p, unsigned size, uint64_t v)
{
    if (((uintptr_t)p & (size - 1)) == 0) {
        switch (size) {
        case 1: __atomic_store_n((uint8_t *)p, v, __ATOMIC_RELAXED); return;
        case 2: __atomic_store_n((uint16_t *)p, v, __ATOMIC_RELAXED); return;
        case 4: __atomic_store_n((uint32_t *)p, v, __ATOMIC_RELAXED); return;
        case 8: __atomic_store_n((uint64_t *)p, v, __ATOMIC_RELAXED); return;
        }
    }
    memcpy(p, &v, size);
}

/* The callbacks' access size for an access of SIZE bytes to MR. */
static unsigned io_part_size(const MemoryRegion *mr, unsigned size)
{
    unsigned max = mr->ops->max_access_size;

    return max && max < size ? max : size;
}

static void notify_ram_written(AddressSpace *as, uint64_t addr, uint64_t len)
{
    if (as->has_listener && as->listener.ram_written) {
        as->listener.ram_written(as->listener.opaque, addr, len);
    }
}

static uint64_t io_read(MemoryRegion *mr, uint64_t addr, unsigned size)
{
    bool locked = bql_locked();
    uint64_t offset = addr - mr->base, v = 0;
    unsigned part;

    if (!mr->ops || !mr->ops->read) {
        return size_mask(size);
    }
    part = io_part_size(mr, size);
    if (!locked) {
        bql_lock();
    }
    for (unsigned i = 0; i < size; i += part) {
        uint64_t p = offset + i < mr->size ?
                     mr->ops->read(mr->opaque, offset + i, part) : ~0ull;

        v |= (p & size_mask(part)) << (8 * i);
    }
    if (!locked) {
        bql_unlock();
    }
    return v & size_mask(size);
}

static void io_write(MemoryRegion *mr, uint64_t addr, unsigned size,
                     uint64_t value)
{
    bool locked = bql_locked();
    uint64_t offset = addr - mr->base;
    unsigned part;

    if (!mr->ops || !mr->ops->write) {
        return;
    }
    part = io_part_size(mr, size);
    if (!locked) {
        bql_lock();
    }
    for (unsigned i = 0; i < size && offset + i < mr->size; i += part) {
        mr->ops->write(mr->opaque, offset + i,
                       (value >> (8 * i)) & size_mask(part), part);
    }
    if (!locked) {
        bql_unlock();
    }
}

/*
 * An access that starts in RAM but does not fit in its region is done
 * byte by byte, so that each byte goes wherever it belongs.  One that
 * starts in an I/O region goes whole to that region.
 */
bool address_space_read_val(AddressSpace *as, uint64_t addr, unsigned size,
                            uint64_t *value)
{
    MemoryRegion *mr;
    bool all = true;

    g_assert(size >= 1 && size <= 8);
    mr = address_space_lookup(as, addr);
    if (!mr) {
        *value = size_mask(size);
        return false;
    }
    if (!mr->host) {
        *value = io_read(mr, addr, size);
        return true;
    }
    if (size <= mr->size - (addr - mr->base)) {
        *value = ram_load((uint8_t *)mr->host + (addr - mr->base), size);
        return true;
    }
    *value = 0;
    for (unsigned i = 0; i < size; i++) {
        uint64_t byte;
        all &= address_space_read_val(as, addr + i, 1, &byte);
        *value |= byte << (i * 8);
    }
    return all;
}

bool address_space_write_val(AddressSpace *as, uint64_t addr, unsigned size,
                             uint64_t value)
{
    MemoryRegion *mr;
    bool all = true;

    g_assert(size >= 1 && size <= 8);
    mr = address_space_lookup(as, addr);
    if (!mr) {
        return false;
    }
    if (!mr->host) {
        io_write(mr, addr, size, value);
        return true;
    }
    if (size <= mr->size - (addr - mr->base)) {
        ram_store((uint8_t *)mr->host + (addr - mr->base), size, value);
        notify_ram_written(as, addr, size);
        return true;
    }
    for (unsigned i = 0; i < size; i++) {
        all &= address_space_write_val(as, addr + i, 1, value >> (i * 8));
    }
    return all;
}

/*
 * Calls FN on each RAM piece of [ADDR, ADDR+LEN); false without calling
 * it at all when any byte is not RAM.
 */
static bool ram_foreach(AddressSpace *as, uint64_t addr, size_t len,
                        void (*fn)(void *host, size_t done, size_t n, void *op),
                        void *opaque)
{
    for (int pass = 0; pass < 2; pass++) {
        uint64_t a = addr;
        size_t done = 0;

        while (done < len) {
            MemoryRegion *mr = address_space_lookup(as, a);
            uint64_t avail;
            size_t n;

            if (!mr || !mr->host) {
                return false;
            }
            avail = mr->size - (a - mr->base);
            n = MIN((uint64_t)(len - done), avail);
            if (pass == 1) {
                fn((uint8_t *)mr->host + (a - mr->base), done, n, opaque);
            }
            done += n;
            a += n;
            if (done < len && a == 0) {
                return false;   /* ran past the top of the address space */
            }
        }
    }
    return true;
}

static void copy_out(void *host, size_t done, size_t n, void *buf)
{
    memcpy((uint8_t *)buf + done, host, n);
}

static void copy_in(void *host, size_t done, size_t n, void *buf)
{
    memcpy(host, (const uint8_t *)buf + done, n);
}

bool address_space_read(AddressSpace *as, uint64_t addr, void *buf, size_t len)
{
    return ram_foreach(as, addr, len, copy_out, buf);
}

bool address_space_write(AddressSpace *as, uint64_t addr, const void *buf,
                         size_t len)
{
    if (!ram_foreach(as, addr, len, copy_in, (void *)buf)) {
        return false;
    }
    notify_ram_written(as, addr, len);
    return true;
}

GPtrArray *address_space_regions(AddressSpace *as)
{
    GPtrArray *copy = g_ptr_array_sized_new(as->regions->len);

    for (guint i = 0; i < as->regions->len; i++) {
        g_ptr_array_add(copy, g_ptr_array_index(as->regions, i));
    }
    return copy;
}
