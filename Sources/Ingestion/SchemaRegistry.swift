import EventSourcing
import JSON
import Salesforce
import Synchronization

/// The Avro field orders of change event schemas, by schema id: what decoding Pub/Sub bitmap
/// field lists needs.
///
/// Operators register a schema with `PUT /v1/schemas/{schemaId}` (the JSON Salesforce serves at
/// `/services/data/vXX.X/event/eventSchema/<schemaId>`). Registrations are journaled in one
/// stream, `schemas/registered`, and read back at start-up, so they survive restarts and travel
/// with backups.
public final class SchemaRegistry: Sendable {
    /// The stream holding every registration.
    public static let stream = StreamName(category: "schemas", id: "registered")
    /// The stored event type of a registration.
    public static let eventType = "EventSchemaRegistered"

    private let journal: any Journal
    /// Schemas by id, with the journal position of their registration: of two concurrent
    /// registrations of one id, the later in the journal wins, here as after a restart.
    private let schemas = Mutex<[String: (schema: EventSchema, position: UInt64)]>([:])

    /// An empty registry writing to `journal`; call ``load()`` to read earlier registrations.
    public init(journal: any Journal) {
        self.journal = journal
    }

    /// Reads every registration from the journal.
    public func load() async throws(JournalError) {
        var loaded: [String: (schema: EventSchema, position: UInt64)] = [:]
        for event in try await journal.readStream(Self.stream) where event.type == Self.eventType {
            guard let id = event.data["schemaId"]?.stringValue, let json = event.data["schema"],
                let schema = try? EventSchema(json: json)
            else { continue }
            loaded[id] = (schema, event.position)
        }
        schemas.withLock { $0.merge(loaded) { current, new in new.position > current.position ? new : current } }
    }

    /// Registers `schema` under `id`, durably. Returns the journal position of the registration
    /// (of the earlier one when the same schema was already registered).
    public func register(_ schema: EventSchema, id: String) async throws(JournalError) -> UInt64 {
        if let current = schemas.withLock({ $0[id] }), current.schema == schema {
            return current.position
        }
        let event = NewEvent(
            type: Self.eventType,
            metadata: ["source": "api"],
            data: ["schemaId": .string(id), "schema": schema.json]
        )
        let result = try await journal.append(AppendRequest(stream: Self.stream, expectedVersion: .any, events: [event]))
        schemas.withLock { schemas in
            if let current = schemas[id], current.position > result.lastPosition { return }
            schemas[id] = (schema, result.lastPosition)
        }
        return result.lastPosition
    }

    /// The schema registered under `id`, if any.
    public func schema(id: String) -> EventSchema? {
        schemas.withLock { $0[id]?.schema }
    }

    /// How many schemas are registered.
    public var count: Int {
        schemas.withLock { $0.count }
    }
}
