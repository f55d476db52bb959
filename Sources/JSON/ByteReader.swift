/// Reads the encodings `ByteWriter` writes, from an array of bytes, front to back.
///
/// Stored data can be truncated or corrupt, so every read checks the bytes left first and throws
/// `ByteReaderError` instead of reading out of bounds; variable-length integers must be minimal
/// and fit 64 bits, strings must be valid UTF-8. The reader owns its bytes (an array, not a
/// pointer into someone else's memory), so it can never outlive them.
public struct ByteReader: Sendable {
    /// All the bytes, including those already read.
    public let bytes: [UInt8]
    @usableFromInline
    var position: Int

    /// A reader at the start of `bytes`.
    @inlinable
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.position = 0
    }

    /// The offset of the next byte to read.
    @inlinable
    public var offset: Int { position }

    /// How many bytes are left to read.
    @inlinable
    public var remainingCount: Int { bytes.count &- position }

    /// Whether every byte has been read.
    @inlinable
    public var isAtEnd: Bool { position >= bytes.count }

    /// Checks that `count` more bytes are there.
    @inlinable
    func require(_ count: Int) throws(ByteReaderError) {
        guard count >= 0, count <= remainingCount else {
            throw ByteReaderError.truncated(at: position, needed: count, available: remainingCount)
        }
    }

    /// Reads one byte.
    @inlinable
    public mutating func readUInt8() throws(ByteReaderError) -> UInt8 {
        try require(1)
        let value = bytes[position]
        position &+= 1
        return value
    }

    /// Reads an unsigned LEB128 integer; throws when it is cut short, longer than needed (a
    /// redundant zero byte at the end) or larger than 64 bits.
    @inlinable
    public mutating func readVarUInt() throws(ByteReaderError) -> UInt64 {
        if position < bytes.count, bytes[position] < 0x80 {
            let value = bytes[position]
            position &+= 1
            return UInt64(value)
        }
        return try readMultiByteVarUInt()
    }

    @usableFromInline
    mutating func readMultiByteVarUInt() throws(ByteReaderError) -> UInt64 {
        let start = position
        var index = position
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard index < bytes.count else {
                throw ByteReaderError(offset: start, message: "unexpected end of data in a varint starting at byte \(start)")
            }
            let byte = bytes[index]
            index &+= 1
            // The tenth byte carries only bit 63; anything more overflows 64 bits.
            if shift == 63 && byte > 1 {
                throw ByteReaderError(offset: start, message: "over-long varint at byte \(start): more than 64 bits")
            }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 {
                if byte == 0 && shift > 0 {
                    throw ByteReaderError(offset: start, message: "over-long varint at byte \(start): redundant zero byte")
                }
                position = index
                return result
            }
            shift &+= 7
        }
    }

    /// Reads a zigzag-encoded signed LEB128 integer.
    @inlinable
    public mutating func readVarInt() throws(ByteReaderError) -> Int64 {
        let encoded = try readVarUInt()
        return Int64(bitPattern: (encoded >> 1) ^ (0 &- (encoded & 1)))
    }

    /// Reads a fixed-width integer stored as raw bytes in memory order.
    @inlinable
    mutating func readRaw<Value: FixedWidthInteger>(_: Value.Type) throws(ByteReaderError) -> Value {
        let size = MemoryLayout<Value>.size
        try require(size)
        let start = position
        let value = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: start, as: Value.self) }
        position &+= size
        return value
    }

    /// Reads four bytes, least significant first.
    @inlinable
    public mutating func readUInt32LE() throws(ByteReaderError) -> UInt32 {
        UInt32(littleEndian: try readRaw(UInt32.self))
    }

    /// Reads four bytes, most significant first.
    @inlinable
    public mutating func readUInt32BE() throws(ByteReaderError) -> UInt32 {
        UInt32(bigEndian: try readRaw(UInt32.self))
    }

    /// Reads eight bytes, least significant first.
    @inlinable
    public mutating func readUInt64LE() throws(ByteReaderError) -> UInt64 {
        UInt64(littleEndian: try readRaw(UInt64.self))
    }

    /// Reads eight bytes, most significant first.
    @inlinable
    public mutating func readUInt64BE() throws(ByteReaderError) -> UInt64 {
        UInt64(bigEndian: try readRaw(UInt64.self))
    }

    /// Reads `count` raw bytes.
    @inlinable
    public mutating func readBytes(count: Int) throws(ByteReaderError) -> [UInt8] {
        try require(count)
        let start = position
        position &+= count
        return Array(bytes[start..<(start &+ count)])
    }

    /// Skips `count` bytes.
    @inlinable
    public mutating func skip(count: Int) throws(ByteReaderError) {
        try require(count)
        position &+= count
    }

    /// Reads a string written by `ByteWriter.writeString`: a LEB128 byte count, then that many
    /// bytes of UTF-8, which must be valid. A failed read leaves the offset where it was.
    public mutating func readString() throws(ByteReaderError) -> String {
        try readValidatedString { text, isASCII in UTF8Validation.stringFromValidatedBytes(text, isASCII: isASCII) }
    }

    /// Reads a string as `readString` does, as two: the bytes before the first `separator` (an
    /// ASCII byte) and those after it, or the whole and `nil` when there is none. Saves building
    /// the whole string only to split it (a stream name `category/id`, read with every event).
    public mutating func readString(splitAtFirst separator: UInt8) throws(ByteReaderError) -> (head: String, tail: String?) {
        precondition(separator < 0x80, "the separator must be an ASCII byte")
        return try readValidatedString { text, isASCII in
            guard let split = text.firstIndex(of: separator) else {
                return (UTF8Validation.stringFromValidatedBytes(text, isASCII: isASCII), nil)
            }
            // Splitting at an ASCII byte leaves both halves valid UTF-8.
            let head = UnsafeBufferPointer(rebasing: text[..<split])
            let tail = UnsafeBufferPointer(rebasing: text[(split &+ 1)...])
            return (
                UTF8Validation.stringFromValidatedBytes(head, isASCII: isASCII),
                UTF8Validation.stringFromValidatedBytes(tail, isASCII: isASCII)
            )
        }
    }

    /// Reads a length-prefixed run of UTF-8, validates it and hands it to `make`. A failed read
    /// leaves the offset where it was.
    private mutating func readValidatedString<Result>(
        _ make: (UnsafeBufferPointer<UInt8>, _ isASCII: Bool) -> Result
    ) throws(ByteReaderError) -> Result {
        let start = position
        let length = try readVarUInt()
        guard length <= UInt64(remainingCount) else {
            defer { position = start }
            throw ByteReaderError(
                offset: start,
                message: "unexpected end of data in a string at byte \(start): length \(length), \(remainingCount) bytes left"
            )
        }
        let count = Int(length)
        let textStart = position
        var invalidOffset = 0
        let decoded: Result? = bytes.withUnsafeBufferPointer { buffer in
            let text = UnsafeBufferPointer(rebasing: buffer[textStart..<(textStart &+ count)])
            let validation = UTF8Validation.validate(text)
            if let invalid = validation.firstInvalid {
                invalidOffset = textStart &+ invalid
                return nil
            }
            return make(text, validation.isASCII)
        }
        guard let decoded else {
            position = start
            throw ByteReaderError(offset: invalidOffset, message: "invalid UTF-8 in string at byte \(invalidOffset)")
        }
        position &+= count
        return decoded
    }
}
