/// The compact binary form of `JSONValue` that the journal stores.
///
/// Each value is a tag byte followed by its payload:
///
/// | tag  | value                      | payload                                          |
/// |------|----------------------------|--------------------------------------------------|
/// | 0x00 | `null`                     | none                                             |
/// | 0x01 | `false`                    | none                                             |
/// | 0x02 | `true`                     | none                                             |
/// | 0x03 | number                     | its text: LEB128 length + ASCII                  |
/// | 0x04 | number, integer ≥ 0        | LEB128 value (only when the text is canonical)   |
/// | 0x05 | number, integer < 0        | LEB128 magnitude (only when canonical)           |
/// | 0x06 | string                     | LEB128 length + UTF-8                            |
/// | 0x07 | array                      | LEB128 count + elements                          |
/// | 0x08 | object                     | LEB128 count + (key string, value) pairs in order|
///
/// A number uses an integer tag only when its text is exactly the decimal form Swift prints for
/// that integer (no leading zeros, no `-0`, no exponent), so decoding always gives back the same
/// text. Other tag values are reserved for later versions and rejected today.
private enum BinaryTag {
    static let null: UInt8 = 0x00
    static let `false`: UInt8 = 0x01
    static let `true`: UInt8 = 0x02
    static let numberText: UInt8 = 0x03
    static let nonNegativeInteger: UInt8 = 0x04
    static let negativeInteger: UInt8 = 0x05
    static let string: UInt8 = 0x06
    static let array: UInt8 = 0x07
    static let object: UInt8 = 0x08
}

extension JSONValue {
    /// The deepest nesting of arrays and objects `decodeBinary(from:)` accepts. Far above what
    /// the parser lets in (64 by default); it exists so corrupt data cannot exhaust the stack.
    public static let maxBinaryDepth = 512

    /// Appends the binary form of this value to `writer`.
    public func encodeBinary(into writer: inout ByteWriter) {
        switch self {
        case .null:
            writer.writeUInt8(BinaryTag.null)
        case .bool(let flag):
            writer.writeUInt8(flag ? BinaryTag.true : BinaryTag.false)
        case .number(let number):
            if let (negative, magnitude) = Self.canonicalInteger(number.text) {
                writer.writeUInt8(negative ? BinaryTag.negativeInteger : BinaryTag.nonNegativeInteger)
                writer.writeVarUInt(magnitude)
            } else {
                writer.writeUInt8(BinaryTag.numberText)
                writer.writeString(number.text)
            }
        case .string(let string):
            writer.writeUInt8(BinaryTag.string)
            writer.writeString(string)
        case .array(let elements):
            writer.writeUInt8(BinaryTag.array)
            writer.writeVarUInt(UInt64(elements.count))
            for element in elements {
                element.encodeBinary(into: &writer)
            }
        case .object(let object):
            writer.writeUInt8(BinaryTag.object)
            writer.writeVarUInt(UInt64(object.count))
            for member in object.members {
                writer.writeString(member.key)
                member.value.encodeBinary(into: &writer)
            }
        }
    }

    /// The binary form of this value.
    public func binaryBytes() -> [UInt8] {
        var writer = ByteWriter(capacity: 128)
        encodeBinary(into: &writer)
        return writer.bytes
    }

    /// Decodes a value from its binary form; `bytes` must hold exactly one value.
    public init(binary bytes: [UInt8]) throws(JSONBinaryError) {
        var reader = ByteReader(bytes)
        let value = try Self.decodeBinary(from: &reader)
        guard reader.isAtEnd else {
            throw JSONBinaryError(
                offset: reader.offset,
                message: "\(reader.remainingCount) unexpected bytes after the value at byte \(reader.offset)"
            )
        }
        self = value
    }

    /// Decodes one value from its binary form at the reader's offset, leaving the reader after it.
    ///
    /// Corrupt data throws; it cannot crash, recurse without bound or make the decoder reserve
    /// more than the remaining bytes could hold. Strings and keys must be valid UTF-8, number
    /// texts valid JSON numbers, object keys unique.
    public static func decodeBinary(from reader: inout ByteReader) throws(JSONBinaryError) -> JSONValue {
        do {
            return try decodeValue(from: &reader, depth: 0)
        } catch {
            throw JSONBinaryError(error)
        }
    }

    // MARK: - Decoding

    private static func decodeValue(from reader: inout ByteReader, depth: Int) throws(ByteReaderError) -> JSONValue {
        let start = reader.offset
        switch try reader.readUInt8() {
        case BinaryTag.null:
            return .null
        case BinaryTag.false:
            return .bool(false)
        case BinaryTag.true:
            return .bool(true)
        case BinaryTag.numberText:
            let text = try reader.readString()
            guard JSONNumber.isValidLiteral(text.utf8) else {
                throw ByteReaderError(offset: start, message: "invalid number text at byte \(start)")
            }
            return .number(JSONNumber(uncheckedText: text))
        case BinaryTag.nonNegativeInteger:
            return .number(JSONNumber(uncheckedText: String(try reader.readVarUInt())))
        case BinaryTag.negativeInteger:
            let magnitude = try reader.readVarUInt()
            guard magnitude != 0 else {
                throw ByteReaderError(offset: start, message: "negative integer zero at byte \(start)")
            }
            return .number(JSONNumber(uncheckedText: "-" + String(magnitude)))
        case BinaryTag.string:
            return .string(try reader.readString())
        case BinaryTag.array:
            return try decodeArray(from: &reader, depth: depth &+ 1, start: start)
        case BinaryTag.object:
            return try decodeObject(from: &reader, depth: depth &+ 1, start: start)
        case let tag:
            throw ByteReaderError(offset: start, message: "unknown value tag \(JSONParseError.hex(tag)) at byte \(start)")
        }
    }

