import JSON
import Testing

@Suite("ByteWriter and ByteReader")
struct ByteCodingTests {
    // MARK: - Variable-length integers

    @Test func varUIntUsesTheShortestLEB128Form() {
        let cases: [(UInt64, [UInt8])] = [
            (0, [0x00]),
            (1, [0x01]),
            (127, [0x7F]),
            (128, [0x80, 0x01]),
            (300, [0xAC, 0x02]),
            (16_383, [0xFF, 0x7F]),
            (16_384, [0x80, 0x80, 0x01]),
            (UInt64.max, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
        ]
        for (value, expected) in cases {
            var writer = ByteWriter()
            writer.writeVarUInt(value)
            #expect(writer.bytes == expected, "\(value)")
        }
    }

    @Test(arguments: [0, 1, 127, 128, 255, 256, 16_383, 16_384, 1 << 32, 1 << 56, UInt64.max - 1, UInt64.max])
    func varUIntRoundTrips(value: UInt64) throws {
        var writer = ByteWriter()
        writer.writeVarUInt(value)
        var reader = ByteReader(writer.bytes)
        #expect(try reader.readVarUInt() == value)
        #expect(reader.isAtEnd)
    }

    @Test func varIntZigzagsSoSmallNegativesStayShort() {
        let cases: [(Int64, [UInt8])] = [
            (0, [0x00]), (-1, [0x01]), (1, [0x02]), (-2, [0x03]), (63, [0x7E]), (-64, [0x7F]), (64, [0x80, 0x01]),
            (Int64.min, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
        ]
        for (value, expected) in cases {
            var writer = ByteWriter()
            writer.writeVarInt(value)
            #expect(writer.bytes == expected, "\(value)")
        }
    }

    @Test(arguments: [0, -1, 1, -64, 64, -65, 1_000_000, -1_000_000, Int64.max, Int64.min, Int64.min + 1])
    func varIntRoundTrips(value: Int64) throws {
        var writer = ByteWriter()
        writer.writeVarInt(value)
        var reader = ByteReader(writer.bytes)
        #expect(try reader.readVarInt() == value)
        #expect(reader.isAtEnd)
    }

    @Test func malformedVarUIntsThrowWithoutMovingTheReader() {
        let cases: [(bytes: [UInt8], fragment: String)] = [
            ([], "unexpected end of data"),
            ([0x80], "unexpected end of data in a varint"),
            ([0xFF, 0xFF], "unexpected end of data in a varint"),
            ([0x80, 0x00], "over-long varint at byte 0: redundant zero byte"),
            ([0xFF, 0x80, 0x00], "redundant zero byte"),
            ([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02], "more than 64 bits"),
            ([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x81, 0x00], "more than 64 bits"),
            ([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], "more than 64 bits"),
        ]
        for (bytes, fragment) in cases {
            var reader = ByteReader(bytes)
            let error = #expect(throws: ByteReaderError.self) { try reader.readVarUInt() }
            #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "none") lacks \(fragment)")
            #expect(error?.offset == 0)
            #expect(reader.offset == 0)
        }
    }

    // MARK: - Fixed-width integers

    @Test func fixedWidthIntegersUseTheStatedByteOrder() throws {
        var writer = ByteWriter(capacity: 24)
        writer.writeUInt32LE(0x0102_0304)
        writer.writeUInt32BE(0x0102_0304)
        writer.writeUInt64LE(0x0102_0304_0506_0708)
        writer.writeUInt64BE(0x0102_0304_0506_0708)
        #expect(writer.bytes == [4, 3, 2, 1, 1, 2, 3, 4, 8, 7, 6, 5, 4, 3, 2, 1, 1, 2, 3, 4, 5, 6, 7, 8])
        var reader = ByteReader(writer.bytes)
        #expect(try reader.readUInt32LE() == 0x0102_0304)
        #expect(try reader.readUInt32BE() == 0x0102_0304)
        #expect(try reader.readUInt64LE() == 0x0102_0304_0506_0708)
        #expect(try reader.readUInt64BE() == 0x0102_0304_0506_0708)
        #expect(reader.isAtEnd)
    }

    @Test func shortReadsThrowAndSayWhatWasMissing() throws {
        var reader = ByteReader([1, 2, 3, 4, 5])
        _ = try reader.readUInt8()
        let error = #expect(throws: ByteReaderError.self) { try reader.readUInt64BE() }
        #expect(error == ByteReaderError(offset: 1, message: "unexpected end of data at byte 1: needed 8 bytes, 4 left"))
        #expect(try reader.readUInt32LE() == 0x0504_0302)
        #expect(throws: ByteReaderError.self) { try reader.readUInt8() }
    }

    // MARK: - Bytes and strings

    @Test func bytesAndStringsRoundTrip() throws {
        var writer = ByteWriter()
        writer.writeBytes([0xDE, 0xAD])
        writer.writeString("")
        writer.writeString("Zoë — 日本 😀")
        writer.writeUInt8(0x7F)
        var reader = ByteReader(writer.bytes)
        #expect(try reader.readBytes(count: 2) == [0xDE, 0xAD])
        #expect(try reader.readString() == "")
        #expect(try reader.readString() == "Zoë — 日本 😀")
        #expect(reader.remainingCount == 1)
        try reader.skip(count: 1)
        #expect(reader.isAtEnd)
    }

    @Test func stringsWithInvalidUTF8Throw() {
        for bytes: [UInt8] in [[0x01, 0xFF], [0x02, 0xC3, 0x28], [0x03, 0xED, 0xA0, 0x80], [0x09, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x80]] {
            var reader = ByteReader(bytes)
            let error = #expect(throws: ByteReaderError.self) { try reader.readString() }
            #expect(error?.message.contains("invalid UTF-8") == true)
            #expect(reader.offset == 0)
        }
    }

    @Test func stringsSplitAtTheirFirstSeparator() throws {
        var writer = ByteWriter()
        for text in ["clients/001T1000001nI4jIAE", "zoë/日本/😀", "no-separator", "/", ""] { writer.writeString(text) }
        var reader = ByteReader(writer.bytes)
        #expect(try reader.readString(splitAtFirst: UInt8(ascii: "/")) == ("clients", "001T1000001nI4jIAE"))
        #expect(try reader.readString(splitAtFirst: UInt8(ascii: "/")) == ("zoë", "日本/😀"))
        #expect(try reader.readString(splitAtFirst: UInt8(ascii: "/")) == ("no-separator", nil))
        #expect(try reader.readString(splitAtFirst: UInt8(ascii: "/")) == ("", ""))
        #expect(try reader.readString(splitAtFirst: UInt8(ascii: "/")) == ("", nil))
        #expect(reader.isAtEnd)

        // Invalid UTF-8 anywhere in the whole throws, and leaves the offset where it was.
        var invalid = ByteReader([0x03, 0x61, 0x2F, 0xFF])
        #expect(throws: ByteReaderError.self) { try invalid.readString(splitAtFirst: UInt8(ascii: "/")) }
        #expect(invalid.offset == 0)
    }

    @Test func stringsLongerThanTheDataThrow() {
        var reader = ByteReader([0x80, 0x01, 0x61])
        let error = #expect(throws: ByteReaderError.self) { try reader.readString() }
        #expect(error?.message.contains("length 128, 1 bytes left") == true)
        #expect(reader.offset == 0)
    }

    @Test func negativeOrExcessiveCountsThrow() {
        var reader = ByteReader([1, 2, 3])
        #expect(throws: ByteReaderError.self) { try reader.readBytes(count: -1) }
        #expect(throws: ByteReaderError.self) { try reader.readBytes(count: 4) }
        #expect(throws: ByteReaderError.self) { try reader.skip(count: Int.max) }
        #expect(reader.offset == 0)
    }
}
