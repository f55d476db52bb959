import EventSourcing
import JSON

/// A tiny aggregate for the tests: a counter that can be incremented and that can refuse a
/// command when it has gone past a limit.
struct Counter: Aggregate {
    struct State: Sendable, Equatable {
        var count = 0
        /// The version and position of the last event folded in, as `evolve` was told.
        var lastVersion: UInt64 = 0
        var lastPosition: UInt64 = 0
    }

    enum Command: Sendable {
        case increment
        /// Adds `amount`, one `incremented` event per unit.
        case add(Int)
        /// Refuses when the count is above `limit`; changes nothing otherwise.
        case failIfAbove(Int)
    }

    enum Event: Sendable, Equatable {
        case incremented
    }

    enum Rejection: Error, Equatable {
        case above(limit: Int, count: Int)
        case amountNotPositive(Int)
    }

    static let incrementedType = "CounterIncremented"

    var initialState: State { State() }

    func decide(_ command: Command, state: State) throws(Rejection) -> [Event] {
        switch command {
        case .increment:
            return [.incremented]
        case .add(let amount):
            guard amount > 0 else { throw .amountNotPositive(amount) }
            return Array(repeating: .incremented, count: amount)
        case .failIfAbove(let limit):
            guard state.count <= limit else { throw .above(limit: limit, count: state.count) }
            return []
        }
    }

    func evolve(_ state: inout State, with event: Event, at position: EventPosition) {
        switch event {
        case .incremented:
            state.count += 1
        }
        state.lastVersion = position.version
        state.lastPosition = position.position
    }

    func encode(_ event: Event) -> NewEvent {
        switch event {
        case .incremented:
            NewEvent(type: Self.incrementedType, metadata: ["source": "test"], data: ["by": 1])
        }
    }

    func decode(_ event: RecordedEvent) throws(EventDecodingError) -> Event {
        guard event.type == Self.incrementedType else {
            throw EventDecodingError(position: event.position, message: "unknown event type \(event.type)")
        }
        return .incremented
    }
}
