import CRM
import EventSourcing
import JSON
import Salesforce

/// Turns Salesforce change events into record commands and runs them: the application layer
/// between the HTTP edge and the aggregates.
///
/// A request is validated whole before anything is written. Then each change fans out to one
/// command per record id; a record's commands run in request order, different records run
/// concurrently, each through the registry's actor for that record.
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
    public let gaps: GapTracker

    /// An ingestor running commands through `registry` per `mappings`.
    public init(registry: AggregateRegistry<SalesforceRecord>, mappings: MappingSet, journal: any Journal, gaps: GapTracker) {
        self.registry = registry
        self.mappings = mappings
        self.journal = journal
        self.gaps = gaps
    }

    /// Decodes and validates every item; returns every problem found, by index, when any item is bad.
    public func validate(_ items: [JSONValue]) throws(IngestValidationError) -> [ValidatedChange] {
        var changes: [ValidatedChange] = []
        var errors: [IngestItemError] = []
        changes.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            do {
                let event = try ChangeEvent.decode(item)
                let selection = try event.header.recordSelection()
                changes.append(ValidatedChange(index: index, event: event, selection: selection))
            } catch {
                errors.append(IngestItemError(index: index, field: error.field, message: error.message))
            }
        }
        guard errors.isEmpty else { throw IngestValidationError(errors: errors) }
        return changes
    }

    /// Applies validated changes and reports the outcome per record. Returns once every applied
    /// change is durable.
    public func ingest(_ changes: [ValidatedChange]) async throws(IngestError) -> IngestReport {
        var results: [IngestResult] = []
        var work: [StreamName: [(slot: Int, command: RecordCommand)]] = [:]
        var streamOrder: [StreamName] = []
        for change in changes {
            let header = change.event.header
            let entity = header.entityName
            guard let recordType = mappings.recordType(forObject: entity) else {
                results.append(IngestResult(index: change.index, entity: entity, recordID: nil, aggregate: nil, outcome: .ignored, version: nil))
                continue
            }
            guard case .records(let ids) = change.selection else {
                gaps.scheduleResync(of: entity)
                results.append(
                    IngestResult(index: change.index, entity: entity, recordID: nil, aggregate: recordType.rawValue, outcome: .resyncScheduled, version: nil)
                )
                continue
            }
            for id in ids {
                let stream = StreamName(category: recordType.rawValue, id: id)
                guard let operation = RecordOperation(header.changeType) else {
                    gaps.markRecord(stream, entity: entity, commitTimestamp: header.commitTimestamp)
                    results.append(
                        IngestResult(index: change.index, entity: entity, recordID: id, aggregate: recordType.rawValue, outcome: .gapPending, version: nil)
                    )
                    continue
                }
                if work[stream] == nil { streamOrder.append(stream) }
                work[stream, default: []].append((results.count, RecordCommand(change.event, operation: operation)))
                // Outcome and version are filled in once the command has run.
                results.append(
                    IngestResult(index: change.index, entity: entity, recordID: id, aggregate: recordType.rawValue, outcome: .applied, version: nil)
                )
            }
        }
        let receipts = try await run(work, in: streamOrder)
        var position: UInt64 = 0
        for (slot, receipt) in receipts {
            position = max(position, receipt.position)
            results[slot].outcome = receipt.appended > 0 ? .applied : .duplicate
            results[slot].version = receipt.version
        }
        if position == 0 {
            position = (try? await journal.lastPosition()) ?? 0
        }
        return IngestReport(position: position, results: results)
    }

    private func run(
        _ work: [StreamName: [(slot: Int, command: RecordCommand)]],
        in order: [StreamName]
    ) async throws(IngestError) -> [(Int, CommandReceipt)] {
        let registry = registry
        let outcome = await withTaskGroup(of: Result<[(Int, CommandReceipt)], IngestError>.self) { group in
            for stream in order {
                guard let commands = work[stream] else { continue }
                group.addTask {
                    var done: [(Int, CommandReceipt)] = []
                    for (slot, command) in commands {
                        do throws(RegistryError<RecordRejection>) {
                            done.append((slot, try await registry.handle(command, on: stream)))
                        } catch {
                            return .failure(IngestError(stream: stream, underlying: error))
                        }
                    }
                    return .success(done)
                }
            }
            var all: [(Int, CommandReceipt)] = []
            var firstError: IngestError?
            for await result in group {
                switch result {
                case .success(let done): all.append(contentsOf: done)
                case .failure(let error): firstError = firstError ?? error
                }
            }
            return firstError.map { Result.failure($0) } ?? .success(all)
        }
        return try outcome.get()
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
    /// The operation for a change type; `nil` for gap and overflow events.
    init?(_ changeType: ChangeType) {
        switch changeType {
        case .create: self = .create
        case .update: self = .update
        case .delete: self = .delete
        case .undelete: self = .undelete
        case .gapCreate, .gapUpdate, .gapDelete, .gapUndelete, .gapOverflow: return nil
        }
    }
}

extension RecordCommand {
    /// The command a CDC change makes for one of its records.
    init(_ event: ChangeEvent, operation: RecordOperation) {
        let header = event.header
        self.init(
            operation: operation,
            body: ChangeBody(
                fields: event.fields,
                changedFields: header.changedFields,
                nulledFields: header.nulledFields,
                diffFields: header.diffFields
            ),
            facts: ChangeFacts(
                source: .cdc,
                entity: header.entityName,
                changeType: header.changeType.rawValue,
                transactionKey: header.transactionKey,
                sequenceNumber: header.sequenceNumber,
                commitTimestamp: header.commitTimestamp,
                commitNumber: header.commitNumber,
                commitUser: header.commitUser,
                changeOrigin: header.changeOrigin.isEmpty ? nil : header.changeOrigin,
                replayId: event.replayId,
                schemaId: event.schemaId,
                eventBridgeID: event.eventBridgeID
            )
        )
    }
}
