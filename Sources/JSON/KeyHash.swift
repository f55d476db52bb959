/// A fast, seeded 64-bit hash of object keys' UTF-8 bytes, for finding duplicate keys without
/// hashing `String`s (SipHash per key would cost more than the rest of parsing a member).
///
/// Not cryptographic: the random per-process seed keeps colliding keys from being chosen in
/// advance, and a collision only costs a byte comparison, never a wrong answer.
enum KeyHash {
    /// The seed every key hash starts from; read it once per parse or decode.
    static let seed = UInt64.random(in: UInt64.min...UInt64.max)

    /// The hash of `bytes`, eight at a time.
    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>, seed: UInt64) -> UInt64 {
        let count = bytes.count
        var hash = seed ^ (UInt64(truncatingIfNeeded: count) &* 0x9E37_79B9_7F4A_7C15)
        guard let base = bytes.baseAddress else { return mix(hash) }
        var index = 0
        while index &+ 8 <= count {
            hash = mix(hash ^ UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
            index &+= 8
        }
        if index < count {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while index < count {
                tail |= UInt64(base[index]) << shift
                shift &+= 8
                index &+= 1
            }
            hash = mix(hash ^ tail)
        }
        return mix(hash)
    }

    /// The hash of `string`'s UTF-8 bytes.
    @inline(__always)
    static func hash(_ string: String, seed: UInt64) -> UInt64 {
        var string = string
        return string.withUTF8 { hash($0, seed: seed) }
    }

    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var mixed = (value ^ (value >> 32)) &* 0xD6E8_FEB8_6659_FD93
        mixed ^= mixed >> 32
        return mixed
    }

    /// The smallest power-of-two table size, at least 64, holding `minimumCapacity` slots.
    static func tableSize(minimumCapacity: Int) -> Int {
        var capacity = 64
        while capacity < minimumCapacity { capacity &*= 2 }
        return capacity
    }
}
