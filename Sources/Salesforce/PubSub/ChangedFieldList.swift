import JSON

/// The `changedFields`, `nulledFields` and `diffFields` lists of a change event header, in either
/// of their two spellings.
///
/// CometD and AppFlow send field names (`LastModifiedDate`, `BillingAddress.Street`). Pub/Sub —
/// and so Event Relay — sends bitmaps as hex strings over the fields of the event's Avro schema:
/// `"0x400800"` sets bits 11 and 22, naming the schema's fields 11 and 22 (field 0 is the
/// header); `"4-0x01"` sets bit 0 of the nested fields of field 4, naming a compound component
/// such as `BillingAddress.Street`. ``encoding(of:)`` tells the spellings apart and
/// ``decodeBitmaps(_:fieldOrder:nestedFieldOrder:)`` turns bitmaps into names.
public enum ChangedFieldList {
    /// How a field list is spelled.
    public enum Encoding: Sendable, Hashable {
        /// The list is empty: nothing to decode.
        case empty
        /// Every entry is a field name.
        case fieldNames
        /// Every entry is a bitmap (`0x…` or `<index>-0x…`).
        case bitmaps
        /// Names and bitmaps together: not something Salesforce sends.
        case mixed
    }

    /// How `entries` is spelled. Field names start with a letter, so an entry is a bitmap exactly
    /// when it has the bitmap form (see ``isBitmapEntry(_:)``).
    public static func encoding(of entries: [String]) -> Encoding {
        guard !entries.isEmpty else { return .empty }
        let bitmapCount = entries.count(where: isBitmapEntry)
        switch bitmapCount {
        case 0: return .fieldNames
        case entries.count: return .bitmaps
        default: return .mixed
        }
    }

    /// Whether `entry` is a bitmap entry: `0x` followed by hex digits, or a decimal field index, a
    /// `-` and such a hex string.
    public static func isBitmapEntry(_ entry: String) -> Bool {
        parse(entry) != nil
    }

    /// The field names a list of bitmap entries stands for.
    ///
    /// - Parameters:
    ///   - entries: the bitmap entries, such as `["0x400000", "4-0x01"]`.
    ///   - fieldOrder: the top-level fields of the event's schema in order; field 0 is
    ///     `ChangeEventHeader`.
    ///   - nestedFieldOrder: the fields of a compound field, in schema order, given its name
    ///     (`BillingAddress` → `["Street", "City", ...]`); `nil` when unknown.
    /// - Returns: top-level names (`LastModifiedDate`) and compound components
    ///   (`BillingAddress.Street`), in the order of the entries and, within one entry, of the bits,
    ///   without duplicates.
    /// - Throws: when an entry is not a bitmap, sets a bit beyond the known fields or the header's
    ///   bit 0, or names a parent field that does not exist or whose nested order is unknown.
    public static func decodeBitmaps(
        _ entries: [String],
        fieldOrder: [String],
        nestedFieldOrder: (String) -> [String]?
    ) throws(ChangeEventError) -> [String] {
        var names: [String] = []
        var seen: Set<String> = []
        for entry in entries {
            guard let bitmap = parse(entry) else {
                throw ChangeEventError(
                    field: nil,
                    message: "expected a bitmap entry such as \"0x400800\" or \"4-0x01\", found \"\(entry.prefix(40))\""
                )
            }
            let decoded: [String]
            if let parentIndex = bitmap.parentIndex {
                decoded = try nestedNames(entry, bitmap, parentIndex: parentIndex, fieldOrder, nestedFieldOrder)
            } else {
                decoded = try topLevelNames(entry, bitmap, fieldOrder)
            }
            for name in decoded where seen.insert(name).inserted {
                names.append(name)
            }
        }
        return names
    }

