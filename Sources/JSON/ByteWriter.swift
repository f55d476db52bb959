/// Appends compact binary encodings to a growable byte array.
///
/// The building block of Tributary's stored formats (the binary form of `JSONValue`, journal
/// records and keys): fixed-width integers in either byte order, LEB128 variable-length integers
/// (zigzag for signed ones) and length-prefixed UTF-8 strings. `ByteReader` reads the same
/// encodings back.
public struct ByteWriter: Sendable {
    /// The bytes written so far.
    public var bytes: [UInt8]

    /// An empty writer with room for `capacity` bytes before it has to grow.
    @inlinable
    public init(capacity: Int = 0) {
        self.bytes = []
        self.bytes.reserveCapacity(capacity)
    }

    /// Appends one byte.
    @inlinable
    public mutating func writeUInt8(_ value: UInt8) {
        bytes.append(value)
    }

    /// Appends `value` as unsigned LEB128: seven bits a byte, least significant first, high bit
    /// set on every byte but the last (1 byte below 128, at most 10).
    @inlinable
    public mutating func writeVarUInt(_ value: UInt64) {
        var remaining = value
        while remaining >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: remaining))
    }

    /// Appends `value` zigzag-encoded (0, -1, 1, -2, … become 0, 1, 2, 3, …) as unsigned LEB128,
    /// so small negative numbers stay short.
    @inlinable
    public mutating func writeVarInt(_ value: Int64) {
        writeVarUInt(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    /// Appends `value` as four bytes, least significant first.
    @inlinable
    public mutating func writeUInt32LE(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends `value` as four bytes, most significant first (sorts bytewise in numeric order).
    @inlinable
    public mutating func writeUInt32BE(_ value: UInt32) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends `value` as eight bytes, least significant first.
    @inlinable
    public mutating func writeUInt64LE(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends `value` as eight bytes, most significant first (sorts bytewise in numeric order,
    /// which is what LMDB keys need).
    @inlinable
    public mutating func writeUInt64BE(_ value: UInt64) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends raw bytes, with no length prefix.
    @inlinable
    public mutating func writeBytes(_ other: some Sequence<UInt8>) {
        bytes.append(contentsOf: other)
    }

    /// Appends raw bytes, with no length prefix.
    @inlinable
    public mutating func writeBytes(_ other: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: other)
    }

    /// Appends `string` as its UTF-8 byte count (unsigned LEB128) followed by the UTF-8 bytes.
    @inlinable
    public mutating func writeString(_ string: String) {
        var string = string
        string.withUTF8 { utf8 in
            writeVarUInt(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }
}
