/*
 * The common x86-64 CPU state: what KVM's get/set translates to, what TCG
 * executes on, and what the lockstep checker, snapshots and the gdbstub
 * compare or save.  Architectural state only; an accelerator keeps its
 * private caches (lazy flags, decoded blocks) elsewhere and folds them in
 * before handing this struct out.
 */
#ifndef TARGET_X86_64_CPU_H
#define TARGET_X86_64_CPU_H

#include <stdbool.h>
#include <stdint.h>

enum {
    R_RAX, R_RCX, R_RDX, R_RBX, R_RSP, R_RBP, R_RSI, R_RDI,
    R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15,
};

enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR, SEG_COUNT };

/*
 * Segment attributes in the VMX "access rights" layout: descriptor bits
 * 40-47 in bits 0-7 and bits 52-55 in bits 12-15.
 */
#define SEG_ATTR_TYPE(a)    ((a) & 0xf)
#define SEG_ATTR_S          (1u << 4)       /* code/data (not system) */
#define SEG_ATTR_DPL(a)     (((a) >> 5) & 3)
#define SEG_ATTR_P          (1u << 7)
#define SEG_ATTR_AVL        (1u << 12)
#define SEG_ATTR_L          (1u << 13)      /* 64-bit code */
#define SEG_ATTR_DB         (1u << 14)
#define SEG_ATTR_G          (1u << 15)
#define SEG_ATTR_DPL_SHIFT  5

typedef struct X86Segment {
    uint16_t selector;
    uint16_t attrib;
    uint32_t limit;             /* byte granular (already scaled by G) */
    uint64_t base;
} X86Segment;

typedef struct X86DescTable {
    uint64_t base;
    uint16_t limit;
} X86DescTable;

typedef union X86XMMReg {
    uint8_t b[16];
    uint16_t w[8];
    uint32_t d[4];
    uint64_t q[2];
    float s[4];
    double f[2];
} X86XMMReg;

/* An x87 register as stored by FXSAVE: 64-bit significand, then sign|exponent. */
typedef struct X86FPReg {
    uint64_t mant;
    uint16_t sign_exp;
} X86FPReg;

/* RFLAGS bits */
#define X86_FLAG_CF     (1u << 0)
#define X86_FLAG_FIXED  (1u << 1)
#define X86_FLAG_PF     (1u << 2)
#define X86_FLAG_AF     (1u << 4)
#define X86_FLAG_ZF     (1u << 6)
#define X86_FLAG_SF     (1u << 7)
#define X86_FLAG_TF     (1u << 8)
#define X86_FLAG_IF     (1u << 9)
#define X86_FLAG_DF     (1u << 10)
#define X86_FLAG_OF     (1u << 11)
#define X86_FLAG_IOPL   (3u << 12)
#define X86_FLAG_NT     (1u << 14)
#define X86_FLAG_RF     (1u << 16)
#define X86_FLAG_VM     (1u << 17)
#define X86_FLAG_AC     (1u << 18)
#define X86_FLAG_VIF    (1u << 19)
#define X86_FLAG_VIP    (1u << 20)
#define X86_FLAG_ID     (1u << 21)

/* Control registers */
#define X86_CR0_PE      (1ull << 0)
#define X86_CR0_MP      (1ull << 1)
#define X86_CR0_EM      (1ull << 2)
#define X86_CR0_TS      (1ull << 3)
#define X86_CR0_ET      (1ull << 4)
#define X86_CR0_NE      (1ull << 5)
#define X86_CR0_WP      (1ull << 16)
#define X86_CR0_AM      (1ull << 18)
#define X86_CR0_NW      (1ull << 29)
#define X86_CR0_CD      (1ull << 30)
#define X86_CR0_PG      (1ull << 31)

