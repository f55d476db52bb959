import CRM
import EventSourcing
import JSON
import Salesforce
import Synchronization

/// Turns Salesforce change events into record commands and runs them: the application layer
/// between the HTTP edge and the aggregates.
///
/// A request is validated whole before anything is written. Then each change fans out to one
/// command per record id, and every command of the request runs as one atomic batch: the events
/// of all its records are journaled in a single append, so a multi-record change and the changes
/// of one Salesforce transaction are durable together or not at all. Within a record, commands
/// run in request order; convergence by commit time makes the order of records irrelevant.
public final class ChangeIngestor: Sendable {
    /// A change that passed validation, with the records it applies to.
    public struct ValidatedChange: Sendable {
        /// The index in the request.
        public var index: Int
        /// The decoded change event.
        public var event: ChangeEvent
        /// The records (or the whole entity) it applies to.
        public var selection: RecordSelection
    }

    private let registry: AggregateRegistry<SalesforceRecord>
    private let mappings: MappingSet
    private let journal: any Journal
    /// Records and entities waiting for a re-read after gap or overflow events.
    public let gaps: GapIndex
    /// Registered change event schemas, for decoding Pub/Sub bitmap field lists.
    public let schemas: SchemaRegistry
    /// The largest change event accepted, in bytes of JSON.
    public let maxChangeBytes: Int
    /// The most records one change may list: each becomes an event in the request's single
    /// atomic append, with its own copy of the body.
    public static let maxRecordsPerChange = 1_000
    private let counts = Mutex<[IngestOutcome: UInt64]>([:])

    /// How many record results each outcome has had since start-up (ignored changes included:
    /// they are counted here, never journaled).
    public var outcomeCounts: [IngestOutcome: UInt64] {
        counts.withLock { $0 }
    }

    /// An ingestor running commands through `registry` per `mappings`.
    public init(
        registry: AggregateRegistry<SalesforceRecord>,
        mappings: MappingSet,
        journal: any Journal,
        gaps: GapIndex,
        schemas: SchemaRegistry,
        maxChangeBytes: Int = 1 << 20
    ) {
        self.registry = registry
        self.mappings = mappings
        self.journal = journal
        self.gaps = gaps
        self.schemas = schemas
        self.maxChangeBytes = maxChangeBytes
    }

    /// Decodes and validates every item; returns every problem found, by index, when any item is bad.
    ///
    /// - Parameter requestBytes: the size of the request body the items came from; when it is
    ///   within ``maxChangeBytes`` no item can be too large, so none is measured.
    public func validate(_ items: [JSONValue], requestBytes: Int = 0) throws(IngestValidationError) -> [ValidatedChange] {
        var changes: [ValidatedChange] = []
        var errors: [IngestItemError] = []
        changes.reserveCapacity(items.count)
        let measure = requestBytes > maxChangeBytes
        for (index, item) in items.enumerated() {
            if measure {
                let size = item.jsonBytes().count
                if size > maxChangeBytes {
                    errors.append(
                        IngestItemError(index: index, field: nil, message: "the change is \(size) bytes; at most \(maxChangeBytes) are accepted")
                    )
                    continue
                }
            }
            do throws(ChangeEventError) {
                let event = try ChangeEvent.decode(item)
                let selection = try event.header.recordSelection()
                if case .records(let ids) = selection, ids.count > Self.maxRecordsPerChange {
                    throw ChangeEventError(
                        field: "\(ChangeEventHeader.jsonKey).recordIds",
                        message: "lists \(ids.count) records; at most \(Self.maxRecordsPerChange) are accepted per change"
                    )
                }
                try Self.checkFieldListSpelling(event.header)
                changes.append(ValidatedChange(index: index, event: event, selection: selection))
            } catch {
                errors.append(IngestItemError(index: index, field: error.field, message: error.message))
            }
        }
        guard errors.isEmpty else { throw IngestValidationError(errors: errors) }
        return changes
    }

