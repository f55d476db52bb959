/// The definition of one kind of aggregate: how it decides and how it evolves.
///
/// An aggregate is pure: `decide` turns a command and the current state into events (or a typed
/// rejection) and `evolve` folds one event into the state. Neither does I/O, so both are tested
/// without actors or journals, and `evolve` can be replayed from the journal at any time with
/// the same result. `AggregateActor` hosts one instance's state; this type holds no state itself,
/// only what the behaviour depends on (for CRM records, the field mapping).
public protocol Aggregate: Sendable {
    /// One record's state, rebuilt by folding its events.
    associatedtype State: Sendable
    /// The data a command carries into `decide`.
    associatedtype Command: Sendable
    /// The domain events this aggregate emits.
    associatedtype Event: Sendable
    /// Why `decide` refused a command: a closed enum, compared by equality in tests.
    associatedtype Rejection: Error & Equatable

    /// The state of a record that has no events yet.
    var initialState: State { get }

    /// The events that `command` causes given `state`; an empty array when nothing changes.
    func decide(_ command: Command, state: State) throws(Rejection) -> [Event]

    /// Folds one committed event into `state`. Total and pure: it is replayed on recovery.
    func evolve(_ state: inout State, with event: Event, at position: EventPosition)

    /// The stored form of an event (stable type name, metadata, data).
    func encode(_ event: Event) -> NewEvent

    /// An event back from its stored form.
    func decode(_ event: RecordedEvent) throws(EventDecodingError) -> Event
}

/// Where an event sits in the log, handed to `evolve` with the event.
public struct EventPosition: Sendable, Hashable {
    /// The global position.
    public var position: UInt64
    /// The version within the stream.
    public var version: UInt64
    /// When the event was committed.
    public var recordedAt: Timestamp

    /// An event's place in the log.
    public init(position: UInt64, version: UInt64, recordedAt: Timestamp) {
        self.position = position
        self.version = version
        self.recordedAt = recordedAt
    }
}

/// A stored event that its aggregate cannot read back.
public struct EventDecodingError: Error, Hashable, CustomStringConvertible {
    /// The event's position.
    public var position: UInt64
    /// What is wrong with it.
    public var message: String

    /// A decoding failure.
    public init(position: UInt64, message: String) {
        self.position = position
        self.message = message
    }

    public var description: String { "cannot decode the event at position \(position): \(message)" }
}
