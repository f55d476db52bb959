import EventSourcing
import JSON
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Projection stores in one LMDB environment of their own (`<data>/readmodels`), so read models
/// live on disk and in the page cache rather than on the heap: memory stays flat however many
/// records the mirror holds.
///
/// Each projection has two slots, databases `<name>/0` and `<name>/1`; the `catalog` database
/// says which slot is in force and holds each slot's checkpoint and stamp, written in the same
/// transaction as the slot's state. A rebuild fills the other slot and `promoteRebuilt` flips
/// every rebuilt projection to it in one transaction. Database handles are never closed while
/// the process runs (a retired projection may still be answering a query); the slot out of
/// force is only emptied when the next rebuild reuses it.
///
/// Read models are derived from the journal, so commits skip fsync (`MDB_NOSYNC`): a killed
/// process loses nothing (its writes are in the page cache, and LMDB's copy-on-write never
/// leaves a torn tree), but a machine crash could leave the environment damaged. The `session`
/// file tells the two apart: it holds the kernel's boot id while the environment is open and
/// `clean` after `close()` has synced it. An environment left open under another boot id is
/// deleted at start-up and the read models rebuilt from the journal.
///
/// Writes from all projections are serialised by one lock, so LMDB's map can grow between them.
public final class LMDBProjectionStorage: ProjectionStorage {
    private struct Slots {
        /// The open slot databases, by projection name.
        var databases: [String: [LMDBDatabase]] = [:]
        /// The slot in force, by projection name.
        var inForce: [String: Int] = [:]
        /// The slot being rebuilt, by projection name.
        var rebuilding: [String: Int] = [:]
        /// How often each slot (`name/slot`) has been reset: a store handed out before the last
        /// reset belongs to a retired projection, and its commits are refused.
        var generations: [String: Int] = [:]
    }

    /// The environment holding every read model.
    public let environment: LMDBEnvironment
    /// The directory holding it.
    public let directory: String
    /// Whether start-up found the environment left open by a machine that has since crashed
    /// and deleted it (the read models replay the journal).
    public let discardedAfterMachineCrash: Bool
    let catalog: LMDBDatabase
    /// Held while writing or opening databases: one write transaction at a time in this process.
    private let writeLock = Mutex(Slots())

    /// Opens (creating if needed) the read-model environment in `directory`.
    public init(directory: String, initialMapSize: Int = 256 << 20) throws {
        self.directory = directory
        if mkdir(directory, 0o755) != 0, errno != EEXIST {
            throw LMDBError(code: errno, operation: "mkdir \(directory)")
        }
        discardedAfterMachineCrash = try Self.discardIfUnsafe(directory: directory)
        environment = try LMDBEnvironment(
            path: directory,
            configuration: LMDBConfiguration(initialMapSize: initialMapSize, maxDatabases: 64, relaxedDurability: true)
        )
        catalog = try environment.openDatabase("catalog")
        try Self.writeSession(Array("open \(Self.bootID())\n".utf8), directory: directory)
    }

    /// Syncs the environment to disk, marks it cleanly closed, and closes it. Call once no
    /// projection writes any more. When the sync fails (after which the kernel may have dropped
    /// written pages), the session is marked `dirty`, so the next start-up rebuilds.
    public func close() throws {
        try writeLock.withLock { _ in
            do {
                try environment.sync()
            } catch {
                environment.close()
                try? Self.writeSession(Array("dirty\n".utf8), directory: directory)
                throw error
            }
            environment.close()
            try Self.writeSession(Array("clean\n".utf8), directory: directory)
        }
    }

    // MARK: - ProjectionStorage

    public func store(named name: String, stamp: String) throws -> any ProjectionStore {
        try writeLock.withLock { slots in
            let slot = try slotInForce(name, in: &slots)
            let database = try database(name: name, slot: slot, in: &slots)
            let stored = try environment.withReadTransaction { transaction in
                try transaction.bytes(in: catalog, forKey: Self.checkpointKey(name, slot: slot)).map(StoredCheckpoint.init(decoding:))
            }
            if stored??.stamp != stamp {
                try reset(database, name: name, slot: slot, stamp: stamp, inForce: true, in: &slots)
            }
            // The other slot holds a retired read model (or an unfinished rebuild): free its pages.
            let other = try self.database(name: name, slot: 1 - slot, in: &slots)
            if try environment.withReadTransaction({ try $0.count(in: other) }) > 0 {
                try environment.withWriteTransaction { transaction in
                    try transaction.empty(other)
                    try transaction.delete(in: catalog, key: Self.checkpointKey(name, slot: 1 - slot))
                }
                bump(name, slot: 1 - slot, in: &slots)
            }
            return store(name: name, slot: slot, database: database, stamp: stamp, slots: slots)
        }
    }

    public func rebuildStore(named name: String, stamp: String) throws -> any ProjectionStore {
        try writeLock.withLock { slots in
            let slot = 1 - (try slotInForce(name, in: &slots))
            let database = try database(name: name, slot: slot, in: &slots)
            try reset(database, name: name, slot: slot, stamp: stamp, inForce: false, in: &slots)
            slots.rebuilding[name] = slot
            return store(name: name, slot: slot, database: database, stamp: stamp, slots: slots)
        }
    }

    public func promoteRebuilt(_ names: [String]) throws {
        try writeLock.withLock { slots in
            let promoted = names.compactMap { name in slots.rebuilding[name].map { (name, $0) } }
            try environment.withWriteTransaction { transaction in
                for (name, slot) in promoted {
                    try transaction.put(in: catalog, key: Self.slotKey(name), value: [UInt8(slot)])
                }
            }
            for (name, slot) in promoted {
                slots.inForce[name] = slot
                slots.rebuilding[name] = nil
            }
        }
    }

