import Synchronization

/// A `ProjectionStore` in memory, for servers whose journal is in memory too, and for tests.
///
/// Keys are kept in a dictionary; the sorted order scans need is built lazily: keys added since
/// the last scan are sorted and merged in by the next one, so commits never pay for ordering.
public final class InMemoryProjectionStore: ProjectionStore {
    private struct Table {
        var values: [[UInt8]: [UInt8]] = [:]
        /// Sorted; may hold keys deleted since (skipped by scans, dropped at the next merge).
        var sortedKeys: [[UInt8]] = []
        /// Keys added since the last merge, unsorted.
        var addedKeys: [[UInt8]] = []
        var removedSinceMerge = 0
        var checkpoint = ProjectionCheckpoint(position: 0)

        mutating func mergeIfNeeded() {
            guard !addedKeys.isEmpty || removedSinceMerge > sortedKeys.count / 4 else { return }
            addedKeys.sort { $0.lexicographicallyPrecedes($1) }
            var merged: [[UInt8]] = []
            merged.reserveCapacity(sortedKeys.count + addedKeys.count)
            var left = 0
            var right = 0
            while left < sortedKeys.count || right < addedKeys.count {
                let key: [UInt8]
                if right == addedKeys.count || (left < sortedKeys.count && sortedKeys[left].lexicographicallyPrecedes(addedKeys[right])) {
                    key = sortedKeys[left]
                    left += 1
                } else {
                    key = addedKeys[right]
                    right += 1
                }
                // A key deleted and added again appears twice; a deleted one is dropped.
                if values[key] != nil, merged.last != key { merged.append(key) }
            }
            sortedKeys = merged
            addedKeys.removeAll(keepingCapacity: true)
            removedSinceMerge = 0
        }
    }

    private let table = Mutex(Table())

    /// An empty store.
    public init() {}

    public func checkpoint() -> ProjectionCheckpoint {
        table.withLock { $0.checkpoint }
    }

    public func values(forKeys keys: [[UInt8]]) -> [[UInt8]?] {
        table.withLock { table in keys.map { table.values[$0] } }
    }

    public func scan(from start: [UInt8], _ visit: (_ key: [UInt8], _ value: [UInt8]) throws -> Bool) throws {
        try table.withLock { table in
            table.mergeIfNeeded()
            var low = 0
            var high = table.sortedKeys.count
            while low < high {
                let middle = (low + high) / 2
                if table.sortedKeys[middle].lexicographicallyPrecedes(start) { low = middle + 1 } else { high = middle }
            }
            for key in table.sortedKeys[low...] {
                guard let value = table.values[key] else { continue }
                if try !visit(key, value) { return }
            }
        }
    }

    public func commit(_ changes: ProjectionChanges) {
        table.withLock { table in
            for write in changes.writes {
                if let value = write.value {
                    if table.values.updateValue(value, forKey: write.key) == nil { table.addedKeys.append(write.key) }
                } else if table.values.removeValue(forKey: write.key) != nil {
                    table.removedSinceMerge += 1
                }
            }
            table.checkpoint = changes.checkpoint
        }
    }
}

/// `ProjectionStorage` in memory: stores last as long as the process.
public final class InMemoryProjectionStorage: ProjectionStorage {
    private struct Stores {
        var inForce: [String: InMemoryProjectionStore] = [:]
        var rebuilding: [String: InMemoryProjectionStore] = [:]
    }

    private let stores = Mutex(Stores())

    /// Storage with no stores yet.
    public init() {}

    public func store(named name: String, stamp: String) -> any ProjectionStore {
        stores.withLock { stores in
            if let store = stores.inForce[name] { return store }
            let store = InMemoryProjectionStore()
            stores.inForce[name] = store
            return store
        }
    }

    public func rebuildStore(named name: String, stamp: String) -> any ProjectionStore {
        stores.withLock { stores in
            let store = InMemoryProjectionStore()
            stores.rebuilding[name] = store
            return store
        }
    }

    public func promoteRebuilt(_ names: [String]) {
        stores.withLock { stores in
            for name in names {
                if let store = stores.rebuilding.removeValue(forKey: name) { stores.inForce[name] = store }
            }
        }
    }
}
