/// Salesforce record ids: validation and normalisation to the 18-character form.
///
/// Salesforce shows records under two spellings of one id: a 15-character, case-sensitive form
/// and an 18-character form whose last three characters encode the case of the first fifteen.
/// Tributary keys every aggregate by the 18-character form, so every id that arrives — from a
/// change event, the REST API or an HTTP client — goes through ``normalize(_:)`` first.
public enum SalesforceID {
    /// The "empty" id Salesforce puts in `recordIds` of a `GAP_OVERFLOW` event.
    public static let emptyID = "000000000000000AAA"

    /// The characters of the checksum suffix, indexed by the 5-bit upper-case mask of a chunk.
    private static let checksumAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345".utf8)

    /// The 18-character form of `raw`, or `nil` when `raw` is not a Salesforce id.
    ///
    /// A 15-character alphanumeric id gets its checksum suffix appended. An 18-character id is
    /// accepted when its suffix matches the one computed from its first fifteen characters
    /// (compared case-insensitively) and comes back with the canonical upper-case suffix.
    /// Anything else — another length, a character outside `A–Z a–z 0–9`, a wrong suffix — is
    /// `nil`.
    public static func normalize(_ raw: String) -> String? {
        let bytes = Array(raw.utf8)
        guard bytes.count == 15 || bytes.count == 18 else { return nil }
        let base = bytes[0..<15]
        guard base.allSatisfy(isASCIIAlphanumeric) else { return nil }
        let suffix = checksum(of: base)
        if bytes.count == 18 {
            for (given, expected) in zip(bytes[15..<18], suffix) where upperCased(given) != expected {
                return nil
            }
        }
        return String(decoding: base + suffix, as: UTF8.self)
    }

    /// The key prefix of `id`: its first three characters, which name the object type
    /// (`001` is Account, `003` Contact, ...).
    public static func keyPrefix(_ id: String) -> Substring {
        id.prefix(3)
    }

    /// The three checksum characters for a 15-character id: for each 5-character chunk, bit `i`
    /// is set when character `i` of the chunk is an upper-case letter.
    private static func checksum(of base: ArraySlice<UInt8>) -> [UInt8] {
        var suffix: [UInt8] = []
        suffix.reserveCapacity(3)
        var index = base.startIndex
        for _ in 0..<3 {
            var mask = 0
            for bit in 0..<5 {
                let byte = base[index]
                if byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") {
                    mask |= 1 << bit
                }
                index += 1
            }
            suffix.append(checksumAlphabet[mask])
        }
        return suffix
    }

    private static func isASCIIAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
    }

    private static func upperCased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") ? byte - 32 : byte
    }
}