    /// Reads a container's element count, which each element needs at least `minimumSize` bytes
    /// of what is left for.
    private static func readCount(
        from reader: inout ByteReader,
        minimumSize: Int,
        depth: Int,
        start: Int
    ) throws(ByteReaderError) -> Int {
        guard depth <= maxBinaryDepth else {
            throw ByteReaderError(offset: start, message: "nesting deeper than \(maxBinaryDepth) levels at byte \(start)")
        }
        let count = try reader.readVarUInt()
        guard count <= UInt64(reader.remainingCount / minimumSize) else {
            throw ByteReaderError(
                offset: start,
                message: "container at byte \(start) claims \(count) entries, more than the \(reader.remainingCount) bytes left can hold"
            )
        }
        return Int(count)
    }

    /// Reserved up front at most, so nested containers that each claim the rest of the data
    /// cannot add up to a huge reservation; real containers past this grow as they fill.
    private static let maxReservedEntries = 128

    private static func decodeArray(from reader: inout ByteReader, depth: Int, start: Int) throws(ByteReaderError) -> JSONValue {
        let count = try readCount(from: &reader, minimumSize: 1, depth: depth, start: start)
        var elements: [JSONValue] = []
        elements.reserveCapacity(Swift.min(count, maxReservedEntries))
        for _ in 0..<count {
            elements.append(try decodeValue(from: &reader, depth: depth))
        }
        return .array(elements)
    }

    private static func decodeObject(from reader: inout ByteReader, depth: Int, start: Int) throws(ByteReaderError) -> JSONValue {
        let count = try readCount(from: &reader, minimumSize: 2, depth: depth, start: start)
        var members: [JSONObject.Member] = []
        members.reserveCapacity(Swift.min(count, maxReservedEntries))
        // Keys must be unique; corrupt data could repeat one. Small objects (most records)
        // compare the keys directly; past 16 keys they are hashed into a table, comparing
        // strings only on a hash match.
        let seed = KeyHash.seed
        var hashes: [UInt64] = []
        // Grown with the members actually read, never sized from the (untrusted) count.
        var table: [Int] = []
        for index in 0..<count {
            let keyOffset = reader.offset
            let key = try reader.readString()
            var isDuplicate = false
            if index < 16 {
                // `==` (canonical equivalence) is the quick filter; duplicates are equal bytes.
                for other in 0..<index where members[other].key == key && members[other].key.utf8.elementsEqual(key.utf8) {
                    isDuplicate = true
                    break
                }
                guard !isDuplicate else {
                    throw ByteReaderError(offset: keyOffset, message: "duplicate object key at byte \(keyOffset)")
                }
                members.append(JSONObject.Member(key: key, value: try decodeValue(from: &reader, depth: depth)))
                continue
            }
            if hashes.isEmpty {
                hashes = members.map { KeyHash.hash($0.key, seed: seed) }
            }
            let hash = KeyHash.hash(key, seed: seed)
            if table.count < (index &+ 1) &* 2 {
                table = [Int](repeating: 0, count: KeyHash.tableSize(minimumCapacity: (index &+ 1) &* 4))
                let mask = table.count &- 1
                for other in 0..<index {
                    var slot = Int(truncatingIfNeeded: hashes[other]) & mask
                    while table[slot] != 0 { slot = (slot &+ 1) & mask }
                    table[slot] = other &+ 1
                }
            }
            let mask = table.count &- 1
            var slot = Int(truncatingIfNeeded: hash) & mask
            while table[slot] != 0 {
                let other = table[slot] &- 1
                if hashes[other] == hash && members[other].key == key {
                    isDuplicate = true
                    break
                }
                slot = (slot &+ 1) & mask
            }
            if !isDuplicate { table[slot] = index &+ 1 }
            guard !isDuplicate else {
                throw ByteReaderError(offset: keyOffset, message: "duplicate object key at byte \(keyOffset)")
            }
            hashes.append(hash)
            members.append(JSONObject.Member(key: key, value: try decodeValue(from: &reader, depth: depth)))
        }
        return .object(JSONObject(members))
    }

    // MARK: - Integers

    /// The sign and magnitude of `text` when it is the canonical decimal form of an integer whose
    /// magnitude fits 64 bits: optional `-`, no leading zero, not `-0`.
    private static func canonicalInteger(_ text: String) -> (negative: Bool, magnitude: UInt64)? {
        var utf8 = text.utf8[...]
        let negative = utf8.first == UInt8(ascii: "-")
        if negative { utf8 = utf8.dropFirst() }
        guard let first = utf8.first, utf8.count <= 20 else { return nil }
        if first == UInt8(ascii: "0") {
            return utf8.count == 1 && !negative ? (false, 0) : nil
        }
        var magnitude: UInt64 = 0
        for byte in utf8 {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit))
            guard !overflow1, !overflow2 else { return nil }
            magnitude = sum
        }
        return (negative, magnitude)
    }
}
