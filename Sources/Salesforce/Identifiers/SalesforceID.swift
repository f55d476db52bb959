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
        // Every change event's ids come through here, nearly all already canonical: those are
        // checked in place and returned as they are, with nothing allocated.
        var raw = raw
        let suffix: (UInt8, UInt8, UInt8)? = raw.withUTF8 { bytes in
            guard bytes.count == 15 || bytes.count == 18 else { return nil }
            for index in 0..<15 where !isASCIIAlphanumeric(bytes[index]) { return nil }
            let suffix = (checksumCharacter(bytes, chunk: 0), checksumCharacter(bytes, chunk: 1), checksumCharacter(bytes, chunk: 2))
            if bytes.count == 18 {
                guard upperCased(bytes[15]) == suffix.0, upperCased(bytes[16]) == suffix.1, upperCased(bytes[17]) == suffix.2 else {
                    return nil
                }
            }
            return suffix
        }
        guard let suffix else { return nil }
        let isCanonical = raw.withUTF8 { $0.count == 18 && $0[15] == suffix.0 && $0[16] == suffix.1 && $0[17] == suffix.2 }
        if isCanonical { return raw }
        return raw.withUTF8 { bytes in
            String(unsafeUninitializedCapacity: 18) { buffer in
                for index in 0..<15 { buffer[index] = bytes[index] }
                buffer[15] = suffix.0
                buffer[16] = suffix.1
                buffer[17] = suffix.2
                return 18
            }
        }
    }

    /// The key prefix of `id`: its first three characters, which name the object type
    /// (`001` is Account, `003` Contact, ...).
    public static func keyPrefix(_ id: String) -> Substring {
        id.prefix(3)
    }

    /// The checksum character of 5-character chunk `chunk` (0, 1 or 2) of a 15-character id:
    /// bit `i` of its index in the alphabet is set when character `i` of the chunk is an
    /// upper-case letter.
    private static func checksumCharacter(_ base: UnsafeBufferPointer<UInt8>, chunk: Int) -> UInt8 {
        var mask = 0
        for bit in 0..<5 {
            let byte = base[chunk &* 5 &+ bit]
            if byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") {
                mask |= 1 << bit
            }
        }
        return checksumAlphabet[mask]
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