#define X86_CR4_VME        (1ull << 0)
#define X86_CR4_PVI        (1ull << 1)
#define X86_CR4_TSD        (1ull << 2)
#define X86_CR4_DE         (1ull << 3)
#define X86_CR4_PSE        (1ull << 4)
#define X86_CR4_PAE        (1ull << 5)
#define X86_CR4_MCE        (1ull << 6)
#define X86_CR4_PGE        (1ull << 7)
#define X86_CR4_PCE        (1ull << 8)
#define X86_CR4_OSFXSR     (1ull << 9)
#define X86_CR4_OSXMMEXCPT (1ull << 10)
#define X86_CR4_UMIP       (1ull << 11)
#define X86_CR4_FSGSBASE   (1ull << 16)
#define X86_CR4_PCIDE      (1ull << 17)
#define X86_CR4_OSXSAVE    (1ull << 18)
#define X86_CR4_SMEP       (1ull << 20)
#define X86_CR4_SMAP       (1ull << 21)

#define X86_EFER_SCE    (1ull << 0)
#define X86_EFER_LME    (1ull << 8)
#define X86_EFER_LMA    (1ull << 10)
#define X86_EFER_NXE    (1ull << 11)

/* MSR numbers */
#define MSR_IA32_TSC            0x10
#define MSR_IA32_APICBASE       0x1b
#define MSR_IA32_SYSENTER_CS    0x174
#define MSR_IA32_SYSENTER_ESP   0x175
#define MSR_IA32_SYSENTER_EIP   0x176
#define MSR_IA32_MISC_ENABLE    0x1a0
#define MSR_IA32_PAT            0x277
#define MSR_EFER                0xc0000080
#define MSR_STAR                0xc0000081
#define MSR_LSTAR               0xc0000082
#define MSR_CSTAR               0xc0000083
#define MSR_FMASK               0xc0000084
#define MSR_FS_BASE             0xc0000100
#define MSR_GS_BASE             0xc0000101
#define MSR_KERNEL_GS_BASE      0xc0000102
#define MSR_TSC_AUX             0xc0000103

#define APIC_DEFAULT_BASE       0xfee00000ull
#define MSR_APICBASE_BSP        (1ull << 8)
#define MSR_APICBASE_ENABLE     (1ull << 11)

/* Where a vCPU stands in the INIT/SIPI protocol. */
typedef enum X86MPState {
    X86_MP_RUNNABLE,
    X86_MP_HALTED,
    X86_MP_WAIT_SIPI,           /* an AP after reset, before its start-up IPI */
} X86MPState;

typedef struct X86CPUState {
    uint64_t regs[16];
    uint64_t rip;
    uint64_t rflags;

    X86Segment segs[SEG_COUNT];
    X86DescTable gdt;
    X86DescTable idt;

    uint64_t cr0, cr2, cr3, cr4, cr8;
    uint64_t efer;
    uint64_t dr[8];             /* DR4/DR5 unused */

    /* SSE */
    X86XMMReg xmm[16];
    uint32_t mxcsr;

    /* x87, in FXSAVE's terms */
    X86FPReg st[8];             /* physical registers R0-R7 */
    uint16_t fcw, fsw;
    uint8_t ftw;                /* abridged tag word: bit i set = R(i) valid */
    uint16_t fop;
    uint64_t fip, fdp;

    /* MSRs the guest can see */
    uint64_t star, lstar, cstar, fmask, kernel_gs_base;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t tsc;
    uint64_t tsc_aux;
    uint64_t apic_base;
    uint64_t pat;
    uint64_t misc_enable;

    /* Execution state */
    X86MPState mp_state;
    bool interrupt_shadow;      /* after STI or MOV SS */
    uint8_t sipi_vector;
} X86CPUState;

/* Architectural power-on state (the AP start-up state too, with mp_state set). */
void x86_cpu_state_reset(X86CPUState *s, unsigned apic_id);

/* Builds the attribute word of a flat segment. */
uint16_t x86_seg_attrib(unsigned type, bool s, unsigned dpl, bool l, bool db, bool g);

#endif
