import EventSourcing

/// One projection's slot in `LMDBProjectionStorage`: its state in an LMDB database, its
/// checkpoint in the storage's catalog, committed together. Once a rebuild resets the slot, this
/// store's commits are refused: it belongs to a retired projection.
final class LMDBProjectionStore: ProjectionStore {
    private let storage: LMDBProjectionStorage
    private let database: LMDBDatabase
    /// `name/slot`, and how often the slot had been reset when this store was handed out.
    private let slot: String
    private let generation: Int
    private let checkpointKey: [UInt8]
    private let stamp: String

    init(storage: LMDBProjectionStorage, database: LMDBDatabase, slot: String, generation: Int, checkpointKey: [UInt8], stamp: String) {
        self.storage = storage
        self.database = database
        self.slot = slot
        self.generation = generation
        self.checkpointKey = checkpointKey
        self.stamp = stamp
    }

    func checkpoint() throws -> ProjectionCheckpoint {
        try storage.environment.withReadTransaction { transaction in
            try transaction.bytes(in: storage.catalog, forKey: checkpointKey).flatMap(StoredCheckpoint.init(decoding:))?.checkpoint
        } ?? ProjectionCheckpoint(position: 0)
    }

    func values(forKeys keys: [[UInt8]]) throws -> [[UInt8]?] {
        try storage.environment.withReadTransaction { transaction in
            try keys.map { try transaction.bytes(in: database, forKey: $0) }
        }
    }

    func scan(from start: [UInt8], _ visit: (_ key: [UInt8], _ value: [UInt8]) throws -> Bool) throws {
        try storage.environment.withReadTransaction { transaction in
            try transaction.withCursor(in: database) { cursor in
                // LMDB has no empty keys: an empty start is the first entry.
                var entry = try start.isEmpty ? cursor.first() : cursor.seek(atLeast: start)
                while let (key, value) = entry {
                    guard try visit(Array(key), Array(value)) else { return }
                    entry = try cursor.next()
                }
            }
        }
    }

    func commit(_ changes: ProjectionChanges) throws {
        let checkpoint = StoredCheckpoint(stamp: stamp, checkpoint: changes.checkpoint).encoded
        try storage.write(slot: slot, generation: generation) { transaction in
            for write in changes.writes {
                if let value = write.value {
                    try transaction.put(in: database, key: write.key, value: value)
                } else {
                    try transaction.delete(in: database, key: write.key)
                }
            }
            try transaction.put(in: storage.catalog, key: checkpointKey, value: checkpoint)
        }
    }
}