    // MARK: - For the stores

    /// Runs `body` in a write transaction, one at a time across all projections, for a store
    /// of slot `slot` handed out at `generation`; refused once that slot has been reset since.
    func write(slot: String, generation: Int, _ body: (LMDBTransaction) throws -> Void) throws {
        try writeLock.withLock { slots in
            guard slots.generations[slot, default: 0] == generation else {
                throw LMDBError(code: EINVAL, operation: "commit to \(slot)", hint: "the read model was retired by a rebuild")
            }
            try environment.withWriteTransaction(body)
        }
    }

    private func store(name: String, slot: Int, database: LMDBDatabase, stamp: String, slots: Slots) -> LMDBProjectionStore {
        LMDBProjectionStore(
            storage: self, database: database, slot: "\(name)/\(slot)", generation: slots.generations["\(name)/\(slot)", default: 0],
            checkpointKey: Self.checkpointKey(name, slot: slot), stamp: stamp
        )
    }

    private func bump(_ name: String, slot: Int, in slots: inout Slots) {
        slots.generations["\(name)/\(slot)", default: 0] += 1
    }

    // MARK: - Slots

    /// The slot in force for `name`, as the catalog says (slot 0 for a new projection).
    private func slotInForce(_ name: String, in slots: inout Slots) throws -> Int {
        if let slot = slots.inForce[name] { return slot }
        let slot = try environment.withReadTransaction { transaction in
            try transaction.bytes(in: catalog, forKey: Self.slotKey(name)).flatMap(\.first).map(Int.init) ?? 0
        }
        slots.inForce[name] = slot == 1 ? 1 : 0
        return slot == 1 ? 1 : 0
    }

    private func database(name: String, slot: Int, in slots: inout Slots) throws -> LMDBDatabase {
        if let open = slots.databases[name], open.count == 2 { return open[slot] }
        let both = try (0..<2).map { try environment.openDatabase("\(name)/\($0)") }
        slots.databases[name] = both
        return both[slot]
    }

    /// Empties `database` and stamps it `stamp` at position 0 (making it the slot in force when
    /// `inForce`), in one transaction.
    private func reset(_ database: LMDBDatabase, name: String, slot: Int, stamp: String, inForce: Bool, in slots: inout Slots) throws {
        bump(name, slot: slot, in: &slots)
        try environment.withWriteTransaction { transaction in
            try transaction.empty(database)
            try transaction.put(
                in: catalog,
                key: Self.checkpointKey(name, slot: slot),
                value: StoredCheckpoint(stamp: stamp, checkpoint: ProjectionCheckpoint(position: 0)).encoded
            )
            if inForce { try transaction.put(in: catalog, key: Self.slotKey(name), value: [UInt8(slot)]) }
        }
    }

    static func slotKey(_ name: String) -> [UInt8] {
        Array("slot/\(name)".utf8)
    }

    static func checkpointKey(_ name: String, slot: Int) -> [UInt8] {
        Array("checkpoint/\(name)/\(slot)".utf8)
    }

    // MARK: - Session file

    /// Deletes the environment in `directory` when it may be damaged: left open (not `clean`) by
    /// a boot of the machine other than this one (or by any boot, when the boot id cannot be
    /// read), marked `dirty` by a failed close, or with no session file at all (or one that
    /// cannot be read).
    private static func discardIfUnsafe(directory: String) throws -> Bool {
        let data = directory + "/data.mdb"
        guard access(data, F_OK) == 0 else { return false }
        // An unreadable session file counts as none: the environment is rebuilt from the journal.
        let session = (try? DurableFile.read(directory + "/session")).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let boot = bootID()
        if session == "clean\n" || (boot != "unknown" && session == "open \(boot)\n") { return false }
        for file in ["data.mdb", "lock.mdb"] {
            let path = directory + "/" + file
            if unlink(path) != 0, errno != ENOENT { throw LMDBError(code: errno, operation: "unlink \(path)") }
        }
        return true
    }

    private static func writeSession(_ content: [UInt8], directory: String) throws {
        do {
            try DurableFile.write(content, to: directory + "/session")
        } catch {
            throw LMDBError(code: error.code, operation: error.operation)
        }
    }

    /// The kernel's id of this boot of the machine; it changes on every boot.
    static func bootID() -> String {
        let bytes = (try? DurableFile.read("/proc/sys/kernel/random/boot_id")) ?? []
        let text = String(decoding: bytes, as: UTF8.self).filter { !$0.isWhitespace }
        return text.isEmpty ? "unknown" : text
    }
}

/// A slot's stamp and checkpoint as the catalog stores them:
/// `string stamp | varuint position | metadata` (strings: varuint length, UTF-8).
struct StoredCheckpoint {
    var stamp: String
    var checkpoint: ProjectionCheckpoint

    init(stamp: String, checkpoint: ProjectionCheckpoint) {
        self.stamp = stamp
        self.checkpoint = checkpoint
    }

    /// `nil` when the bytes do not decode (the slot is then reset like a stale one).
    init?(decoding bytes: [UInt8]) {
        var reader = ByteReader(bytes)
        guard let stamp = try? reader.readString(), let position = try? reader.readVarUInt(),
            let metadata = try? reader.readBytes(count: reader.remainingCount)
        else { return nil }
        self.stamp = stamp
        self.checkpoint = ProjectionCheckpoint(position: position, metadata: metadata)
    }

    var encoded: [UInt8] {
        var writer = ByteWriter(capacity: stamp.utf8.count + 16 + checkpoint.metadata.count)
        writer.writeString(stamp)
        writer.writeVarUInt(checkpoint.position)
        writer.writeBytes(checkpoint.metadata)
        return writer.bytes
    }
}