    /// Applies validated changes and reports the outcome per record. Returns once every change
    /// is durable; on failure nothing of the request was written. `requestID` (the HTTP request
    /// the changes came in) is kept in the events' metadata.
    public func ingest(_ changes: [ValidatedChange], requestID: String? = nil) async throws(IngestError) -> IngestReport {
        var results: [IngestResult] = []
        var commands: [AggregateRegistry<SalesforceRecord>.BatchCommand] = []
        var slots: [Int] = []
        var resyncs: [EntityResyncRequest] = []
        for change in changes {
            let header = change.event.header
            let entity = header.entityName
            guard let recordType = mappings.recordType(forObject: entity) else {
                results.append(IngestResult(index: change.index, entity: entity, recordID: nil, aggregate: nil, outcome: .ignored, version: nil))
                continue
            }
            let command = recordCommand(for: change, requestID: requestID)
            switch change.selection {
            case .entity:
                let reason =
                    header.changeType == .gapOverflow
                    ? header.changeType.rawValue : "record ids \(header.recordIds.prefix(3).joined(separator: ", ")) select the whole entity"
                resyncs.append(EntityResyncRequest(entity: entity, reason: reason, facts: command.facts))
                results.append(
                    IngestResult(index: change.index, entity: entity, recordID: nil, aggregate: recordType.rawValue, outcome: .resyncScheduled, version: nil)
                )
            case .records(let ids):
                let outcome: IngestOutcome = command.operation == .reportGap ? .gapPending : .applied
                for id in ids {
                    slots.append(results.count)
                    commands.append((StreamName(category: recordType.rawValue, id: id), command, nil))
                    // The version (and `duplicate`) are filled in once the batch has run.
                    results.append(
                        IngestResult(index: change.index, entity: entity, recordID: id, aggregate: recordType.rawValue, outcome: outcome, version: nil)
                    )
                }
            }
        }
        var position: UInt64 = 0
        let resyncWrites = await resyncWrites(for: resyncs)
        if commands.isEmpty {
            if !resyncWrites.isEmpty {
                do {
                    position = try await journal.append(AppendRequest(writes: resyncWrites)).lastPosition
                } catch {
                    throw IngestError(stream: resyncWrites[0].stream, underlying: .command(.journal(error)))
                }
            }
        } else {
            let receipts: [Result<CommandReceipt, CommandError<RecordRejection>>]
            do {
                // Re-sync requests ride in the same atomic append as the records' events.
                let batch = try await registry.handleAtomically(commands, alsoWriting: resyncWrites)
                receipts = batch.results
                position = batch.lastPosition ?? 0
            } catch {
                throw IngestError(stream: commands[0].stream, underlying: error)
            }
            for (slot, (receipt, command)) in zip(slots, zip(receipts, commands)) {
                switch receipt {
                case .success(let receipt):
                    position = max(position, receipt.position)
                    if receipt.appended == 0 { results[slot].outcome = .duplicate }
                    results[slot].version = receipt.version
                case .failure(let error):
                    // CDC changes are facts and never refused; reaching here is a bug in `decide`.
                    throw IngestError(stream: command.stream, underlying: .command(error))
                }
            }
        }
        if position == 0 {
            position = (try? await journal.lastPosition()) ?? 0
        }
        counts.withLock { counts in
            for result in results { counts[result.outcome, default: 0] += 1 }
        }
        return IngestReport(position: position, results: results)
    }

    /// One re-sync request per entity, unless a pending one was requested as late or later (a
    /// later request keeps a re-sync that began before it from clearing it).
    private func resyncWrites(for requests: [EntityResyncRequest]) async -> [StreamWrite] {
        var writes: [StreamWrite] = []
        var seen: Set<String> = []
        for request in requests.sorted(by: { ($0.commitTimestamp ?? .min) > ($1.commitTimestamp ?? .min) })
        where seen.insert(request.entity).inserted {
            guard await !gaps.resyncCovers(request.entity, commitTimestamp: request.commitTimestamp) else { continue }
            writes.append(StreamWrite(stream: request.stream, expectedVersion: .any, events: [request.event]))
        }
        return writes
    }

    /// Field lists must be all names or all bitmaps (Salesforce never mixes them), and an entry
    /// starting with a digit must be a well-formed bitmap: field names start with a letter.
    private static func checkFieldListSpelling(_ header: ChangeEventHeader) throws(ChangeEventError) {
        try checkSpelling(of: header.changedFields, named: "changedFields")
        try checkSpelling(of: header.nulledFields, named: "nulledFields")
        try checkSpelling(of: header.diffFields, named: "diffFields")
    }

    /// Every change passes here, so the member's path is spelled out only for an error.
    private static func checkSpelling(of list: [String], named name: StaticString) throws(ChangeEventError) {
        if let bad = list.first(where: { ($0.isEmpty || ChangeBody.isBitmapEntry($0)) && !ChangedFieldList.isBitmapEntry($0) }) {
            throw ChangeEventError(
                field: "\(ChangeEventHeader.jsonKey).\(name)",
                message: "\"\(bad.prefix(40))\" is neither a field name nor a bitmap such as \"0x400800\" or \"4-0x01\""
            )
        }
        if ChangedFieldList.encoding(of: list) == .mixed {
            throw ChangeEventError(field: "\(ChangeEventHeader.jsonKey).\(name)", message: "mixes field names and Pub/Sub bitmaps; expected one spelling")
        }
    }
}

/// A change that passed validation but could not be applied (the journal failed or refused).
public struct IngestError: Error, Sendable {
    /// The record whose command failed.
    public var stream: StreamName
    /// Why.
    public var underlying: RegistryError<RecordRejection>
}

extension RecordOperation {
    /// The operation for a change type.
    init(_ changeType: ChangeType) {
        switch changeType {
        case .create: self = .create
        case .update: self = .update
        case .delete: self = .delete
        case .undelete: self = .undelete
        case .gapCreate, .gapUpdate, .gapDelete, .gapUndelete, .gapOverflow: self = .reportGap
        }
    }
}

