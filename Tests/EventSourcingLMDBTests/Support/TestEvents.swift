import EventSourcing
import JSON

/// A stream in the tests' category.
func counterStream(_ id: String) -> StreamName {
    StreamName(category: "counters", id: id)
}

/// A small event whose payload says where it came from.
func testEvent(_ label: String, number: Int = 0) -> NewEvent {
    NewEvent(
        type: "Appended",
        metadata: ["source": "test"],
        data: ["label": .string(label), "n": JSONValue(integerLiteral: Int64(number))]
    )
}

/// `count` test events labelled `label-0`, `label-1`, ….
func testEvents(_ label: String, count: Int) -> [NewEvent] {
    (0..<count).map { testEvent("\(label)-\($0)", number: $0) }
}

extension Journal {
    /// Every event in the log, read in pages of `pageSize`.
    func readEverything(pageSize: Int = 500) async throws -> [RecordedEvent] {
        var events: [RecordedEvent] = []
        while true {
            let page = try await readAll(after: events.last?.position ?? 0, limit: pageSize)
            guard !page.isEmpty else { return events }
            events.append(contentsOf: page)
        }
    }
}
