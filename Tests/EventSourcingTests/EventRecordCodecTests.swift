import JSON
import Testing

@testable import EventSourcing

/// The stored form of one event: what comes back is what went in, and a stored stream name that
/// is not `category/id` is reported as corruption, not turned into some other stream.
@Suite("EventRecordCodec")
struct EventRecordCodecTests {
    /// The complete record (header and body) for `body` at `position`.
    private func record(_ body: EventRecordCodec.EncodedBody, position: UInt64, version: UInt64) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: EventRecordCodec.headerSize)
        header.withUnsafeMutableBytes { buffer in
            EventRecordCodec.writeHeader(
                into: buffer, body: body, position: position, version: version,
                recordedAt: Timestamp(millisecondsSinceEpoch: 1_714_156_685_000)
            )
        }
        return header + body.bytes
    }

    private func decode(_ record: [UInt8], position: UInt64) throws -> RecordedEvent {
        try record.withUnsafeBytes { buffer in try EventRecordCodec.decode(position: position, record: buffer) }
    }

    @Test func anEventRoundTrips() throws {
        let stream = StreamName(category: "clients", id: "001T1000001nI4jIAE")
        let event = NewEvent(type: "ClientUpdated", metadata: ["source": "cdc"], data: ["fields": ["Name": "Zoë — 日本"]])
        let body = EventRecordCodec.encodeBody(stream: stream, event: event)
        let decoded = try decode(record(body, position: 42, version: 3), position: 42)
        #expect(decoded.stream == stream)
        #expect(decoded.stream.description == "clients/001T1000001nI4jIAE")
        #expect(decoded.position == 42)
        #expect(decoded.version == 3)
        #expect(decoded.type == "ClientUpdated")
        #expect(decoded.metadata == ["source": "cdc"])
        #expect(decoded.data == ["fields": ["Name": "Zoë — 日本"]])
        // The stored name is the one `description` spells, byte for byte.
        var reader = ByteReader(body.bytes)
        #expect(try reader.readString() == stream.description)
    }

    @Test(arguments: ["noslash", "/id", "clients/", "/"])
    func aStoredStreamNameThatIsNotCategorySlashIdIsCorrupt(_ name: String) throws {
        var writer = ByteWriter()
        writer.writeString(name)
        writer.writeString("E")
        JSONValue.object([:]).encodeBinary(into: &writer)
        JSONValue.object([:]).encodeBinary(into: &writer)
        let body = EventRecordCodec.EncodedBody(bytes: writer.bytes, checksum: CRC32C.checksum(writer.bytes), recordedAt: nil)
        let error = #expect(throws: JournalError.self) { try decode(record(body, position: 7, version: 1), position: 7) }
        guard case .corruptEvent(let position, let reason)? = error else {
            Issue.record("expected corruptEvent, got \(String(describing: error))")
            return
        }
        #expect(position == 7)
        #expect(reason == "invalid stream name \(name)")
    }
    /// Events share one box between copies: a copy is equal and hashes alike, an event built
    /// apart from the same parts is equal, and setting a part on a copy leaves the original.
    @Test func eventsAreValues() {
        let original = RecordedEvent(
            position: 7, stream: StreamName(category: "clients", id: "001A"), version: 2, type: "ClientUpdated",
            recordedAt: Timestamp(millisecondsSinceEpoch: 1_000), metadata: ["source": "cdc"], data: ["fields": ["Name": "Acme"]]
        )
        let twin = RecordedEvent(
            position: 7, stream: StreamName(category: "clients", id: "001A"), version: 2, type: "ClientUpdated",
            recordedAt: Timestamp(millisecondsSinceEpoch: 1_000), metadata: ["source": "cdc"], data: ["fields": ["Name": "Acme"]]
        )
        #expect(twin == original && twin.hashValue == original.hashValue)
        var copy = original
        copy.version = 3
        copy.metadata = ["source": "api"]
        #expect(copy != original)
        #expect(original.version == 2 && original.metadata == ["source": "cdc"])
        #expect(copy.version == 3 && copy.position == 7 && copy.data == original.data)
        for changed in [
            RecordedEvent(position: 8, stream: twin.stream, version: 2, type: twin.type, recordedAt: twin.recordedAt, metadata: twin.metadata, data: twin.data),
            RecordedEvent(position: 7, stream: twin.stream, version: 2, type: twin.type, recordedAt: twin.recordedAt, metadata: twin.metadata, data: ["fields": [:]]),
        ] {
            #expect(changed != original)
        }
    }
}
