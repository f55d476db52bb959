#ifndef CCRC32C_H
#define CCRC32C_H

#include <stddef.h>
#include <stdint.h>

/// Non-zero when this CPU has a CRC-32C instruction `ccrc32c_update` can use (SSE 4.2 on
/// x86-64, the CRC extension on 64-bit Arm).
int ccrc32c_hardware_available(void);

/// Folds `count` bytes at `bytes` into `state`, the running CRC-32C register (the inverted
/// checksum, as the instruction keeps it). Only to be called when
/// `ccrc32c_hardware_available()` is non-zero.
uint32_t ccrc32c_update(uint32_t state, const void *bytes, size_t count);

#endif
