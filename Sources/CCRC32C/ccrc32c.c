// CRC-32C with the processor's own instruction, chosen at run time: the journal checks every
// event it reads. The table-driven Swift code (`CRC32C` in EventSourcing) stays the fallback.
#include "ccrc32c.h"

#include <string.h>

#if defined(__x86_64__)
#include <nmmintrin.h>

int ccrc32c_hardware_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2");
}

__attribute__((target("sse4.2")))
uint32_t ccrc32c_update(uint32_t state, const void *bytes, size_t count) {
    const unsigned char *next = bytes;
    uint64_t crc = state;
    while (count >= 8) {
        uint64_t word;
        memcpy(&word, next, 8);
        crc = _mm_crc32_u64(crc, word);
        next += 8;
        count -= 8;
    }
    uint32_t result = (uint32_t)crc;
    while (count > 0) {
        result = _mm_crc32_u8(result, *next);
        next += 1;
        count -= 1;
    }
    return result;
}

#elif defined(__aarch64__) && defined(__ARM_FEATURE_CRC32)
#include <arm_acle.h>

int ccrc32c_hardware_available(void) {
    return 1;
}

uint32_t ccrc32c_update(uint32_t state, const void *bytes, size_t count) {
    const unsigned char *next = bytes;
    uint32_t crc = state;
    while (count >= 8) {
        uint64_t word;
        memcpy(&word, next, 8);
        crc = __crc32cd(crc, word);
        next += 8;
        count -= 8;
    }
    while (count > 0) {
        crc = __crc32cb(crc, *next);
        next += 1;
        count -= 1;
    }
    return crc;
}

#else

int ccrc32c_hardware_available(void) {
    return 0;
}

uint32_t ccrc32c_update(uint32_t state, const void *bytes, size_t count) {
    (void)bytes;
    (void)count;
    return state;
}

#endif