    /// The field names a list of bitmap entries stands for, taking the schema's field order from
    /// a payload whose keys are in schema order (as decoded Pub/Sub payloads are).
    ///
    /// `fields` is the body without the header (``ChangeEvent/fields``): field 0 is taken to be
    /// the header and field `i` the `i`-th body member. A compound field's nested order comes from
    /// the keys of its object value, so it is unknown when that value is `null`. Only use this when
    /// the payload is known to carry every schema field in order; otherwise fetch the schema.
    public static func decodeBitmaps(
        _ entries: [String],
        schemaOrderedFields fields: JSONObject
    ) throws(ChangeEventError) -> [String] {
        try EventSchema(schemaOrderedFields: fields).decode(entries)
    }

    // MARK: - Bit arithmetic

    /// A parsed entry: the optional parent field index and the hex digits, least significant
    /// first, as 4-bit values.
    private struct Bitmap {
        var parentIndex: Int?
        var nibblesLeastSignificantFirst: [UInt8]

        /// The indices of the set bits, ascending.
        var setBits: [Int] {
            var bits: [Int] = []
            for (position, nibble) in nibblesLeastSignificantFirst.enumerated() {
                for bit in 0..<4 where nibble & (1 << bit) != 0 {
                    bits.append(position * 4 + bit)
                }
            }
            return bits
        }
    }

    private static func parse(_ entry: String) -> Bitmap? {
        var bytes = Substring(entry).utf8[...]
        var parentIndex: Int?
        if let dash = bytes.firstIndex(of: UInt8(ascii: "-")) {
            let digits = bytes[..<dash]
            guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            parentIndex = digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
            bytes = bytes[bytes.index(after: dash)...]
        }
        guard bytes.starts(with: "0x".utf8) else { return nil }
        let hex = bytes.dropFirst(2)
        guard !hex.isEmpty else { return nil }
        var nibbles: [UInt8] = []
        nibbles.reserveCapacity(hex.count)
        for byte in hex.reversed() {
            guard let nibble = hexValue(byte) else { return nil }
            nibbles.append(nibble)
        }
        return Bitmap(parentIndex: parentIndex, nibblesLeastSignificantFirst: nibbles)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func topLevelNames(
        _ entry: String,
        _ bitmap: Bitmap,
        _ fieldOrder: [String]
    ) throws(ChangeEventError) -> [String] {
        var names: [String] = []
        for bit in bitmap.setBits {
            guard bit < fieldOrder.count else {
                throw ChangeEventError(
                    field: nil,
                    message: "bitmap \"\(entry)\" sets bit \(bit), but the schema has only \(fieldOrder.count) fields (0–\(fieldOrder.count - 1))"
                )
            }
            guard bit != 0 else {
                throw ChangeEventError(
                    field: nil,
                    message: "bitmap \"\(entry)\" sets bit 0, which is the ChangeEventHeader, not a field"
                )
            }
            names.append(fieldOrder[bit])
        }
        return names
    }

    private static func nestedNames(
        _ entry: String,
        _ bitmap: Bitmap,
        parentIndex: Int,
        _ fieldOrder: [String],
        _ nestedFieldOrder: (String) -> [String]?
    ) throws(ChangeEventError) -> [String] {
        guard parentIndex > 0, parentIndex < fieldOrder.count else {
            throw ChangeEventError(
                field: nil,
                message: "bitmap \"\(entry)\" names parent field \(parentIndex), but the schema's fields are 1–\(fieldOrder.count - 1)"
            )
        }
        let parent = fieldOrder[parentIndex]
        guard let nested = nestedFieldOrder(parent) else {
            throw ChangeEventError(
                field: nil,
                message: "bitmap \"\(entry)\" names components of \(parent), whose nested field order is unknown"
            )
        }
        var names: [String] = []
        for bit in bitmap.setBits {
            guard bit < nested.count else {
                throw ChangeEventError(
                    field: nil,
                    message: "bitmap \"\(entry)\" sets bit \(bit) of \(parent), which has only \(nested.count) nested fields"
                )
            }
            names.append("\(parent).\(nested[bit])")
        }
        return names
    }
}
