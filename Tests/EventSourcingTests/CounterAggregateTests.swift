import EventSourcing
import JSON
import Testing

/// The aggregate contract on a tiny counter: `decide` and `evolve` given/when/then, with no
/// actor and no journal.
@Suite("Aggregate contract (counter)")
struct CounterAggregateTests {
    let counter = Counter()

    /// The state after folding `events` in order, as recovery would.
    func given(_ events: [Counter.Event]) -> Counter.State {
        var state = counter.initialState
        for (offset, event) in events.enumerated() {
            let version = UInt64(offset) + 1
            counter.evolve(
                &state,
                with: event,
                at: EventPosition(position: version * 10, version: version, recordedAt: Timestamp(millisecondsSinceEpoch: 0))
            )
        }
        return state
    }

    // MARK: - Decide

    @Test func incrementOnANewCounterEmitsOneIncremented() throws {
        let events = try counter.decide(.increment, state: given([]))
        #expect(events == [.incremented])
    }

    @Test func addEmitsOneEventPerUnit() throws {
        let events = try counter.decide(.add(3), state: given([.incremented]))
        #expect(events == [.incremented, .incremented, .incremented])
    }

    @Test(arguments: [0, -1])
    func addWithANonPositiveAmountIsRejected(amount: Int) {
        #expect(throws: Counter.Rejection.amountNotPositive(amount)) {
            try counter.decide(.add(amount), state: given([]))
        }
    }

    @Test func failIfAboveRejectsWhenTheCountIsPastTheLimit() {
        let state = given([.incremented, .incremented, .incremented])
        #expect(throws: Counter.Rejection.above(limit: 2, count: 3)) {
            try counter.decide(.failIfAbove(2), state: state)
        }
    }

    @Test func failIfAboveAtTheLimitChangesNothing() throws {
        let events = try counter.decide(.failIfAbove(2), state: given([.incremented, .incremented]))
        #expect(events.isEmpty)
    }

    @Test func decideDoesNotChangeTheStateItIsGiven() throws {
        let state = given([.incremented])
        _ = try counter.decide(.add(5), state: state)
        #expect(state == given([.incremented]))
    }

    // MARK: - Evolve

    @Test func evolveFoldsEveryEventAndRecordsWhereItSits() {
        let state = given([.incremented, .incremented])
        #expect(state == Counter.State(count: 2, lastVersion: 2, lastPosition: 20))
    }

    @Test func replayingTheSameEventsGivesTheSameState() {
        let events = Array(repeating: Counter.Event.incremented, count: 17)
        #expect(given(events) == given(events))
        #expect(given(events).count == 17)
    }

    @Test func decideThenEvolveAgreesWithTheRejection() throws {
        var state = given([])
        for _ in 0..<4 {
            for event in try counter.decide(.increment, state: state) {
                counter.evolve(
                    &state,
                    with: event,
                    at: EventPosition(position: 1, version: 1, recordedAt: Timestamp(millisecondsSinceEpoch: 0))
                )
            }
        }
        #expect(throws: Counter.Rejection.above(limit: 3, count: 4)) {
            try counter.decide(.failIfAbove(3), state: state)
        }
    }

    // MARK: - Stored form

    @Test func encodedEventsDecodeBack() throws {
        let stored = counter.encode(.incremented)
        #expect(stored.type == Counter.incrementedType)
        let recorded = RecordedEvent(
            position: 7,
            stream: StreamName(category: "counters", id: "a"),
            version: 1,
            type: stored.type,
            recordedAt: Timestamp(millisecondsSinceEpoch: 0),
            metadata: stored.metadata,
            data: stored.data
        )
        #expect(try counter.decode(recorded) == .incremented)
    }

    @Test func decodingAnUnknownTypeFailsWithItsPosition() {
        let recorded = RecordedEvent(
            position: 42,
            stream: StreamName(category: "counters", id: "a"),
            version: 1,
            type: "CounterExploded",
            recordedAt: Timestamp(millisecondsSinceEpoch: 0),
            metadata: [:],
            data: .null
        )
        let error = #expect(throws: EventDecodingError.self) { try counter.decode(recorded) }
        #expect(error?.position == 42)
    }
}
