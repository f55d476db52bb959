import JSON
import Testing

@Suite("JSONValue binary form")
struct JSONValueBinaryTests {
    static let sample: JSONValue = [
        "ChangeEventHeader": [
            "commitNumber": 1_100_670_838_951,
            "changeType": "UPDATE",
            "changedFields": ["Name", "BillingAddress.Street"],
            "recordIds": ["001T1000000HjlbIAC"],
        ],
        "Name": "Zoë & Co — 日本",
        "AnnualRevenue": 1.5e9,
        "NumberOfEmployees": -42,
        "IsDeleted": false,
        "Parent": nil,
        "Nested": [[[], [:], ["k": [true]]]],
    ]

    // MARK: - Round trip

    @Test func nestedValueRoundTrips() throws {
        let bytes = Self.sample.binaryBytes()
        let decoded = try JSONValue(binary: bytes)
        #expect(decoded == Self.sample)
        #expect(decoded.jsonBytes() == Self.sample.jsonBytes())
    }

    @Test(arguments: [
        "0", "-0", "7", "-7", "127", "128", "1100670838951", "18446744073709551615", "18446744073709551616",
        "-18446744073709551615", "-18446744073709551616", "-9223372036854775808", "1.5", "1e5", "1E+5", "-0.0",
        "12345678901234567890123",
    ])
    func numberTextRoundTripsExactly(text: String) throws {
        let number = try #require(JSONNumber(text: text))
        let decoded = try JSONValue(binary: JSONValue.number(number).binaryBytes())
        #expect(decoded.numberValue?.text == text)
    }

    @Test func canonicalIntegersUseTheCompactForm() throws {
        #expect(JSONValue.number(JSONNumber(1_100_670_838_951)).binaryBytes().count == 1 + 6)
        #expect(JSONValue(integerLiteral: -1).binaryBytes() == [0x05, 0x01])
        #expect(JSONValue(integerLiteral: 0).binaryBytes() == [0x04, 0x00])
        let negativeZero = try #require(JSONNumber(text: "-0"))
        #expect(JSONValue.number(negativeZero).binaryBytes() == [0x03, 0x02] + Array("-0".utf8))
    }

    @Test func decodeBinaryReadsOneValueAndLeavesTheReaderAfterIt() throws {
        var writer = ByteWriter()
        JSONValue.string("first").encodeBinary(into: &writer)
        Self.sample.encodeBinary(into: &writer)
        writer.writeUInt32LE(0xDEAD_BEEF)
        var reader = ByteReader(writer.bytes)
        #expect(try JSONValue.decodeBinary(from: &reader) == "first")
        #expect(try JSONValue.decodeBinary(from: &reader) == Self.sample)
        #expect(try reader.readUInt32LE() == 0xDEAD_BEEF)
        #expect(reader.isAtEnd)
    }

