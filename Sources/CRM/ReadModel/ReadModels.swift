import Synchronization

/// The read models in force, one projection per mapped record type.
///
/// A rebuild prepares a complete new set beside the live one and swaps it in with `replace`, so
/// queries keep being answered from the old views until the new ones have caught up.
public final class ReadModels: Sendable {
    private let current: Mutex<[RecordType: RecordProjection]>

    /// Read models with a fresh projection for every type `mappings` maps.
    public init(mappings: MappingSet) {
        current = Mutex(ReadModels.projections(for: mappings))
    }

    /// New, empty projections for every type `mappings` maps.
    public static func projections(for mappings: MappingSet) -> [RecordType: RecordProjection] {
        Dictionary(uniqueKeysWithValues: mappings.recordTypes.compactMap { type in
            mappings[type].map { (type, RecordProjection(mapping: $0)) }
        })
    }

    /// The projection of `type`, if mapped.
    public func projection(_ type: RecordType) -> RecordProjection? {
        current.withLock { $0[type] }
    }

    /// Every projection, in record-type order.
    public var all: [RecordProjection] {
        current.withLock { projections in RecordType.allCases.compactMap { projections[$0] } }
    }

    /// Swaps in a new set of projections. The old ones are retired: their position watches jump
    /// to the end so that readers waiting on them wake and look up the new projection.
    public func replace(with projections: [RecordType: RecordProjection]) {
        let retired = current.withLock { current in
            defer { current = projections }
            return Array(current.values)
        }
        for projection in retired { projection.applied.advance(to: .max) }
    }
}
