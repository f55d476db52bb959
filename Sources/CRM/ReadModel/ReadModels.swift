import EventSourcing
import Synchronization

/// The read models in force, one projection per mapped record type, each kept in a store of
/// `storage`.
///
/// A rebuild prepares a complete new set beside the live one (in the stores' second slots) and
/// swaps it in with `replace`, so queries keep being answered from the old views until the new
/// ones have caught up.
public final class ReadModels: Sendable {
    private let current: Mutex<[RecordType: RecordProjection]>
    private let storage: any ProjectionStorage
    private let stampPrefix: String

    /// The read models of every type `mappings` maps, resuming from what `storage` holds.
    ///
    /// - Parameters:
    ///   - stampPrefix: what else the stored state depends on (the build, the journal's
    ///     history); state stored under another prefix is rebuilt from the journal.
    ///   - journalEnd: the journal's last position, when known: state stored past it reflects
    ///     events the journal no longer holds, and is rebuilt too.
    public init(
        mappings: MappingSet,
        storage: any ProjectionStorage = InMemoryProjectionStorage(),
        stampPrefix: String = "",
        journalEnd: UInt64? = nil
    ) throws {
        self.storage = storage
        self.stampPrefix = stampPrefix
        var projections: [RecordType: RecordProjection] = [:]
        for type in mappings.recordTypes {
            guard let mapping = mappings[type] else { continue }
            let stamp = Self.stamp(stampPrefix, mapping)
            var projection = try RecordProjection(mapping: mapping, store: storage.store(named: type.rawValue, stamp: stamp))
            if let journalEnd, projection.applied.position > journalEnd {
                projection = try RecordProjection(mapping: mapping, store: storage.rebuildStore(named: type.rawValue, stamp: stamp))
                try storage.promoteRebuilt([type.rawValue])
            }
            projections[type] = projection
        }
        current = Mutex(projections)
    }

    private static func stamp(_ prefix: String, _ mapping: EntityMapping) -> String {
        prefix + RecordProjection.stateStamp(for: mapping)
    }

    /// New, empty projections for every type `mappings` maps, in stores beside the ones in force.
    /// While they catch up they hold back at most `RecordProjection.rebuildHeldLimit` records
    /// each: the server is serving meanwhile.
    public func rebuildProjections(for mappings: MappingSet) throws -> [RecordType: RecordProjection] {
        var projections: [RecordType: RecordProjection] = [:]
        for type in mappings.recordTypes {
            guard let mapping = mappings[type] else { continue }
            let store = try storage.rebuildStore(named: type.rawValue, stamp: Self.stamp(stampPrefix, mapping))
            projections[type] = try RecordProjection(mapping: mapping, store: store, heldLimit: RecordProjection.rebuildHeldLimit)
        }
        return projections
    }

    /// The projection of `type`, if mapped.
    public func projection(_ type: RecordType) -> RecordProjection? {
        current.withLock { $0[type] }
    }

    /// Every projection, in record-type order.
    public var all: [RecordProjection] {
        current.withLock { projections in RecordType.allCases.compactMap { projections[$0] } }
    }

    /// The position every projection has applied, the lowest of theirs; `nil` when none is
    /// mapped. Checked on every write (`WriteAdmissionMiddleware`): no array is built.
    public var lowestAppliedPosition: UInt64? {
        current.withLock { projections in
            var lowest: UInt64?
            for projection in projections.values {
                let position = projection.applied.position
                if lowest.map({ position < $0 }) ?? true { lowest = position }
            }
            return lowest
        }
    }

    /// Puts rebuilt projections (from `rebuildProjections`) in force, in the storage and here.
    /// The old ones are retired: their position watches jump to the end so that readers waiting
    /// on them wake and look up the new projection.
    public func replace(with projections: [RecordType: RecordProjection]) throws {
        try storage.promoteRebuilt(projections.keys.map(\.rawValue))
        let retired = current.withLock { current in
            defer { current = projections }
            return Array(current.values)
        }
        for projection in retired { projection.applied.advance(to: .max) }
    }
}
