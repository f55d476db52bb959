/// Strict UTF-8 validation over raw bytes, shared by the JSON parser and the binary readers.
///
/// Accepts exactly the well-formed sequences of the Unicode Standard, table 3-7: no overlong
/// forms, no encoded surrogates, nothing above U+10FFFF. Invalid input is rejected, never repaired.
enum UTF8Validation {
    /// The length of the well-formed multi-byte sequence starting at `index`, or `nil` when the
    /// bytes there are not one. `bytes[index]` must be at least 0x80.
    @inline(__always)
    static func multiByteSequenceLength(in bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Int? {
        let count = bytes.count
        let lead = bytes[index]
        @inline(__always)
        func isContinuation(_ offset: Int) -> Bool {
            index &+ offset < count && bytes[index &+ offset] & 0xC0 == 0x80
        }
        switch lead {
        case 0xC2...0xDF:
            return isContinuation(1) ? 2 : nil
        case 0xE0...0xEF:
            guard index &+ 1 < count else { return nil }
            let second = bytes[index &+ 1]
            let secondValid: Bool
            switch lead {
            case 0xE0: secondValid = second >= 0xA0 && second <= 0xBF
            case 0xED: secondValid = second >= 0x80 && second <= 0x9F
            default: secondValid = second & 0xC0 == 0x80
            }
            return secondValid && isContinuation(2) ? 3 : nil
        case 0xF0...0xF4:
            guard index &+ 1 < count else { return nil }
            let second = bytes[index &+ 1]
            let secondValid: Bool
            switch lead {
            case 0xF0: secondValid = second >= 0x90 && second <= 0xBF
            case 0xF4: secondValid = second >= 0x80 && second <= 0x8F
            default: secondValid = second & 0xC0 == 0x80
            }
            return secondValid && isContinuation(2) && isContinuation(3) ? 4 : nil
        default:
            return nil
        }
    }

    /// Whether all of `bytes` is valid UTF-8: `firstInvalid` is the index of the first byte that
    /// does not start a well-formed sequence (`nil` when there is none), `isASCII` whether every
    /// byte before it is ASCII.
    static func validate(_ bytes: UnsafeBufferPointer<UInt8>) -> (firstInvalid: Int?, isASCII: Bool) {
        guard let base = bytes.baseAddress else { return (nil, true) }
        let count = bytes.count
        var index = 0
        var isASCII = true
        while index < count {
            // Eight ASCII bytes at a time: the common case for identifiers, dates and names.
            while index &+ 8 <= count {
                let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
                guard word & 0x8080_8080_8080_8080 == 0 else { break }
                index &+= 8
            }
            guard index < count else { break }
            if bytes[index] < 0x80 {
                index &+= 1
            } else if let length = multiByteSequenceLength(in: bytes, at: index) {
                index &+= length
                isASCII = false
            } else {
                return (index, isASCII)
            }
        }
        return (nil, isASCII)
    }

    /// A `String` holding `bytes`, which the caller has already validated as UTF-8 (and, when
    /// `isASCII`, found to be all ASCII): copies without validating a second time.
    @inline(__always)
    static func stringFromValidatedBytes(_ bytes: UnsafeBufferPointer<UInt8>, isASCII: Bool) -> String {
        if #available(macOS 26, iOS 26, watchOS 26, tvOS 26, visionOS 26, *) {
            return String(copying: UTF8Span(unchecked: bytes.span, isKnownASCII: isASCII))
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
