import EventSourcing
import JSON
import Testing

/// The journal contract under concurrency, and waiting for commits, for every journal.
@Suite("Journal contract: concurrency and commits", .timeLimit(.minutes(3)))
struct JournalContractConcurrencyTests {
    // MARK: - Concurrent appends

    @Test(arguments: JournalFactory.allCases)
    func concurrentAppendsKeepPositionsGapFreeAndVersionsContinuous(factory: JournalFactory) async throws {
        let tasks = 50
        let appendsPerTask = 40
        let streams = (0..<10).map { counterStream("s\($0)") }

        try await factory.withJournal { journal in
            // Every fifth append of a task insists on an exact version and retries on conflict.
            let results = try await withThrowingTaskGroup(of: [(label: String, stream: StreamName, result: AppendResult)].self) { group in
                for task in 0..<tasks {
                    group.addTask {
                        var results: [(label: String, stream: StreamName, result: AppendResult)] = []
                        for index in 0..<appendsPerTask {
                            let stream = streams[(task * 7 + index) % streams.count]
                            let label = "\(task)-\(index)"
                            if index % 5 == 0 {
                                var attempts = 0
                                while true {
                                    attempts += 1
                                    let version = try await journal.streamVersion(stream)
                                    do throws(JournalError) {
                                        let result = try await journal.append(
                                            AppendRequest(stream: stream, expectedVersion: .exact(version), events: [testEvent(label)])
                                        )
                                        #expect(result.versions == [version + 1])
                                        results.append((label, stream, result))
                                        break
                                    } catch {
                                        guard case .versionConflict(stream, version, let actual) = error, actual > version else {
                                            throw error
                                        }
                                        try #require(attempts < 10_000, "an exact append never got through")
                                    }
                                }
                            } else {
                                let result = try await journal.append(
                                    AppendRequest(stream: stream, expectedVersion: .any, events: [testEvent(label)])
                                )
                                results.append((label, stream, result))
                            }
                        }
                        return results
                    }
                }
                var all: [(label: String, stream: StreamName, result: AppendResult)] = []
                for try await results in group { all.append(contentsOf: results) }
                return all
            }

            let total = tasks * appendsPerTask
            #expect(results.count == total)
            #expect(Set(results.map(\.result.firstPosition)) == Set(1...UInt64(total)))
            #expect(results.allSatisfy { $0.result.firstPosition == $0.result.lastPosition })

            let events = try await journal.readEverything()
            #expect(events.map(\.position) == Array(1...UInt64(total)))
            #expect(try await journal.lastPosition() == UInt64(total))
            let byPosition = Dictionary(uniqueKeysWithValues: events.map { ($0.position, $0) })
            for entry in results {
                let event = byPosition[entry.result.lastPosition]
                #expect(event?.stream == entry.stream)
                #expect(event?.data["label"]?.stringValue == entry.label)
                #expect(event?.version == entry.result.versions.first)
            }
            for stream in streams {
                let versions = events.filter { $0.stream == stream }.map(\.version)
                let appended = results.filter { $0.stream == stream }.count
                #expect(versions == Array(1...UInt64(appended)), "\(stream)")
                #expect(try await journal.streamVersion(stream) == UInt64(appended))
                #expect(try await journal.readStream(stream, fromVersion: 1, limit: 10_000).map(\.version) == versions)
            }
        }
    }

    // MARK: - Waiting for commits

    @Test(arguments: JournalFactory.allCases)
    func waitForCommitResumesWhenALaterAppendCommits(factory: JournalFactory) async throws {
        try await factory.withJournal { journal in
            _ = try await journal.append(AppendRequest(stream: counterStream("a"), expectedVersion: .any, events: testEvents("a", count: 3)))

            try await withThrowingTaskGroup(of: [RecordedEvent].self) { group in
                group.addTask {
                    await journal.waitForCommit(after: 3)
                    // Returning means position 4 has committed, so it must be readable now.
                    return try await journal.readAll(after: 3, limit: 10)
                }
                _ = try await journal.append(AppendRequest(stream: counterStream("b"), expectedVersion: .any, events: [testEvent("b")]))
                let seen = try await group.next()
                #expect(seen?.first?.position == 4)
                #expect(seen?.first?.stream == counterStream("b"))
            }
        }
    }

    @Test(arguments: JournalFactory.allCases)
    func waitForCommitReturnsAtOnceWhenALaterEventHasCommitted(factory: JournalFactory) async throws {
        try await factory.withJournal { journal in
            _ = try await journal.append(AppendRequest(stream: counterStream("a"), expectedVersion: .any, events: testEvents("a", count: 2)))
            await journal.waitForCommit(after: 0)
            await journal.waitForCommit(after: 1)
            #expect(try await journal.lastPosition() == 2)
        }
    }

    @Test(arguments: JournalFactory.allCases)
    func waitForCommitReturnsWhenTheTaskIsCancelled(factory: JournalFactory) async throws {
        try await factory.withJournal { journal in
            let waiter = Task {
                await journal.waitForCommit(after: 0)
                return Task.isCancelled
            }
            waiter.cancel()
            #expect(await waiter.value)
            let lastPosition = try await journal.lastPosition()
            #expect(lastPosition == 0)
        }
    }

    @Test(arguments: JournalFactory.allCases)
    func manyWaitersAllResumeOnOneCommit(factory: JournalFactory) async throws {
        try await factory.withJournal { journal in
            let resumed = try await withThrowingTaskGroup(of: UInt64.self) { group in
                for _ in 0..<100 {
                    group.addTask {
                        await journal.waitForCommit(after: 0)
                        return try await journal.lastPosition()
                    }
                }
                _ = try await journal.append(AppendRequest(stream: counterStream("a"), expectedVersion: .any, events: [testEvent("a")]))
                var resumed: [UInt64] = []
                for try await position in group { resumed.append(position) }
                return resumed
            }
            #expect(resumed == Array(repeating: 1, count: 100))
        }
    }
}
