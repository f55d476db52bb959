import EventSourcing
import HTTPTypes
@testable import HTTPAPI
import Hummingbird
import JSON
import NIOCore
import Testing

/// The wait behind `minPosition`: a committed position the read model has not applied yet.
/// (Through HTTP the read models catch up too fast to leave one behind on purpose.)
@Suite("Read-your-writes waits")
struct ReadYourWritesWaitTests {
    /// A journal with `count` committed events.
    private func journal(committing count: Int) async throws -> InMemoryJournal {
        let journal = InMemoryJournal()
        for number in 1...count {
            _ = try await journal.append(AppendRequest(
                stream: StreamName(category: "clients", id: "r\(number)"),
                expectedVersion: .exact(0),
                events: [NewEvent(type: "Test", data: .null)]
            ))
        }
        return journal
    }

    private func request(_ query: String) -> Request {
        Request(head: HTTPRequest(method: .get, scheme: "http", authority: "localhost", path: "/v1/clients/x?\(query)"), body: RequestBody(buffer: ByteBuffer()))
    }

    @Test func aLaggingReadModelAnswers503WithRetryAfterNeverStaleData() async throws {
        let waits = ReadYourWrites(journal: try await journal(committing: 3), limit: 30_000)
        let readModel = PositionWatch(position: 1)
        let started = ContinuousClock.now
        do {
            try await waits.wait(for: request("minPosition=3&wait=50"), on: readModel)
            Issue.record("answered although the read model is at 1")
        } catch let problem as Problem {
            #expect(problem.status == .serviceUnavailable)
            #expect(problem.headers[.retryAfter] != nil)
        }
        #expect(ContinuousClock.now - started >= .milliseconds(50))
    }

    @Test func aWaitEndsAsSoonAsTheReadModelCatchesUp() async throws {
        let waits = ReadYourWrites(journal: try await journal(committing: 3), limit: 30_000)
        let readModel = PositionWatch(position: 1)
        let catchUp = Task {
            try await Task.sleep(for: .milliseconds(20))
            readModel.advance(to: 3)
        }
        try await waits.wait(for: request("minPosition=3&wait=20000"), on: readModel)
        #expect(readModel.position == 3)
        try await catchUp.value
    }

    @Test func theWaitIsCappedAtTheServersLimit() async throws {
        let waits = ReadYourWrites(journal: try await journal(committing: 2), limit: 30)
        let started = ContinuousClock.now
        await #expect(throws: Problem.self) {
            try await waits.wait(for: request("minPosition=2&wait=600000"), on: PositionWatch(position: 0))
        }
        // Far below the 600 s asked for, far above the 30 ms cap: the full suite runs many tests
        // at once on two cores, and this one once took 10.5 s to be scheduled again.
        #expect(ContinuousClock.now - started < .seconds(120))
    }
}
