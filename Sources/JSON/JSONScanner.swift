/// The state of one parse: a cursor over the input bytes and scratch storage reused across the
/// whole document.
///
/// Containers are collected on two shared stacks (`elementStack`, `memberStack`) and moved out
/// once, at their exact size, when they close: one allocation per array or object instead of one
/// per growth step. Strings without escapes are built straight from the input bytes; strings with
/// escapes are assembled in `scratch`. Duplicate keys are found by a cheap hash of each key's
/// bytes (`keyStack`, parallel to `memberStack`), compared linearly in small objects and through
/// an open-addressing table in large ones.
struct JSONScanner: ~Copyable {
    /// Where a key came from, to compare keys without comparing `String`s.
    struct KeyInfo {
        /// A hash of the key's UTF-8 bytes (after unescaping).
        var hash: UInt64
        /// The offset of the key's bytes in the input, or -1 when the key had escapes (its
        /// unescaped bytes are then not in the input).
        var start: Int
        /// The number of UTF-8 bytes in the key.
        var count: Int
    }

    let bytes: UnsafeBufferPointer<UInt8>
    let limits: JSONParser.Limits
    var offset = 0
    var elementStack = MoveStack<JSONValue>(initialCapacity: 32)
    var memberStack = MoveStack<JSONObject.Member>(initialCapacity: 64)
    var keyStack: [KeyInfo] = []
    var scratch: [UInt8] = []
    /// Whether the last string parsed had escapes (its bytes are then in `scratch`).
    var lastStringWasEscaped = false

    /// Objects with more members than this find duplicate keys through a hash table, not a scan.
    static let linearKeyScanLimit = 16

    /// `KeyHash.seed`, read once per parse rather than once per key.
    let keyHashSeed = KeyHash.seed

    init(bytes: UnsafeBufferPointer<UInt8>, limits: JSONParser.Limits) {
        self.bytes = bytes
        self.limits = limits
        self.keyStack.reserveCapacity(64)
    }

