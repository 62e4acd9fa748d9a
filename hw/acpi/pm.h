/*
 * ACPI fixed hardware of the microvm machine, as port I/O: the PM1a event
 * block (status + enable), the PM1a control block, the PM timer and the
 * reset register at 0xcf9.  The FADT (hw/acpi/acpi.c) points at these.
 *
 * ACPI mode is always on (SCI_EN reads as 1, the FADT has no SMI command
 * port).  No event ever raises the SCI: the status and enable registers
 * only store what the guest writes.  Writing SLP_EN with SLP_TYP =
 * ACPI_SLP_TYP_S5 powers off (machine_request_shutdown(m, 0)); writing a
 * value with RST_CPU (bit 2) to 0xcf9 resets (machine_request_reset()).
 */
#ifndef HW_ACPI_PM_H
#define HW_ACPI_PM_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/machine.h"

#define ACPI_PM_BASE            0x600
#define ACPI_PM1_EVT_ADDR       0x600   /* PM1_STS (2 bytes) + PM1_EN (2) */
#define ACPI_PM1_EVT_LEN        4
#define ACPI_PM1_CNT_ADDR       0x604
#define ACPI_PM1_CNT_LEN        2
#define ACPI_PM_TMR_ADDR        0x608
#define ACPI_PM_TMR_LEN         4
#define ACPI_PM_SIZE            12      /* 0x600-0x60b */

#define ACPI_RESET_PORT         0xcf9
#define ACPI_RESET_VALUE        0x06    /* SYS_RST | RST_CPU */
#define ACPI_RESET_RST_CPU      0x04

#define ACPI_SCI_IRQ            9

#define ACPI_PM_TIMER_HZ        3579545ull
/* The timer is 24 bits wide (the FADT does not set TMR_VAL_EXT). */
#define ACPI_PM_TIMER_MASK      0xffffffu

/* PM1_CNT bits */
#define ACPI_PM1_CNT_SCI_EN     (1u << 0)
#define ACPI_PM1_CNT_SLP_TYP_SHIFT 10
#define ACPI_PM1_CNT_SLP_TYP_MASK  (7u << ACPI_PM1_CNT_SLP_TYP_SHIFT)
#define ACPI_PM1_CNT_SLP_EN     (1u << 13)

/* SLP_TYP for soft-off; the DSDT's \_S5 package holds this value. */
#define ACPI_SLP_TYP_S5         5

typedef struct AcpiPM AcpiPM;

AcpiPM *acpi_pm_create(Machine *m, GError **errp);
void acpi_pm_free(AcpiPM *s);

/* The microvm's registers; they live as long as the process. */
bool acpi_pm_init(Machine *m, GError **errp);

/* PM timer value (ACPI_PM_TIMER_MASK bits) at host time NS. */
uint32_t acpi_pm_timer_at(int64_t ns);

#endif
