import EventSourcing
import EventSourcingLMDB
import JSON
import Testing

/// The LMDB journal's single writer: group commit, acknowledgement after commit, independent
/// requests within a batch, and growing the map.
@Suite("LMDBJournal group commit", .timeLimit(.minutes(3)))
struct LMDBGroupCommitTests {
    // MARK: - Group commit

    /// Appends one padded event labelled `label` and reports whether, the moment the append
    /// returned, a new read already saw it. The padding makes commits write real data, so an
    /// acknowledgement sent before its commit finished would be caught reading the old snapshot.
    static func appendIsVisibleOnReturn(_ journal: LMDBJournal, label: String, stream: StreamName) async throws -> Bool {
        let event = NewEvent(type: "Appended", data: ["label": .string(label), "padding": .string(String(repeating: "p", count: 16_000))])
        let result = try await journal.append(AppendRequest(stream: stream, expectedVersion: .any, events: [event]))
        let found = try await journal.readAll(after: result.lastPosition - 1, limit: 1)
        let lastPosition = try await journal.lastPosition()
        return found.first?.position == result.lastPosition && found.first?.data["label"]?.stringValue == label
            && lastPosition >= result.lastPosition
    }

    @Test func everyAppendIsCommittedWhenItReturns() async throws {
        try await withLMDBJournal { journal, _ in
            var unreadable: [String] = []
            for index in 0..<50 {
                let visible = try await Self.appendIsVisibleOnReturn(journal, label: "\(index)", stream: counterStream("a"))
                if !visible { unreadable.append("\(index)") }
            }
            #expect(unreadable.isEmpty)
            #expect(journal.writerStatistics.commits == 50)
        }
    }

    @Test func concurrentAppendersShareCommitsAndEachAppendIsCommittedWhenItReturns() async throws {
        let appenders = 520
        let appendsEach = 2
        let appends = appenders * appendsEach
        try await withLMDBJournal { journal, _ in
            let unreadable = try await withThrowingTaskGroup(of: [String].self) { group in
                for appender in 0..<appenders {
                    group.addTask {
                        var unreadable: [String] = []
                        for round in 0..<appendsEach {
                            let label = "append-\(appender)-\(round)"
                            let stream = counterStream("g\(appender % 25)")
                            let visible = try await Self.appendIsVisibleOnReturn(journal, label: label, stream: stream)
                            if !visible { unreadable.append(label) }
                        }
                        return unreadable
                    }
                }
                var unreadable: [String] = []
                for try await labels in group { unreadable.append(contentsOf: labels) }
                return unreadable
            }

            #expect(unreadable.isEmpty)
            let statistics = journal.writerStatistics
            #expect(statistics.events == UInt64(appends))
            #expect(statistics.commits >= 1)
            #expect(statistics.commits < UInt64(appends))
            #expect(statistics.failedCommits == 0)
            let events = try await journal.readEverything()
            #expect(events.map(\.position) == Array(1...UInt64(appends)))
            #expect(Set(events.compactMap { $0.data["label"]?.stringValue }).count == appends)
        }
    }

    @Test func aConflictingAppendFailsAloneWhileTheOthersInTheBurstCommit() async throws {
        let appenders = 300
        try await withLMDBJournal { journal, _ in
            let contested = counterStream("contested")
            _ = try await journal.append(AppendRequest(stream: contested, expectedVersion: .exact(0), events: testEvents("seed", count: 2)))

            // Every tenth request expects a version `contested` will never be at; the rest append.
            let outcomes = try await withThrowingTaskGroup(of: (Int, Result<AppendResult, JournalError>).self) { group in
                for appender in 0..<appenders {
                    group.addTask {
                        let request: AppendRequest
                        if appender % 10 == 0 {
                            request = AppendRequest(stream: contested, expectedVersion: .exact(1), events: [testEvent("conflict-\(appender)")])
                        } else {
                            request = AppendRequest(
                                stream: counterStream("ok\(appender % 7)"),
                                expectedVersion: .any,
                                events: [testEvent("ok-\(appender)")]
                            )
                        }
                        do throws(JournalError) {
                            return (appender, .success(try await journal.append(request)))
                        } catch {
                            return (appender, .failure(error))
                        }
                    }
                }
                var outcomes: [Int: Result<AppendResult, JournalError>] = [:]
                for try await (appender, outcome) in group { outcomes[appender] = outcome }
                return outcomes
            }

            for (appender, outcome) in outcomes {
                if appender % 10 == 0 {
                    #expect(throws: JournalError.versionConflict(stream: contested, expected: 1, actual: 2)) { try outcome.get() }
                } else {
                    #expect(throws: Never.self, "appender \(appender)") { try outcome.get() }
                }
            }
            let committed = appenders - appenders / 10
            let events = try await journal.readEverything()
            #expect(events.count == 2 + committed)
            #expect(events.map(\.position) == Array(1...UInt64(2 + committed)))
            #expect(!events.contains { $0.data["label"]?.stringValue?.hasPrefix("conflict") == true })
            #expect(try await journal.streamVersion(contested) == 2)
            #expect(journal.writerStatistics.commits < UInt64(appenders + 1))
        }
    }

