import JSON
import Testing

@Suite("JSONWriter writes compact JSON")
struct JSONWriterTests {
    // MARK: - Output

    @Test func writesCompactOutputWithMembersInOrder() {
        let value: JSONValue = ["z": [1, true, nil, false], "a": "x", "m": ["nested": [:]], "e": []]
        #expect(value.jsonString == #"{"z":[1,true,null,false],"a":"x","m":{"nested":{}},"e":[]}"#)
    }

    @Test func writesNumbersAsTheirText() throws {
        let value = try JSONValue(parsing: "[1100670838951, 12345678901234567890, -0.50, 1E+400]")
        #expect(value.jsonString == "[1100670838951,12345678901234567890,-0.50,1E+400]")
    }

    @Test func escapesQuotesBackslashesAndControlCharactersOnly() {
        let value = JSONValue.string("\"\\\n\r\t\u{8}\u{C}\u{0}\u{1}\u{1F}\u{7F}/é日😀")
        #expect(value.jsonString == #""\"\\\n\r\t\b\f\u0000\u0001\u001f"# + "\u{7F}/é日😀\"")
    }

    @Test func escapesKeysLikeStrings() {
        let value: JSONValue = ["a\"b\n": 1]
        #expect(value.jsonString == #"{"a\"b\n":1}"#)
    }

    @Test func escapesAtEveryPositionOfLongStrings() throws {
        for length in 0..<24 {
            for special in ["\"", "\\", "\n", "\u{1}", "é"] {
                let text = String(repeating: "a", count: length) + special + String(repeating: "b", count: 9)
                let written = JSONValue.string(text).jsonBytes()
                #expect(try JSONValue(parsing: written) == .string(text))
            }
        }
    }

    @Test func writeAppendsToAnExistingBuffer() {
        var buffer = Array("prefix:".utf8)
        JSONValue.array([1, "two"]).write(to: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == #"prefix:[1,"two"]"#)
    }

    @Test func jsonBytesAreTheUTF8OfJSONString() {
        let value: JSONValue = ["name": "Zoë", "ids": [1, 2]]
        #expect(value.jsonBytes() == Array(value.jsonString.utf8))
    }

    // MARK: - Round trip

    @Test(arguments: [
        "null", "true", "[]", "{}", #""""#, "-0.0e-0",
        #"{"a":[1,{"b":"c\u0000d"}],"é":"日本","emoji":"😀\ud83d\ude00"}"#,
        #"["\"\\\/\b\f\n\r\t","\u001f\u007f\u0080\u2028"]"#,
        #"{"Id":"001T1000000HjlbIAC","Amount":12345.6700,"Tags":[null,false,true],"Nested":{"Deep":[[[]]]}}"#,
    ])
    func parsingWhatWasWrittenGivesTheSameValue(text: String) throws {
        let value = try JSONValue(parsing: text)
        let written = value.jsonBytes()
        let reparsed = try JSONValue(parsing: written)
        #expect(reparsed == value)
        #expect(reparsed.jsonBytes() == written)
    }
}
