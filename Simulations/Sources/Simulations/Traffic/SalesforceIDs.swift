/// Realistic 18-character Salesforce record ids, made from a key prefix and a counter, with the
/// case-checksum suffix Salesforce computes.
enum SalesforceIDs {
    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
    private static let suffixAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345".utf8)

    /// The id of record number `number` with key prefix `prefix` (e.g. `001` for Accounts): the
    /// prefix, the org's pod characters, the number in base 62, then the 3-character suffix.
    static func make(prefix: String, number: Int) -> String {
        var bytes = Array(prefix.utf8) + Array("5f0000".utf8)
        var digits: [UInt8] = []
        var rest = number
        for _ in 0..<6 {
            digits.append(alphabet[rest % 62])
            rest /= 62
        }
        bytes += digits.reversed()
        bytes += suffix(of: bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The checksum suffix of a 15-character id: one character per 5-character chunk, whose bits
    /// say which characters of the chunk are upper-case letters.
    static func suffix(of id: [UInt8]) -> [UInt8] {
        (0..<3).map { chunk in
            var bits = 0
            for offset in 0..<5 where (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(id[chunk * 5 + offset]) {
                bits |= 1 << offset
            }
            return suffixAlphabet[bits]
        }
    }
}
