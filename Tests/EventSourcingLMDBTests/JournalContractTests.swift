import EventSourcing
import JSON
import Testing

/// The journal contract, run against every journal implementation.
@Suite("Journal contract", .timeLimit(.minutes(2)))
struct JournalContractTests {
    let a = counterStream("a")
    let b = counterStream("b")
    let c = counterStream("c")

    // MARK: - Expected versions

    @Test(arguments: JournalFactory.allCases)
    func appendToANewStreamWithExpectedVersionZeroStartsItAtVersionOne(factory: JournalFactory) async throws {
        try await factory.withJournal { journal in
            let result = try await journal.append(AppendRequest(stream: a, expectedVersion: .exact(0), events: testEvents("a", count: 2)))

            #expect(result.firstPosition == 1)
            #expect(result.lastPosition == 2)
            #expect(result.versions == [2])
            let stored = try await journal.readStream(a, fromVersion: 1, limit: 10)
            #expect(stored.map(\.version) == [1, 2])
            #expect(stored.map(\.position) == [1, 2])
            #expect(stored.allSatisfy { $0.stream == a })
        }
    }

    @Test(arguments: JournalFactory.allCases)
    func appendWithStaleExpectedVersionThrowsConflictAndWritesNothing(factory: JournalFactory) async throws {
        try await factory.withJournal { journal in
            _ = try await journal.append(AppendRequest(stream: a, expectedVersion: .exact(0), events: testEvents("a", count: 3)))

            await #expect(throws: JournalError.versionConflict(stream: a, expected: 1, actual: 3)) {
                try await journal.append(AppendRequest(stream: a, expectedVersion: .exact(1), events: [testEvent("stale")]))
            }
            await #expect(throws: JournalError.versionConflict(stream: a, expected: 0, actual: 3)) {
                try await journal.append(AppendRequest(stream: a, expectedVersion: .exact(0), events: [testEvent("again")]))
            }
            await #expect(throws: JournalError.versionConflict(stream: b, expected: 2, actual: 0)) {
                try await journal.append(AppendRequest(stream: b, expectedVersion: .exact(2), events: [testEvent("ahead")]))
            }

            #expect(try await journal.lastPosition() == 3)
            #expect(try await journal.streamVersion(a) == 3)
            #expect(try await journal.streamVersion(b) == 0)
            #expect(try await journal.readAll(after: 0, limit: 10).count == 3)
            let next = try await journal.append(AppendRequest(stream: a, expectedVersion: .exact(3), events: [testEvent("fresh")]))
            #expect(next.firstPosition == 4)
            #expect(next.versions == [4])
        }
    }

    @Test(arguments: JournalFactory.allCases)
    func appendWithAnyExpectedVersionAppendsWhateverTheVersion(factory: JournalFactory) async throws {
        try await factory.withJournal { journal in
            let first = try await journal.append(AppendRequest(stream: a, expectedVersion: .any, events: [testEvent("1")]))
            let second = try await journal.append(AppendRequest(stream: a, expectedVersion: .any, events: testEvents("2", count: 2)))

            #expect(first.versions == [1])
            #expect(second.versions == [3])
            #expect(second.firstPosition == 2)
            #expect(try await journal.streamVersion(a) == 3)
        }
    }

    // MARK: - Multi-stream appends

    @Test(arguments: JournalFactory.allCases)
    func multiStreamAppendCommitsEveryWriteInRequestOrder(factory: JournalFactory) async throws {
        try await factory.withJournal { journal in
            _ = try await journal.append(AppendRequest(stream: b, expectedVersion: .any, events: [testEvent("b0")]))

            let result = try await journal.append(
                AppendRequest(writes: [
                    StreamWrite(stream: a, expectedVersion: .exact(0), events: testEvents("a", count: 2)),
                    StreamWrite(stream: b, expectedVersion: .exact(1), events: [testEvent("b1")]),
                    StreamWrite(stream: c, expectedVersion: .any, events: [testEvent("c0")]),
                ])
            )

            #expect(result.firstPosition == 2)
            #expect(result.lastPosition == 5)
            #expect(result.versions == [2, 2, 1])
            let all = try await journal.readAll(after: 1, limit: 10)
            #expect(all.map(\.stream) == [a, a, b, c])
            #expect(all.map(\.version) == [1, 2, 2, 1])
            #expect(all.map(\.position) == [2, 3, 4, 5])
        }
    }

    @Test(arguments: JournalFactory.allCases)
    func multiStreamAppendWithOneConflictingWriteWritesNothing(factory: JournalFactory) async throws {
        try await factory.withJournal { journal in
            _ = try await journal.append(AppendRequest(stream: b, expectedVersion: .any, events: testEvents("b", count: 2)))

            await #expect(throws: JournalError.versionConflict(stream: b, expected: 1, actual: 2)) {
                try await journal.append(
                    AppendRequest(writes: [
                        StreamWrite(stream: a, expectedVersion: .exact(0), events: [testEvent("a0")]),
                        StreamWrite(stream: b, expectedVersion: .exact(1), events: [testEvent("b-stale")]),
                        StreamWrite(stream: c, expectedVersion: .any, events: [testEvent("c0")]),
                    ])
                )
            }

            #expect(try await journal.lastPosition() == 2)
            #expect(try await journal.readAll(after: 0, limit: 10).map(\.position) == [1, 2])
            #expect(try await journal.streamVersion(a) == 0)
            #expect(try await journal.streamVersion(b) == 2)
            #expect(try await journal.streamVersion(c) == 0)
            #expect(try await journal.readStream(a, fromVersion: 1, limit: 10).isEmpty)
            let next = try await journal.append(AppendRequest(stream: a, expectedVersion: .exact(0), events: [testEvent("a0")]))
            #expect(next.firstPosition == 3)
        }
    }

    // MARK: - Invalid appends

    @Test(arguments: JournalFactory.allCases)
    func malformedRequestsThrowInvalidAppendAndWriteNothing(factory: JournalFactory) async throws {
        try await factory.withJournal { journal in
            let malformed = [
                AppendRequest(writes: []),
                AppendRequest(stream: a, expectedVersion: .any, events: []),
                AppendRequest(writes: [
                    StreamWrite(stream: a, expectedVersion: .any, events: [testEvent("a0")]),
                    StreamWrite(stream: b, expectedVersion: .any, events: []),
                ]),
                AppendRequest(writes: [
                    StreamWrite(stream: a, expectedVersion: .exact(0), events: [testEvent("a0")]),
                    StreamWrite(stream: a, expectedVersion: .exact(1), events: [testEvent("a1")]),
                ]),
            ]
            for request in malformed {
                let error = await #expect(throws: JournalError.self) { try await journal.append(request) }
                guard case .invalidAppend = error else {
                    Issue.record("expected invalidAppend, got \(String(describing: error))")
                    continue
                }
            }

            let lastPosition = try await journal.lastPosition()
            let log = try await journal.readAll(after: 0, limit: 10)
            let version = try await journal.streamVersion(a)
            #expect(lastPosition == 0)
            #expect(log.isEmpty)
            #expect(version == 0)
        }
    }

    // MARK: - Reading

    @Test(arguments: JournalFactory.allCases)
    func readStreamStartsAtTheGivenVersionAndHonoursTheLimit(factory: JournalFactory) async throws {
        try await factory.withJournal { journal in
            for round in 0..<4 {
                _ = try await journal.append(AppendRequest(stream: a, expectedVersion: .any, events: testEvents("a\(round)", count: 2)))
                _ = try await journal.append(AppendRequest(stream: b, expectedVersion: .any, events: [testEvent("b\(round)")]))
            }
            // a holds versions 1…8 at positions 1,2,4,5,7,8,10,11; b versions 1…4 at 3,6,9,12.

            let middle = try await journal.readStream(a, fromVersion: 3, limit: 4)
            #expect(middle.map(\.version) == [3, 4, 5, 6])
            #expect(middle.map(\.position) == [4, 5, 7, 8])
            #expect(try await journal.readStream(a, fromVersion: 7, limit: 100).map(\.version) == [7, 8])
            #expect(try await journal.readStream(a, fromVersion: 0, limit: 2).map(\.version) == [1, 2])
            #expect(try await journal.readStream(a, fromVersion: 9, limit: 10).isEmpty)
            #expect(try await journal.readStream(a, fromVersion: 1, limit: 0).isEmpty)
            #expect(try await journal.readStream(b, fromVersion: 1, limit: 10).map(\.position) == [3, 6, 9, 12])
            #expect(try await journal.readStream(c, fromVersion: 1, limit: 10).isEmpty)
            // A stream whose name extends another's is a different stream.
            #expect(try await journal.readStream(counterStream("a-longer"), fromVersion: 1, limit: 10).isEmpty)
            #expect(try await journal.readStream(StreamName(category: "counter", id: "a"), fromVersion: 1, limit: 10).isEmpty)
        }
    }

    @Test(arguments: JournalFactory.allCases)
    func readAllReturnsEventsAfterThePositionInOrderWithinTheLimit(factory: JournalFactory) async throws {
        try await factory.withJournal { journal in
            for round in 0..<5 {
                _ = try await journal.append(
                    AppendRequest(writes: [
                        StreamWrite(stream: a, expectedVersion: .any, events: [testEvent("a\(round)")]),
                        StreamWrite(stream: b, expectedVersion: .any, events: [testEvent("b\(round)")]),
                    ])
                )
            }

            #expect(try await journal.readAll(after: 0, limit: 3).map(\.position) == [1, 2, 3])
            #expect(try await journal.readAll(after: 3, limit: 4).map(\.position) == [4, 5, 6, 7])
            #expect(try await journal.readAll(after: 8, limit: 100).map(\.position) == [9, 10])
            #expect(try await journal.readAll(after: 10, limit: 100).isEmpty)
            #expect(try await journal.readAll(after: 1000, limit: 100).isEmpty)
            #expect(try await journal.readAll(after: UInt64.max, limit: 100).isEmpty)
            #expect(try await journal.readAll(after: 0, limit: 0).isEmpty)
            let all = try await journal.readAll(after: 0, limit: 100)
            #expect(all.map(\.stream) == Array(repeating: [a, b], count: 5).flatMap { $0 })
            #expect(all.map { $0.data["label"]?.stringValue ?? "" } == (0..<5).flatMap { ["a\($0)", "b\($0)"] })
        }
    }

    @Test(arguments: JournalFactory.allCases)
    func lastPositionAndStreamVersionStartAtZeroAndFollowAppends(factory: JournalFactory) async throws {
        try await factory.withJournal { journal in
            #expect(try await journal.lastPosition() == 0)
            #expect(try await journal.streamVersion(a) == 0)

            _ = try await journal.append(AppendRequest(stream: a, expectedVersion: .exact(0), events: testEvents("a", count: 3)))
            _ = try await journal.append(AppendRequest(stream: b, expectedVersion: .exact(0), events: testEvents("b", count: 2)))

            #expect(try await journal.lastPosition() == 5)
            #expect(try await journal.streamVersion(a) == 3)
            #expect(try await journal.streamVersion(b) == 2)
            #expect(try await journal.streamVersion(c) == 0)
        }
    }

    // MARK: - Round trip

    @Test(arguments: JournalFactory.allCases)
    func everyFieldOfAnEventRoundTrips(factory: JournalFactory) async throws {
        try await factory.withJournal { journal in
            let huge = try #require(JSONNumber(text: "123456789012345678901234567890"))
            let amount = try #require(JSONNumber(text: "-12.50"))
            let metadata: JSONObject = [
                "source": "cdc",
                "transactionKey": "0001a2b3-c4d5",
                "sequenceNumber": 7,
                "changeOrigin": .null,
                "zebra": true,
                "alpha": false,
            ]
            let data: JSONValue = [
                "Name": "Zoë Ünïcødé 🌊 — \"quoted\"\n",
                "AnnualRevenue": .number(amount),
                "CommitNumber": .number(huge),
                "Nulled": .null,
                "Tags": ["a", 1, 2.5, [], [:]],
                "Address": ["City": "Zürich", "Lines": ["1 Main St", ""]],
                "Empty": "",
            ]
            let imported = Timestamp(millisecondsSinceEpoch: 1_600_000_000_123)
            let before = Timestamp.now()
            let result = try await journal.append(
                AppendRequest(stream: a, expectedVersion: .exact(0), events: [
                    NewEvent(type: "ClientUpdated", metadata: metadata, data: data),
                    NewEvent(type: "ClientImported", metadata: [:], data: "plain", recordedAt: imported),
                ])
            )

            let stored = try await journal.readStream(a, fromVersion: 1, limit: 10)
            try #require(stored.count == 2)
            #expect(stored[0] == RecordedEvent(
                position: 1, stream: a, version: 1, type: "ClientUpdated",
                recordedAt: result.recordedAt, metadata: metadata, data: data
            ))
            #expect(stored[0].metadata.keys == ["source", "transactionKey", "sequenceNumber", "changeOrigin", "zebra", "alpha"])
            #expect(stored[1] == RecordedEvent(
                position: 2, stream: a, version: 2, type: "ClientImported",
                recordedAt: imported, metadata: [:], data: "plain"
            ))
            #expect(try await journal.readAll(after: 0, limit: 10) == stored)
            // Without a time of its own, an event is recorded at its commit.
            #expect(before <= result.recordedAt && result.recordedAt <= Timestamp.now())
        }
    }
}
