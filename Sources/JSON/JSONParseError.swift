/// Why a byte sequence is not the JSON text `JSONValue(parsing:)` accepts, and where.
///
/// `offset` is the zero-based byte position in the input where the problem was found (the start
/// of the offending token: the unexpected character, the string that never ends, the escape that
/// is not valid). `message` is a sentence naming the problem and that position, written to be
/// shown to whoever has to fix the input.
public struct JSONParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The zero-based byte offset in the input at which the problem was found.
    public var offset: Int
    /// What is wrong, for a human, for example
    /// "unexpected character '}' at byte 17, expected a value".
    public var message: String

    /// An error at `offset` described by `message`.
    public init(offset: Int, message: String) {
        self.offset = offset
        self.message = message
    }

    /// The message.
    public var description: String { message }
}

extension JSONParseError {
    /// "unexpected character … at byte …, expected …", or "unexpected end of input …" when
    /// `offset` is at or past the end.
    static func unexpected(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int, expected: String) -> JSONParseError {
        guard offset < bytes.count else {
            return JSONParseError(offset: offset, message: "unexpected end of input at byte \(offset), expected \(expected)")
        }
        return JSONParseError(
            offset: offset,
            message: "unexpected character \(describe(bytes[offset])) at byte \(offset), expected \(expected)"
        )
    }

    /// A byte as a reader would want to see it: `'x'` when printable ASCII, `0xNN` otherwise.
    static func describe(_ byte: UInt8) -> String {
        if byte >= 0x20 && byte < 0x7F {
            return "'\(Character(Unicode.Scalar(byte)))'"
        }
        return hex(byte)
    }

    /// `0xNN`, upper-case, two digits.
    static func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16, uppercase: true)
        return byte < 0x10 ? "0x0" + digits : "0x" + digits
    }
}
