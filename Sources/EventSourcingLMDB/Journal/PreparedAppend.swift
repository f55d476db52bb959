import EventSourcing

/// An append whose event bodies are already encoded, ready for the writer thread.
struct PreparedAppend: Sendable {
    struct Write: Sendable {
        let stream: StreamName
        /// `JournalKeys.streamEnd(stream)`, to find the stream's head in the written index.
        let indexEnd: [UInt8]
        let expectedVersion: ExpectedVersion
        let bodies: [EventRecordCodec.EncodedBody]
    }

    let writes: [Write]
    let eventCount: Int

    init(_ request: AppendRequest) {
        writes = request.writes.map { write in
            Write(
                stream: write.stream,
                indexEnd: JournalKeys.streamEnd(write.stream),
                expectedVersion: write.expectedVersion,
                bodies: write.events.map { EventRecordCodec.encodeBody(stream: write.stream, event: $0) }
            )
        }
        eventCount = request.eventCount
    }
}
