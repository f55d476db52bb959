/// Writes `JSONValue`s as compact JSON text: no insignificant whitespace, members in order,
/// numbers as their literal text, strings escaped only where JSON requires it.
///
/// Output is what Tributary sends out (HTTP responses, exports) and what it hashes, so it is
/// deterministic: the same value always gives the same bytes. Non-ASCII text stays UTF-8 and `/`
/// is not escaped.
enum JSONWriter {
    /// Appends the JSON text of `value` to `buffer`.
    static func write(_ value: JSONValue, to buffer: inout [UInt8]) {
        switch value {
        case .null:
            append("null", to: &buffer)
        case .bool(let flag):
            append(flag ? "true" : "false", to: &buffer)
        case .number(let number):
            buffer.append(contentsOf: number.text.utf8)
        case .string(let string):
            writeString(string, to: &buffer)
        case .array(let elements):
            buffer.append(UInt8(ascii: "["))
            var first = true
            for element in elements {
                if !first { buffer.append(UInt8(ascii: ",")) }
                first = false
                write(element, to: &buffer)
            }
            buffer.append(UInt8(ascii: "]"))
        case .object(let object):
            buffer.append(UInt8(ascii: "{"))
            var first = true
            for member in object.members {
                if !first { buffer.append(UInt8(ascii: ",")) }
                first = false
                writeString(member.key, to: &buffer)
                buffer.append(UInt8(ascii: ":"))
                write(member.value, to: &buffer)
            }
            buffer.append(UInt8(ascii: "}"))
        }
    }

    @inline(__always)
    static func append(_ literal: StaticString, to buffer: inout [UInt8]) {
        buffer.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// Appends `string` quoted, escaping `"`, `\` and control characters.
    static func writeString(_ string: String, to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { utf8 in
            guard let base = utf8.baseAddress else { return }
            let count = utf8.count
            var runStart = 0
            var index = 0
            while index < count {
                if index &+ 8 <= count,
                    !wordNeedsEscape(UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
                {
                    index &+= 8
                    continue
                }
                let byte = utf8[index]
                if byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                    buffer.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                    appendEscape(for: byte, to: &buffer)
                    runStart = index &+ 1
                }
                index &+= 1
            }
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<count]))
        }
        buffer.append(UInt8(ascii: "\""))
    }

    /// Whether any of the eight bytes in `word` is a control character, `"` or `\`; exact as a
    /// yes/no answer (the classic "has a byte below n" and "has a zero byte" tests).
    @inline(__always)
    static func wordNeedsEscape(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let belowSpace = (word &- ones &* 0x20) & ~word
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let hasQuote = (quote &- ones) & ~quote
        let hasBackslash = (backslash &- ones) & ~backslash
        return (belowSpace | hasQuote | hasBackslash) & 0x8080_8080_8080_8080 != 0
    }

    static func appendEscape(for byte: UInt8, to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""): buffer.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): buffer.append(UInt8(ascii: "\\"))
        case 0x0A: buffer.append(UInt8(ascii: "n"))
        case 0x0D: buffer.append(UInt8(ascii: "r"))
        case 0x09: buffer.append(UInt8(ascii: "t"))
        case 0x08: buffer.append(UInt8(ascii: "b"))
        case 0x0C: buffer.append(UInt8(ascii: "f"))
        default:
            let hexDigits: StaticString = "0123456789abcdef"
            let digits = hexDigits.utf8Start
            buffer.append(UInt8(ascii: "u"))
            buffer.append(UInt8(ascii: "0"))
            buffer.append(UInt8(ascii: "0"))
            buffer.append(digits[Int(byte >> 4)])
            buffer.append(digits[Int(byte & 0x0F)])
        }
    }
}

extension JSONValue {
    /// The compact JSON text of this value, as UTF-8 bytes.
    public func jsonBytes() -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(256)
        JSONWriter.write(self, to: &buffer)
        return buffer
    }

    /// Appends the compact JSON text of this value to `buffer`, so several values can share one
    /// output buffer.
    public func write(to buffer: inout [UInt8]) {
        JSONWriter.write(self, to: &buffer)
    }

    /// The compact JSON text of this value.
    public var jsonString: String {
        String(decoding: jsonBytes(), as: UTF8.self)
    }
}