    /// Parses the single value that must make up the whole input.
    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF {
            throw JSONParseError(
                offset: 0,
                message: "byte order mark (EF BB BF) at byte 0 is not allowed, JSON text must start with a value"
            )
        }
        let value = try parseValue(depth: 0)
        skipWhitespace()
        guard offset == bytes.count else {
            throw JSONParseError(offset: offset, message: "trailing characters after the JSON value at byte \(offset)")
        }
        return value
    }

    // MARK: - Values

    @inline(__always)
    mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x0A, 0x0D, 0x09: offset &+= 1
            default: return
            }
        }
    }

    /// Parses a value after optional whitespace; `depth` is the nesting level of the container
    /// holding it (0 at the top).
    mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        guard offset < bytes.count else {
            throw JSONParseError.unexpected(bytes, at: offset, expected: "a value")
        }
        switch bytes[offset] {
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "{"):
            return try parseObject(depth: depth &+ 1)
        case UInt8(ascii: "["):
            return try parseArray(depth: depth &+ 1)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try parseNumber())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        default:
            throw JSONParseError.unexpected(bytes, at: offset, expected: "a value")
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let length = literal.utf8CodeUnitCount
        let start = offset
        guard start &+ length <= bytes.count, let base = bytes.baseAddress else {
            throw invalidLiteral(literal, at: start)
        }
        // All three literals are four or five bytes: compare the first four as one word.
        let expected = UnsafeRawPointer(literal.utf8Start)
        let input = UnsafeRawPointer(base + start)
        guard input.loadUnaligned(as: UInt32.self) == expected.loadUnaligned(as: UInt32.self),
            length == 4 || input.load(fromByteOffset: 4, as: UInt8.self) == expected.load(fromByteOffset: 4, as: UInt8.self)
        else {
            throw invalidLiteral(literal, at: start)
        }
        offset = start &+ length
    }

    func invalidLiteral(_ literal: StaticString, at start: Int) -> JSONParseError {
        JSONParseError(offset: start, message: "invalid literal at byte \(start), expected '\(literal)'")
    }

    // MARK: - Containers

    mutating func checkDepth(_ depth: Int) throws(JSONParseError) {
        guard depth <= limits.maxDepth else {
            throw JSONParseError(offset: offset, message: "nesting deeper than \(limits.maxDepth) levels at byte \(offset)")
        }
    }

    mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        try checkDepth(depth)
        offset &+= 1
        skipWhitespace()
        if offset < bytes.count && bytes[offset] == UInt8(ascii: "]") {
            offset &+= 1
            return .array([])
        }
        let base = elementStack.count
        while true {
            let element = try parseValue(depth: depth)
            elementStack.push(element)
            skipWhitespace()
            guard offset < bytes.count else {
                throw JSONParseError.unexpected(bytes, at: offset, expected: "',' or ']' after an array element")
            }
            let next = bytes[offset]
            if next == UInt8(ascii: "]") {
                offset &+= 1
                break
            }
            guard next == UInt8(ascii: ",") else {
                throw JSONParseError.unexpected(bytes, at: offset, expected: "',' or ']' after an array element")
            }
            let comma = offset
            offset &+= 1
            skipWhitespace()
            if offset < bytes.count && bytes[offset] == UInt8(ascii: "]") {
                throw JSONParseError(offset: comma, message: "trailing comma at byte \(comma) before ']'")
            }
        }
        return .array(elementStack.popAll(from: base))
    }

    mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
        try checkDepth(depth)
        offset &+= 1
        skipWhitespace()
        if offset < bytes.count && bytes[offset] == UInt8(ascii: "}") {
            offset &+= 1
            return .object(JSONObject())
        }
        let base = memberStack.count
        // Built only once the object outgrows a linear scan: slots holding member index + 1.
        var keyTable: [Int] = []
        while true {
            guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else {
                throw JSONParseError.unexpected(bytes, at: offset, expected: "a string key")
            }
            let keyStart = offset &+ 1
            let key = try parseString()
            let keyInfo = makeKeyInfo(start: keyStart)
            skipWhitespace()
            guard offset < bytes.count, bytes[offset] == UInt8(ascii: ":") else {
                throw JSONParseError.unexpected(bytes, at: offset, expected: "':' after the object key")
            }
            offset &+= 1
            let value = try parseValue(depth: depth)
            insertMember(key: key, info: keyInfo, value: value, base: base, keyTable: &keyTable)
            skipWhitespace()
            guard offset < bytes.count else {
                throw JSONParseError.unexpected(bytes, at: offset, expected: "',' or '}' after an object member")
            }
            let next = bytes[offset]
            if next == UInt8(ascii: "}") {
                offset &+= 1
                break
            }
            guard next == UInt8(ascii: ",") else {
                throw JSONParseError.unexpected(bytes, at: offset, expected: "',' or '}' after an object member")
            }
            let comma = offset
            offset &+= 1
            skipWhitespace()
            if offset < bytes.count && bytes[offset] == UInt8(ascii: "}") {
                throw JSONParseError(offset: comma, message: "trailing comma at byte \(comma) before '}'")
            }
        }
        keyStack.removeSubrange(base...)
        return .object(JSONObject(memberStack.popAll(from: base)))
    }

    // MARK: - Numbers

    @inline(__always)
    func isDigit(at index: Int) -> Bool {
        index < bytes.count && bytes[index] &- UInt8(ascii: "0") < 10
    }

    /// Parses a number per the RFC 8259 grammar and keeps its text.
    mutating func parseNumber() throws(JSONParseError) -> JSONNumber {
        let start = offset
        var index = offset
        if bytes[index] == UInt8(ascii: "-") {
            index &+= 1
        }
        guard isDigit(at: index) else {
            throw JSONParseError.unexpected(bytes, at: index, expected: "a digit after '-'")
        }
        if bytes[index] == UInt8(ascii: "0") {
            if isDigit(at: index &+ 1) {
                throw JSONParseError(offset: index, message: "number with a leading zero at byte \(index)")
            }
            index &+= 1
        } else {
            while isDigit(at: index) { index &+= 1 }
        }
        if index < bytes.count && bytes[index] == UInt8(ascii: ".") {
            index &+= 1
            guard isDigit(at: index) else {
                throw JSONParseError.unexpected(bytes, at: index, expected: "a digit after the decimal point")
            }
            while isDigit(at: index) { index &+= 1 }
        }
        if index < bytes.count && (bytes[index] | 0x20) == UInt8(ascii: "e") {
            index &+= 1
            if index < bytes.count && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) {
                index &+= 1
            }
            guard isDigit(at: index) else {
                throw JSONParseError.unexpected(bytes, at: index, expected: "a digit in the exponent")
            }
            while isDigit(at: index) { index &+= 1 }
        }
        offset = index
        let text = UTF8Validation.stringFromValidatedBytes(UnsafeBufferPointer(rebasing: bytes[start..<index]), isASCII: true)
        return JSONNumber(uncheckedText: text)
    }
}
