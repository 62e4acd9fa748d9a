/*
 * SSE/SSE2 decoding hooks (exec_sse.c): the decoder hands every 0F-map
 * opcode without an integer handler to sse_decode(), which picks the
 * handler from the mandatory prefix (none, 66, F3, F2).
 */
#ifndef TARGET_X86_64_TCG_SSE_H
#define TARGET_X86_64_TCG_SSE_H

#include "target/x86_64/tcg/tcg_cpu.h"

#define SSE_IMM8 2          /* the decoder's I_UB */

bool sse_has_modrm(unsigned opc);
/* Handler for OPC (0x1xx, 0x2xx, 0x3xx), or NULL; sets *IMM_KIND to SSE_IMM8 when an imm8 follows. */
X86InsnFn sse_decode(X86Insn *insn, unsigned opc, uint8_t *imm_kind);

#endif
