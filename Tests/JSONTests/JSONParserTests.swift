import Testing

import JSON

@Suite("JSONParser accepts RFC 8259 JSON")
struct JSONParserTests {
    // MARK: - Values

    @Test func parsesEveryKindOfScalar() throws {
        #expect(try JSONValue(parsing: "null") == .null)
        #expect(try JSONValue(parsing: "true") == .bool(true))
        #expect(try JSONValue(parsing: "false") == .bool(false))
        #expect(try JSONValue(parsing: "0") == .number(JSONNumber(0)))
        #expect(try JSONValue(parsing: "\"\"") == .string(""))
        #expect(try JSONValue(parsing: "\"Hello world!\"") == .string("Hello world!"))
        #expect(try JSONValue(parsing: "[]") == .array([]))
        #expect(try JSONValue(parsing: "{}") == .object(JSONObject()))
    }

    @Test func parsesNestedContainersKeepingMemberOrder() throws {
        let value = try JSONValue(parsing: #"{"z":[1,{"b":null,"a":[true,false]}],"y":{},"x":[[]]}"#)
        #expect(value.objectValue?.keys == ["z", "y", "x"])
        #expect(value["z"]?.arrayValue?[1].objectValue?.keys == ["b", "a"])
        #expect(value["z"]?.arrayValue?[1]["a"] == [true, false])
        #expect(value["y"] == .object(JSONObject()))
        #expect(value["x"] == .array([.array([])]))
    }

    @Test func skipsWhitespaceAroundEveryToken() throws {
        let value = try JSONValue(parsing: " \t\r\n{ \"a\" :\n[ 1 ,\t2 ] , \"b\" : \"c\" }\r\n ")
        #expect(value == ["a": [1, 2], "b": "c"])
    }

    @Test func acceptsNestingUpToTheDepthLimit() throws {
        let text = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        var value = try JSONValue(parsing: text)
        var depth = 0
        while case .array(let elements) = value {
            depth += 1
            value = elements.first ?? .null
        }
        #expect(depth == 64)
    }

    @Test func parsesTheRFC8259ObjectExample() throws {
        let text = """
            {
              "Image": {
                "Width":  800,
                "Height": 600,
                "Title":  "View from 15th Floor",
                "Thumbnail": {
                  "Url":    "http://www.example.com/image/481989943",
                  "Height": 125,
                  "Width":  100
                },
                "Animated" : false,
                "IDs": [116, 943, 234, 38793]
              }
            }
            """
        let value = try JSONValue(parsing: text)
        #expect(value["Image"]?["Width"]?.int64Value == 800)
        #expect(value["Image"]?["Thumbnail"]?["Url"] == "http://www.example.com/image/481989943")
        #expect(value["Image"]?["Animated"] == false)
        #expect(value["Image"]?["IDs"] == [116, 943, 234, 38793])
        #expect(value["Image"]?.objectValue?.keys == ["Width", "Height", "Title", "Thumbnail", "Animated", "IDs"])
    }

    @Test func parsesTheRFC8259ArrayExample() throws {
        let text = """
            [
              {
                 "precision": "zip",
                 "Latitude":  37.7668,
                 "Longitude": -122.3959,
                 "Address":   "",
                 "City":      "SAN FRANCISCO",
                 "State":     "CA",
                 "Zip":       "94107",
                 "Country":   "US"
              },
              {
                 "precision": "zip",
                 "Latitude":  37.371991,
                 "Longitude": -122.026020,
                 "Address":   "",
                 "City":      "SUNNYVALE",
                 "State":     "CA",
                 "Zip":       "94085",
                 "Country":   "US"
              }
            ]
            """
        let value = try JSONValue(parsing: text)
        #expect(value.arrayValue?.count == 2)
        #expect(value.arrayValue?[1]["Longitude"]?.numberValue?.text == "-122.026020")
        #expect(value.arrayValue?[0]["City"] == "SAN FRANCISCO")
    }

    @Test func parsesTheRFC8259ScalarTexts() throws {
        #expect(try JSONValue(parsing: #""Hello world!""#) == "Hello world!")
        #expect(try JSONValue(parsing: "42") == 42)
        #expect(try JSONValue(parsing: "true") == true)
    }

    // MARK: - Numbers

    @Test(arguments: [
        "0", "-0", "7", "-7", "1100670838951", "12345678901234567890", "-9223372036854775809",
        "0.5", "-0.000", "1.50", "1e5", "1E+5", "1e-05", "-12.50e+010", "1E400", "123456789012345678901234567890.5",
    ])
    func keepsTheExactTextOfNumbers(text: String) throws {
        let value = try JSONValue(parsing: text)
        #expect(value.numberValue?.text == text)
    }

    @Test func keepsBigIntegersExact() throws {
        let value = try JSONValue(parsing: #"{"commitNumber":1100670838951,"big":12345678901234567890}"#)
        #expect(value["commitNumber"]?.int64Value == 1_100_670_838_951)
        #expect(value["big"]?.numberValue?.text == "12345678901234567890")
        #expect(value["big"]?.int64Value == nil)
    }

    // MARK: - Strings

    @Test func decodesEveryEscape() throws {
        let value = try JSONValue(parsing: #""\"\\\/\b\f\n\r\t""#)
        #expect(value == .string("\"\\/\u{8}\u{C}\n\r\t"))
    }

    @Test func decodesUnicodeEscapesIncludingSurrogatePairs() throws {
        #expect(try JSONValue(parsing: #""\u0041\u00e9\u00E9\u20AC""#) == "Aéé€")
        #expect(try JSONValue(parsing: #""\uD83D\uDE00""#) == "😀")
        #expect(try JSONValue(parsing: #""a\ud834\udd1eb""#) == "a𝄞b")
        #expect(try JSONValue(parsing: #""\u0000""#) == "\u{0}")
    }

    @Test func keepsRawNonASCIIText() throws {
        let text = "héllo 日本語 😀 Ωmega"
        #expect(try JSONValue(parsing: "\"\(text)\"") == .string(text))
    }

    @Test func parsesStringsOfEveryLengthAroundTheWordBoundaries() throws {
        for length in 0..<40 {
            let plain = String(repeating: "a", count: length)
            #expect(try JSONValue(parsing: "\"\(plain)\"") == .string(plain))
            let escapedAtEnd = plain + "\\n"
            #expect(try JSONValue(parsing: "\"\(escapedAtEnd)\"") == .string(plain + "\n"))
            let withAccent = plain + "é" + plain
            #expect(try JSONValue(parsing: "\"\(withAccent)\"") == .string(withAccent))
        }
    }

    @Test func keepsPlainTextBetweenEscapes() throws {
        let value = try JSONValue(parsing: #""first line\nsecond \"quoted\" é\tend""#)
        #expect(value == "first line\nsecond \"quoted\" é\tend")
    }

    // MARK: - Duplicate keys

    @Test func duplicateKeyTakesTheLastValueAtTheFirstPosition() throws {
        let value = try JSONValue(parsing: #"{"a":1,"b":2,"a":3}"#)
        #expect(value.objectValue?.keys == ["a", "b"])
        #expect(value["a"] == 3)
        #expect(value["b"] == 2)
    }

    @Test func duplicateKeysInLargeObjectsTakeTheLastValueAtTheFirstPosition() throws {
        let members = (0..<40).map { "\"k\($0)\":\($0)" }
        let duplicates = ["\"k3\":\"late\"", "\"k30\":\"later\"", "\"k3\":\"last\""]
        let text = "{" + (members + duplicates).joined(separator: ",") + "}"
        let value = try JSONValue(parsing: text)
        #expect(value.objectValue?.count == 40)
        #expect(value.objectValue?.keys == (0..<40).map { "k\($0)" })
        #expect(value["k3"] == "last")
        #expect(value["k30"] == "later")
        #expect(value["k39"] == 39)
    }

    @Test func escapedAndPlainSpellingsOfAKeyAreTheSameKey() throws {
        let small = try JSONValue(parsing: #"{"ab":1,"\u0061b":2,"x":3,"a\u0062":4}"#)
        #expect(small.objectValue?.keys == ["ab", "x"])
        #expect(small["ab"] == 4)
        let members = (0..<20).map { "\"k\($0)\":\($0)" }
        let large = try JSONValue(parsing: "{" + members.joined(separator: ",") + #","\u006b7":"escaped"}"#)
        #expect(large.objectValue?.count == 20)
        #expect(large["k7"] == "escaped")
    }

    @Test func parsesLargeNestedContainers() throws {
        let object = "{" + (0..<70).map { "\"field\($0)\":[\($0),\"v\($0)\"]" }.joined(separator: ",") + "}"
        let text = "[" + Array(repeating: object, count: 300).joined(separator: ",") + "]"
        let value = try JSONValue(parsing: text)
        #expect(value.arrayValue?.count == 300)
        #expect(value.arrayValue?.last?.objectValue?.count == 70)
        #expect(value.arrayValue?.last?["field69"] == [69, "v69"])
        #expect(value.arrayValue?.first?.objectValue?.keys.first == "field0")
    }

    // MARK: - Inputs

    @Test func parsesEveryKindOfByteInput() throws {
        let text = #"{"a":[1,"é"]}"#
        let expected: JSONValue = ["a": [1, "é"]]
        let bytes = Array(text.utf8)
        #expect(try JSONValue(parsing: bytes) == expected)
        #expect(try JSONValue(parsing: (Array("  ".utf8) + bytes)[2...]) == expected)
        #expect(try bytes.withUnsafeBytes { buffer throws(JSONParseError) in try JSONValue(parsing: buffer) } == expected)
        #expect(try JSONValue(parsing: text.utf8) == expected)
        #expect(try JSONValue(parsing: bytes.lazy.map { $0 }) == expected)
        #expect(try JSONParser().parse(bytes) == expected)
    }

    @Test func stringLimitRejectsLongerStrings() throws {
        let limits = JSONParser.Limits(maxStringLength: 4)
        #expect(try JSONValue(parsing: #""abcd""#, limits: limits) == "abcd")
        #expect(try JSONValue(parsing: #""\u0041bcd""#, limits: limits) == "Abcd")
        let error = #expect(throws: JSONParseError.self) { try JSONValue(parsing: #"["abcde"]"#, limits: limits) }
        #expect(error?.offset == 1)
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: #"{"abcd\n":1}"#, limits: limits) }
    }

    @Test func depthLimitIsConfigurable() throws {
        let limits = JSONParser.Limits(maxDepth: 2)
        #expect(try JSONValue(parsing: "[[1]]", limits: limits) == [[1]])
        let error = #expect(throws: JSONParseError.self) { try JSONValue(parsing: #"[{"a":[]}]"#, limits: limits) }
        #expect(error?.offset == 6)
        #expect(error?.message == "nesting deeper than 2 levels at byte 6")
    }
}
