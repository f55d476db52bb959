extension JSONScanner {
    /// Whether none of the eight bytes in `word` needs a closer look inside a string: all ASCII,
    /// none a control character, a quote or a backslash.
    @inline(__always)
    static func isPlainStringWord(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highBits: UInt64 = 0x8080_8080_8080_8080
        // Classic "has a byte below n" and "has a zero byte" tests; exact as a yes/no answer.
        let belowSpace = (word &- ones &* 0x20) & ~word
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let hasQuote = (quote &- ones) & ~quote
        let hasBackslash = (backslash &- ones) & ~backslash
        return (word | belowSpace | hasQuote | hasBackslash) & highBits == 0
    }

    /// Parses the string whose opening quote is at `offset`, validating its UTF-8.
    mutating func parseString() throws(JSONParseError) -> String {
        let quote = offset
        let start = offset &+ 1
        var index = start
        let count = bytes.count
        guard let base = bytes.baseAddress else { throw unterminatedString(at: quote) }
        var isASCII = true
        while true {
            while index &+ 8 <= count,
                Self.isPlainStringWord(UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
            {
                index &+= 8
            }
            guard index < count else { throw unterminatedString(at: quote) }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                break
            } else if byte == UInt8(ascii: "\\") {
                return try parseEscapedString(quote: quote, escapeAt: index)
            } else if byte < 0x20 {
                throw controlCharacter(byte, at: index)
            } else if byte < 0x80 {
                index &+= 1
            } else if let length = UTF8Validation.multiByteSequenceLength(in: bytes, at: index) {
                index &+= length
                isASCII = false
            } else {
                throw invalidUTF8(at: index)
            }
        }
        guard index &- start <= limits.maxStringLength else { throw stringTooLong(at: quote) }
        offset = index &+ 1
        lastStringWasEscaped = false
        return UTF8Validation.stringFromValidatedBytes(
            UnsafeBufferPointer(rebasing: bytes[start..<index]),
            isASCII: isASCII
        )
    }

    /// Continues a string at its first backslash, assembling the unescaped bytes in `scratch`.
    mutating func parseEscapedString(quote: Int, escapeAt firstEscape: Int) throws(JSONParseError) -> String {
        scratch.removeAll(keepingCapacity: true)
        let count = bytes.count
        var runStart = quote &+ 1
        var index = firstEscape
        while true {
            guard index < count else { throw unterminatedString(at: quote) }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                if byte == UInt8(ascii: "\"") {
                    guard scratch.count <= limits.maxStringLength else { throw stringTooLong(at: quote) }
                    break
                }
                index = try appendEscape(at: index, quote: quote)
                runStart = index
                guard scratch.count <= limits.maxStringLength else { throw stringTooLong(at: quote) }
            } else if byte < 0x20 {
                throw controlCharacter(byte, at: index)
            } else if byte < 0x80 {
                index &+= 1
            } else if let length = UTF8Validation.multiByteSequenceLength(in: bytes, at: index) {
                index &+= length
            } else {
                throw invalidUTF8(at: index)
            }
        }
        offset = index &+ 1
        lastStringWasEscaped = true
        return scratch.withUnsafeBufferPointer { UTF8Validation.stringFromValidatedBytes($0, isASCII: false) }
    }

    /// Decodes the escape whose backslash is at `index` into `scratch`; returns the index after it.
    mutating func appendEscape(at index: Int, quote: Int) throws(JSONParseError) -> Int {
        guard index &+ 1 < bytes.count else { throw unterminatedString(at: quote) }
        let replacement: UInt8
        switch bytes[index &+ 1] {
        case UInt8(ascii: "\""): replacement = 0x22
        case UInt8(ascii: "\\"): replacement = 0x5C
        case UInt8(ascii: "/"): replacement = 0x2F
        case UInt8(ascii: "b"): replacement = 0x08
        case UInt8(ascii: "f"): replacement = 0x0C
        case UInt8(ascii: "n"): replacement = 0x0A
        case UInt8(ascii: "r"): replacement = 0x0D
        case UInt8(ascii: "t"): replacement = 0x09
        case UInt8(ascii: "u"):
            return try appendUnicodeEscape(at: index)
        case let other:
            throw JSONParseError(
                offset: index,
                message: "invalid escape sequence at byte \(index): backslash followed by \(JSONParseError.describe(other))"
                    + " (valid: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)"
            )
        }
        scratch.append(replacement)
        return index &+ 2
    }

    /// Decodes `\uXXXX` (and its low-surrogate partner, if it is a high surrogate) at `index`.
    mutating func appendUnicodeEscape(at index: Int) throws(JSONParseError) -> Int {
        let unit = try hexQuad(at: index &+ 2, escapeAt: index)
        var scalarValue = UInt32(unit)
        var next = index &+ 6
        switch unit {
        case 0xD800...0xDBFF:
            guard next &+ 1 < bytes.count, bytes[next] == UInt8(ascii: "\\"), bytes[next &+ 1] == UInt8(ascii: "u")
            else {
                throw loneSurrogate(unit, at: index)
            }
            let low = try hexQuad(at: next &+ 2, escapeAt: next)
            guard (0xDC00...0xDFFF).contains(low) else { throw loneSurrogate(unit, at: index) }
            scalarValue = 0x10000 &+ ((UInt32(unit) &- 0xD800) << 10) &+ (UInt32(low) &- 0xDC00)
            next &+= 6
        case 0xDC00...0xDFFF:
            throw loneSurrogate(unit, at: index)
        default:
            break
        }
        appendUTF8(scalarValue)
        return next
    }

    /// The four hex digits at `index` as a UTF-16 code unit.
    func hexQuad(at index: Int, escapeAt escape: Int) throws(JSONParseError) -> UInt16 {
        guard index &+ 4 <= bytes.count else { throw invalidUnicodeEscape(at: escape) }
        var value: UInt16 = 0
        for position in index..<(index &+ 4) {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte &- UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte &- UInt8(ascii: "a") &+ 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte &- UInt8(ascii: "A") &+ 10
            default: throw invalidUnicodeEscape(at: escape)
            }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    /// Appends the UTF-8 form of a scalar value (never a surrogate) to `scratch`.
    mutating func appendUTF8(_ value: UInt32) {
        switch value {
        case 0..<0x80:
            scratch.append(UInt8(truncatingIfNeeded: value))
        case 0x80..<0x800:
            scratch.append(0xC0 | UInt8(truncatingIfNeeded: value >> 6))
            scratch.append(0x80 | UInt8(truncatingIfNeeded: value) & 0x3F)
        case 0x800..<0x10000:
            scratch.append(0xE0 | UInt8(truncatingIfNeeded: value >> 12))
            scratch.append(0x80 | UInt8(truncatingIfNeeded: value >> 6) & 0x3F)
            scratch.append(0x80 | UInt8(truncatingIfNeeded: value) & 0x3F)
        default:
            scratch.append(0xF0 | UInt8(truncatingIfNeeded: value >> 18))
            scratch.append(0x80 | UInt8(truncatingIfNeeded: value >> 12) & 0x3F)
            scratch.append(0x80 | UInt8(truncatingIfNeeded: value >> 6) & 0x3F)
            scratch.append(0x80 | UInt8(truncatingIfNeeded: value) & 0x3F)
        }
    }

    // MARK: - Errors

    func unterminatedString(at quote: Int) -> JSONParseError {
        JSONParseError(offset: quote, message: "unterminated string starting at byte \(quote)")
    }

    func controlCharacter(_ byte: UInt8, at index: Int) -> JSONParseError {
        JSONParseError(
            offset: index,
            message: "unescaped control character \(JSONParseError.hex(byte)) in string at byte \(index)"
        )
    }

    func invalidUTF8(at index: Int) -> JSONParseError {
        JSONParseError(offset: index, message: "invalid UTF-8 in string at byte \(index)")
    }

    func stringTooLong(at quote: Int) -> JSONParseError {
        JSONParseError(
            offset: quote,
            message: "string at byte \(quote) is longer than the limit of \(limits.maxStringLength) bytes"
        )
    }

    func invalidUnicodeEscape(at index: Int) -> JSONParseError {
        JSONParseError(offset: index, message: "invalid \\u escape at byte \(index), expected four hex digits")
    }

    func loneSurrogate(_ unit: UInt16, at index: Int) -> JSONParseError {
        let digits = String(unit, radix: 16, uppercase: true)
        return JSONParseError(
            offset: index,
            message: "unpaired UTF-16 surrogate \\u\(digits) at byte \(index)"
        )
    }
}