    @Test func racingExactAppendsOnOneStreamEachTakeADistinctVersion() async throws {
        let appenders = 100
        try await withLMDBJournal { journal, _ in
            let stream = counterStream("chain")
            // Requests in one batch expecting the same version: the first takes it, the next
            // sees the version the first just wrote and retries from there.
            let taken = try await withThrowingTaskGroup(of: UInt64.self) { group in
                for appender in 0..<appenders {
                    group.addTask {
                        var expected: UInt64 = 0
                        while true {
                            do throws(JournalError) {
                                let result = try await journal.append(
                                    AppendRequest(stream: stream, expectedVersion: .exact(expected), events: [testEvent("\(appender)")])
                                )
                                return result.versions[0]
                            } catch {
                                guard case .versionConflict(_, _, let actual) = error, actual > expected else { throw error }
                                expected = actual
                            }
                        }
                    }
                }
                var taken: [UInt64] = []
                for try await version in group { taken.append(version) }
                return taken
            }

            #expect(taken.sorted() == Array(1...UInt64(appenders)))
            let stored = try await journal.readStream(stream, fromVersion: 1, limit: 1000)
            #expect(stored.map(\.version) == Array(1...UInt64(appenders)))
            #expect(Set(stored.compactMap { $0.data["label"]?.stringValue }).count == appenders)
        }
    }

    // MARK: - Map growth

    @Test func appendsBeyondTheInitialMapSizeGrowTheMap() async throws {
        let configuration = LMDBJournalConfiguration(lmdb: LMDBConfiguration(initialMapSize: 1 << 20))
        let eventCount = 200
        let payloadSize = 100_000
        @Sendable func payload(_ index: Int) -> String {
            let suffix = String(index)
            return String(repeating: String(UnicodeScalar(UInt8(97 + index % 26))), count: payloadSize - suffix.count) + suffix
        }

        try await withLMDBJournal(configuration: configuration) { journal, _ in
            let initialMapSize = journal.environment.mapSize
            #expect(initialMapSize < 2 << 20)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for appender in 0..<(eventCount / 5) {
                    group.addTask {
                        let events = (0..<5).map { offset in
                            let index = appender * 5 + offset
                            return NewEvent(type: "Big", data: ["index": JSONValue(integerLiteral: Int64(index)), "blob": .string(payload(index))])
                        }
                        _ = try await journal.append(AppendRequest(stream: counterStream("big\(appender % 4)"), expectedVersion: .any, events: events))
                    }
                }
                // A reader running alongside must not stop the map from growing.
                group.addTask {
                    var seen: UInt64 = 0
                    while seen < UInt64(eventCount), !Task.isCancelled {
                        await journal.waitForCommit(after: seen)
                        let page = try await journal.readAll(after: seen, limit: 50)
                        #expect(page.first?.position == seen + 1)
                        seen = page.last?.position ?? seen
                    }
                }
                try await group.waitForAll()
            }

            let usedBytes = journal.environment.usedBytes
            #expect(usedBytes > eventCount * payloadSize)
            #expect(journal.environment.mapSize >= usedBytes)
            #expect(journal.writerStatistics.failedCommits == 0)
            let events = try await journal.readEverything(pageSize: 16)
            #expect(events.count == eventCount)
            var indices = Set<Int>()
            for event in events {
                let index = try #require(event.data["index"]?.int64Value.map(Int.init))
                indices.insert(index)
                #expect(event.data["blob"]?.stringValue == payload(index), "event \(index)")
            }
            #expect(indices == Set(0..<eventCount))
        }
    }
}