    @Test func keepsMemberOrder() throws {
        let value = try JSONValue(parsing: #"{"z":1,"a":{"y":2,"b":3},"m":4}"#)
        let decoded = try JSONValue(binary: value.binaryBytes())
        #expect(decoded.objectValue?.keys == ["z", "a", "m"])
        #expect(decoded["a"]?.objectValue?.keys == ["y", "b"])
    }

    @Test func largeObjectsRoundTrip() throws {
        var object = JSONObject()
        for index in 0..<100 { object.appendUnique(key: "field\(index)", value: .number(JSONNumber(index))) }
        let value = JSONValue.object(object)
        #expect(try JSONValue(binary: value.binaryBytes()) == value)
    }

    // MARK: - Corrupt input

    @Test func everyTruncationThrows() {
        let bytes = Self.sample.binaryBytes()
        for length in 0..<bytes.count {
            #expect(throws: JSONBinaryError.self) { try JSONValue(binary: Array(bytes[..<length])) }
        }
    }

    @Test func trailingBytesThrow() {
        let error = #expect(throws: JSONBinaryError.self) { try JSONValue(binary: [0x00, 0x00]) }
        #expect(error?.offset == 1)
    }

    @Test func randomBytesThrowOrDecodeToAValueThatRoundTrips() throws {
        var generator = SeededGenerator(seed: 0x7269_6275_7461_7279)
        var decodedCount = 0
        for _ in 0..<5000 {
            let length = Int.random(in: 0...48, using: &generator)
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            // Bias towards plausible tags so decoding gets past the first byte.
            if !bytes.isEmpty { bytes[0] = UInt8.random(in: 0...9, using: &generator) }
            do {
                let value = try JSONValue(binary: bytes)
                decodedCount += 1
                #expect(try JSONValue(binary: value.binaryBytes()) == value)
            } catch {
                #expect(error.offset >= 0 && error.offset <= bytes.count)
            }
        }
        #expect(decodedCount > 0)
    }

    @Test func flippedBytesOfAValidEncodingNeverCrash() {
        let valid = Self.sample.binaryBytes()
        var generator = SeededGenerator(seed: 42)
        for _ in 0..<3000 {
            var bytes = valid
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            _ = try? JSONValue(binary: bytes)
        }
    }

    @Test func rejectsSpecificCorruptions() {
        let cases: [(bytes: [UInt8], fragment: String)] = [
            ([0x09], "unknown value tag 0x09"),
            ([0x07, 0x05, 0x00], "claims 5 entries"),
            ([0x07, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F], "claims"),
            ([0x08, 0x02, 0x01, 0x61, 0x00], "claims 2 entries"),
            ([0x06, 0x02, 0xC3, 0x28], "invalid UTF-8"),
            ([0x06, 0x05, 0x61], "unexpected end of data"),
            ([0x03, 0x02, 0x30, 0x31], "invalid number text"),
            ([0x03, 0x00], "invalid number text"),
            ([0x05, 0x00], "negative integer zero"),
            ([0x04, 0x80, 0x00], "over-long varint"),
            ([0x08, 0x02, 0x01, 0x61, 0x00, 0x01, 0x61, 0x00], "duplicate object key"),
        ]
        for (bytes, fragment) in cases {
            let error = #expect(throws: JSONBinaryError.self) { try JSONValue(binary: bytes) }
            #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "none") lacks \(fragment)")
        }
    }

    @Test func rejectsDuplicateKeysInLargeObjects() {
        var writer = ByteWriter()
        writer.writeUInt8(0x08)
        writer.writeVarUInt(21)
        for index in 0..<20 {
            writer.writeString("key\(index)")
            writer.writeUInt8(0x00)
        }
        writer.writeString("key3")
        writer.writeUInt8(0x00)
        let error = #expect(throws: JSONBinaryError.self) { try JSONValue(binary: writer.bytes) }
        #expect(error?.message.contains("duplicate object key") == true)
    }

    /// Keys are unique as bytes, as the parser sees them: "é" precomposed and decomposed are
    /// two keys (Swift's `==` calls them equal), in small and in large objects alike.
    @Test(arguments: [0, 20])
    func keysThatDifferOnlyInNormalisationAreBothKept(otherKeys: Int) throws {
        let text = "{" + (0..<otherKeys).map { "\"k\($0)\":\($0)," }.joined() + "\"caf\u{E9}\":1,\"cafe\u{301}\":2}"
        let parsed = try JSONValue(parsing: text)
        guard case .object(let object) = parsed else { Issue.record("not an object"); return }
        #expect(object.count == otherKeys + 2)
        guard case .object(let decoded) = try JSONValue(binary: parsed.binaryBytes()) else { Issue.record("not an object"); return }
        // Compared member by member, as bytes: `JSONObject`'s `==` looks keys up with `==`.
        #expect(decoded.members.map { Array($0.key.utf8) } == object.members.map { Array($0.key.utf8) })
        #expect(decoded.members.map(\.value) == object.members.map(\.value))
    }

    @Test func rejectsNestingDeeperThanTheLimit() throws {
        let depth = JSONValue.maxBinaryDepth
        var value: JSONValue = .null
        for _ in 0..<depth { value = .array([value]) }
        #expect(try JSONValue(binary: value.binaryBytes()) == value)
        let tooDeep = JSONValue.array([value]).binaryBytes()
        let error = #expect(throws: JSONBinaryError.self) { try JSONValue(binary: tooDeep) }
        #expect(error?.message.contains("nesting deeper than \(depth) levels") == true)
    }
}
