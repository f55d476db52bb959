import CRM
import EventSourcing
import JSON

/// Runs commands from other services (`POST /v1/commands/{aggregate}/{id}`) on records.
///
/// A service names Salesforce fields, as a backfill or CDC would; the command becomes a record
/// command with `source: api` and goes through the same registry and aggregate as every change.
public final class ServiceCommandHandler: Sendable {
    /// A validated service command.
    public struct Command: Sendable {
        /// `upsert`, `delete` or `undelete`.
        public var operation: RecordOperation
        /// Salesforce field names and values (compound fields nested or flat).
        public var fields: JSONObject
        /// The version the record must be at, when given.
        public var expectedVersion: UInt64?

        /// A command.
        public init(operation: RecordOperation, fields: JSONObject, expectedVersion: UInt64?) {
            self.operation = operation
            self.fields = fields
            self.expectedVersion = expectedVersion
        }
    }

    private let registry: AggregateRegistry<SalesforceRecord>
    private let mappings: MappingSet
    /// The answers already given, by idempotency key.
    public let idempotency: IdempotencyIndex

    /// A handler running commands through `registry`.
    public init(registry: AggregateRegistry<SalesforceRecord>, mappings: MappingSet, idempotency: IdempotencyIndex) {
        self.registry = registry
        self.mappings = mappings
        self.idempotency = idempotency
    }

    /// Runs `command` on record `id` of `type`; with `idempotencyKey`, a repeat returns the
    /// first answer and writes nothing. `requestID` (the HTTP request) is kept in the event's
    /// metadata.
    public func handle(_ command: Command, on type: RecordType, id: String, idempotencyKey: String?, requestID: String? = nil)
        async throws(RegistryError<RecordRejection>) -> IdempotencyIndex.Answer
    {
        let stream = StreamName(category: type.rawValue, id: id)
        if let idempotencyKey {
            if case .answered(let answer) = await idempotency.claim(idempotencyKey, for: stream) { return answer }
        }
        let recordCommand = RecordCommand(
            operation: command.operation,
            body: ChangeBody(fields: command.fields),
            facts: ChangeFacts(
                source: .api,
                entity: mappings[type]?.objectName ?? type.defaultObjectName,
                idempotencyKey: idempotencyKey,
                requestID: requestID
            )
        )
        do {
            let receipt = try await registry.handle(recordCommand, on: stream, expectedVersion: command.expectedVersion)
            let answer = IdempotencyIndex.Answer(
                position: receipt.position,
                version: receipt.version,
                // An upsert creates exactly when it writes the record's first event.
                outcome: Self.outcome(command.operation, existed: receipt.version > 1)
            )
            if let idempotencyKey { await idempotency.finish(idempotencyKey, for: stream, with: answer, recordedAt: receipt.recordedAt) }
            return answer
        } catch {
            if let idempotencyKey { await idempotency.abandon(idempotencyKey, for: stream) }
            throw error
        }
    }

    private static func outcome(_ operation: RecordOperation, existed: Bool) -> String {
        switch operation {
        case .upsert: existed ? "updated" : "created"
        case .create: "created"
        case .update: "updated"
        case .delete: "deleted"
        case .undelete: "undeleted"
        case .reportGap: "gap-reported"
        }
    }
}
