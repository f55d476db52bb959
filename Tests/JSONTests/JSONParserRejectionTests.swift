import JSON
import Testing

/// One input the parser must reject, with where and why.
struct MalformedInput: Sendable, CustomTestStringConvertible {
    let bytes: [UInt8]
    let offset: Int
    let messageFragment: String
    let label: String

    init(_ text: String, offset: Int, _ messageFragment: String) {
        self.bytes = Array(text.utf8)
        self.offset = offset
        self.messageFragment = messageFragment
        self.label = text
    }

    init(bytes: [UInt8], offset: Int, _ messageFragment: String) {
        self.bytes = bytes
        self.offset = offset
        self.messageFragment = messageFragment
        self.label = bytes.map { String($0, radix: 16) }.joined(separator: " ")
    }

    var testDescription: String { label.count > 40 ? String(label.prefix(40)) + "…" : label }
}

@Suite("JSONParser rejects malformed JSON")
struct JSONParserRejectionTests {
    static let structureCases: [MalformedInput] = [
        MalformedInput("", offset: 0, "empty input"),
        MalformedInput("   ", offset: 3, "unexpected end of input at byte 3, expected a value"),
        MalformedInput("[1,2,]", offset: 4, "trailing comma at byte 4"),
        MalformedInput(#"{"a":1,}"#, offset: 6, "trailing comma at byte 6"),
        MalformedInput("[1,,2]", offset: 3, "unexpected character ',' at byte 3, expected a value"),
        MalformedInput("[1 2]", offset: 3, "expected ',' or ']'"),
        MalformedInput("[1", offset: 2, "unexpected end of input at byte 2"),
        MalformedInput(#"{"a" 1}"#, offset: 5, "expected ':'"),
        MalformedInput(#"{"a":1 "b":2}"#, offset: 7, "expected ',' or '}'"),
        MalformedInput("{a:1}", offset: 1, "unexpected character 'a' at byte 1, expected a string key"),
        MalformedInput(#"{"a":}"#, offset: 5, "unexpected character '}' at byte 5, expected a value"),
        MalformedInput("[1]]", offset: 3, "trailing characters after the JSON value at byte 3"),
        MalformedInput(#"{"a":1} x"#, offset: 8, "trailing characters"),
        MalformedInput("1 2", offset: 2, "trailing characters"),
        MalformedInput("tru", offset: 0, "invalid literal at byte 0, expected 'true'"),
        MalformedInput("nul", offset: 0, "expected 'null'"),
        MalformedInput("[fals]", offset: 1, "expected 'false'"),
        MalformedInput("True", offset: 0, "unexpected character 'T'"),
        MalformedInput("'a'", offset: 0, "unexpected character '''"),
        MalformedInput("NaN", offset: 0, "unexpected character 'N'"),
        MalformedInput("Infinity", offset: 0, "unexpected character 'I'"),
        MalformedInput("// comment\n1", offset: 0, "unexpected character '/'"),
        MalformedInput(String(repeating: "[", count: 65) + String(repeating: "]", count: 65), offset: 64, "nesting deeper than 64 levels"),
        MalformedInput(String(repeating: #"{"a":"#, count: 65) + "1" + String(repeating: "}", count: 65), offset: 320, "nesting deeper than 64 levels"),
    ]

    static let numberCases: [MalformedInput] = [
        MalformedInput("01", offset: 0, "leading zero"),
        MalformedInput("-01", offset: 1, "leading zero"),
        MalformedInput("[00]", offset: 1, "leading zero"),
        MalformedInput("1.", offset: 2, "expected a digit after the decimal point"),
        MalformedInput("1.e5", offset: 2, "expected a digit after the decimal point"),
        MalformedInput(".5", offset: 0, "unexpected character '.'"),
        MalformedInput("-", offset: 1, "expected a digit after '-'"),
        MalformedInput("-a", offset: 1, "expected a digit after '-'"),
        MalformedInput("+1", offset: 0, "unexpected character '+'"),
        MalformedInput("1e", offset: 2, "expected a digit in the exponent"),
        MalformedInput("1e+", offset: 3, "expected a digit in the exponent"),
        MalformedInput("0x10", offset: 1, "trailing characters"),
    ]

    static let stringCases: [MalformedInput] = [
        MalformedInput(#""abc"#, offset: 0, "unterminated string starting at byte 0"),
        MalformedInput(#"["abc\"]"#, offset: 1, "unterminated string starting at byte 1"),
        MalformedInput(#""abc\"#, offset: 0, "unterminated string"),
        MalformedInput(#""a\x""#, offset: 2, "invalid escape sequence at byte 2"),
        MalformedInput(#""a\'""#, offset: 2, "invalid escape sequence"),
        MalformedInput(#""\u12G4""#, offset: 1, "invalid \\u escape at byte 1"),
        MalformedInput(#""\u12""#, offset: 1, "invalid \\u escape"),
        MalformedInput(#""\uD800""#, offset: 1, "unpaired UTF-16 surrogate \\uD800 at byte 1"),
        MalformedInput(#""\uDC00""#, offset: 1, "unpaired UTF-16 surrogate \\uDC00"),
        MalformedInput(#""\uD800\u0041""#, offset: 1, "unpaired UTF-16 surrogate"),
        MalformedInput(#""\uD800\uD800""#, offset: 1, "unpaired UTF-16 surrogate"),
        MalformedInput(#""x\uD800x""#, offset: 2, "unpaired UTF-16 surrogate"),
        MalformedInput("\"a\u{1}\"", offset: 2, "unescaped control character 0x01 in string at byte 2"),
        MalformedInput("\"\t\"", offset: 1, "unescaped control character 0x09"),
        MalformedInput("\"line\nbreak\"", offset: 5, "unescaped control character 0x0A"),
        MalformedInput("\"long enough for a word\u{1F}\"", offset: 23, "unescaped control character 0x1F"),
        MalformedInput("\"a\\n\u{0}\"", offset: 4, "unescaped control character 0x00"),
    ]

    static let encodingCases: [MalformedInput] = [
        MalformedInput(bytes: [0x22, 0xFF, 0x22], offset: 1, "invalid UTF-8 in string at byte 1"),
        MalformedInput(bytes: [0x22, 0x80, 0x22], offset: 1, "invalid UTF-8"),
        MalformedInput(bytes: [0x22, 0xC0, 0xAF, 0x22], offset: 1, "invalid UTF-8"),
        MalformedInput(bytes: [0x22, 0xE0, 0x80, 0xAF, 0x22], offset: 1, "invalid UTF-8"),
        MalformedInput(bytes: [0x22, 0xED, 0xA0, 0x80, 0x22], offset: 1, "invalid UTF-8"),
        MalformedInput(bytes: [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], offset: 1, "invalid UTF-8"),
        MalformedInput(bytes: [0x22, 0xE2, 0x82, 0x22], offset: 1, "invalid UTF-8"),
        MalformedInput(bytes: [0x22, 0x61, 0xC3], offset: 2, "invalid UTF-8"),
        MalformedInput(bytes: Array("\"0123456789".utf8) + [0xF8, 0x22], offset: 11, "invalid UTF-8 in string at byte 11"),
        MalformedInput(bytes: Array("\"a\\n".utf8) + [0xC3, 0x28, 0x22], offset: 4, "invalid UTF-8"),
        MalformedInput(bytes: [0xEF, 0xBB, 0xBF, 0x7B, 0x7D], offset: 0, "byte order mark"),
        MalformedInput(bytes: [0xC3, 0xA9], offset: 0, "unexpected character 0xC3 at byte 0"),
        MalformedInput(bytes: [0x5B, 0x31, 0x5D, 0x00], offset: 3, "trailing characters"),
    ]

    // MARK: - Structure

    @Test(arguments: structureCases)
    func rejectsMalformedStructure(_ input: MalformedInput) {
        expectRejection(input)
    }

    // MARK: - Numbers

    @Test(arguments: numberCases)
    func rejectsMalformedNumbers(_ input: MalformedInput) {
        expectRejection(input)
    }

    // MARK: - Strings

    @Test(arguments: stringCases)
    func rejectsMalformedStrings(_ input: MalformedInput) {
        expectRejection(input)
    }

    @Test(arguments: encodingCases)
    func rejectsInvalidEncodings(_ input: MalformedInput) {
        expectRejection(input)
    }

    @Test func errorDescriptionIsItsMessage() {
        let error = #expect(throws: JSONParseError.self) { try JSONValue(parsing: #"{"accountNames": }"#) }
        #expect(error?.description == "unexpected character '}' at byte 17, expected a value")
        #expect(error?.offset == 17)
    }

    private func expectRejection(_ input: MalformedInput, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let value = try JSONValue(parsing: input.bytes)
            Issue.record("parsed \(value) instead of rejecting it", sourceLocation: sourceLocation)
        } catch {
            #expect(error.offset == input.offset, "\(error.message)", sourceLocation: sourceLocation)
            #expect(
                error.message.contains(input.messageFragment),
                "message \"\(error.message)\" lacks \"\(input.messageFragment)\"",
                sourceLocation: sourceLocation
            )
        }
    }
}
