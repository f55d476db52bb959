import CLMDB

#if canImport(Glibc)
import Glibc
#endif

/// An open LMDB environment: the one wrapper around LMDB's environment handle.
///
/// Transactions exist only inside `withReadTransaction` / `withWriteTransaction`, which commit on
/// return and abort on throw, so no transaction or `MDB_val` outlives its scope. Write
/// transactions grow the map and retry when LMDB reports `MDB_MAP_FULL`.
///
/// The unchecked `Sendable` conformance is safe here because: LMDB's environment handle is thread-safe; the
/// environment is opened with `MDB_NOTLS`, so a read transaction is not tied to its thread; LMDB
/// itself serialises write transactions; and changing the map size, the one call that must not
/// run beside other transactions of this process, takes `resizeLock` exclusively while every read
/// transaction holds it shared. Write transactions do not take it: the journal's single writer
/// thread is the only one that writes and the only one that grows the map, between its own
/// transactions. The lock prefers writers, so a steady stream of readers cannot starve a resize.
/// The handle is closed only by `close()`, after the writer has stopped, after which every call
/// fails with `EINVAL`.
public final class LMDBEnvironment: @unchecked Sendable {
    private var handle: OpaquePointer?
    private let resizeLock: UnsafeMutablePointer<pthread_rwlock_t>
    /// The directory holding `data.mdb` and `lock.mdb`.
    public let path: String
    /// The settings the environment was opened with.
    public let configuration: LMDBConfiguration

    /// Opens (creating if needed) the environment in directory `path`.
    public init(path: String, configuration: LMDBConfiguration = .init()) throws {
        self.path = path
        self.configuration = configuration
        var environment: OpaquePointer?
        try check(mdb_env_create(&environment), "mdb_env_create")
        do {
            try check(mdb_env_set_maxdbs(environment, MDB_dbi(configuration.maxDatabases)), "mdb_env_set_maxdbs")
            try check(mdb_env_set_maxreaders(environment, configuration.maxReaders), "mdb_env_set_maxreaders")
            try check(mdb_env_set_mapsize(environment, configuration.initialMapSize), "mdb_env_set_mapsize")
            if !configuration.readOnly {
                if mkdir(path, 0o755) != 0, errno != EEXIST {
                    throw LMDBError(code: errno, operation: "mkdir \(path)")
                }
            }
            var flags = UInt32(MDB_NOTLS) | UInt32(MDB_NORDAHEAD)
            if configuration.relaxedDurability { flags |= UInt32(MDB_NOSYNC) }
            if configuration.readOnly { flags |= UInt32(MDB_RDONLY) }
            try check(mdb_env_open(environment, path, flags, 0o644), "mdb_env_open \(path)")
            // An existing environment may be larger than the initial size: adopt its size.
            try check(mdb_env_set_mapsize(environment, 0), "mdb_env_set_mapsize")
        } catch {
            mdb_env_close(environment)
            throw error
        }
        self.handle = environment
        self.resizeLock = .allocate(capacity: 1)
        var attributes = pthread_rwlockattr_t()
        pthread_rwlockattr_init(&attributes)
        pthread_rwlockattr_setkind_np(&attributes, Int32(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
        pthread_rwlock_init(resizeLock, &attributes)
        pthread_rwlockattr_destroy(&attributes)
    }

    deinit {
        close()
        pthread_rwlock_destroy(resizeLock)
        resizeLock.deallocate()
    }

    /// Closes the environment. Call only once no transaction is running.
    public func close() {
        pthread_rwlock_wrlock(resizeLock)
        defer { pthread_rwlock_unlock(resizeLock) }
        if let handle {
            mdb_env_close(handle)
            self.handle = nil
        }
    }

    /// Opens (or, outside read-only mode, creates) the named database `name`.
    public func openDatabase(_ name: String) throws -> LMDBDatabase {
        pthread_rwlock_rdlock(resizeLock)
        defer { pthread_rwlock_unlock(resizeLock) }
        let handle = try openHandle("mdb_dbi_open \(name)")
        var transaction: OpaquePointer?
        let readOnly = configuration.readOnly
        try check(mdb_txn_begin(handle, nil, readOnly ? UInt32(MDB_RDONLY) : 0, &transaction), "mdb_txn_begin")
        var dbi = MDB_dbi()
        let code = mdb_dbi_open(transaction, name, readOnly ? 0 : UInt32(MDB_CREATE), &dbi)
        guard code == MDB_SUCCESS else {
            mdb_txn_abort(transaction)
            throw LMDBError(
                code: code,
                operation: "mdb_dbi_open \(name)",
                hint: code == MDB_NOTFOUND ? "the data directory holds no Tributary journal" : nil
            )
        }
        // Committing (even a read transaction) keeps the database handle open for later ones.
        try check(mdb_txn_commit(transaction), "mdb_txn_commit")
        return LMDBDatabase(dbi: dbi, name: name)
    }

    /// Retires the named database `name`: deletes it and everything in it, when there is one,
    /// and stores `marker` under its name in the main database, so that an LMDB client opening
    /// `name` as a database (an older build) fails with `MDB_INCOMPATIBLE` instead of creating
    /// an empty one. Returns whether a database was deleted. Not in read-only mode.
    public func retireDatabase(_ name: String, marker: [UInt8]) throws -> Bool {
        try withWriteTransaction { transaction in
            var dbi = MDB_dbi()
            let code = mdb_dbi_open(transaction.handle, name, 0, &dbi)
            var deleted = false
            switch code {
            case MDB_SUCCESS:
                try check(mdb_drop(transaction.handle, dbi, 1), "mdb_drop \(name)")
                deleted = true
            case MDB_NOTFOUND, MDB_INCOMPATIBLE:
                break  // never there, or retired already
            default:
                try check(code, "mdb_dbi_open \(name)")
            }
            let main = try transaction.mainDatabase()
            if try transaction.bytes(in: main, forKey: Array(name.utf8)) != marker {
                try transaction.put(in: main, key: Array(name.utf8), value: marker)
            }
            return deleted
        }
    }

    /// Runs `body` in a read-only transaction (a consistent snapshot), then ends it.
    public func withReadTransaction<T, E: Error>(_ body: (LMDBTransaction) throws(E) -> T) throws -> T {
        while true {
            pthread_rwlock_rdlock(resizeLock)
            defer { pthread_rwlock_unlock(resizeLock) }
            let handle = try openHandle("mdb_txn_begin (read)")
            var transaction: OpaquePointer?
            let code = mdb_txn_begin(handle, nil, UInt32(MDB_RDONLY), &transaction)
            if code == MDB_MAP_RESIZED {
                // Another process grew the map: adopt its size under the exclusive lock, then retry.
                pthread_rwlock_unlock(resizeLock)
                defer { pthread_rwlock_rdlock(resizeLock) }
                try adoptMapSize()
                continue
            }
            try check(code, "mdb_txn_begin (read)")
            defer { mdb_txn_abort(transaction) }
            return try body(LMDBTransaction(handle: transaction))
        }
    }

    /// Takes the map size another process has set (after `MDB_MAP_RESIZED`).
    private func adoptMapSize() throws {
        pthread_rwlock_wrlock(resizeLock)
        defer { pthread_rwlock_unlock(resizeLock) }
        try check(mdb_env_set_mapsize(try openHandle("mdb_env_set_mapsize"), 0), "mdb_env_set_mapsize")
    }

    /// Runs `body` in a write transaction and commits it (with fsync unless relaxed) when `body`
    /// returns; aborts it when `body` throws.
    ///
    /// When the map is full, the transaction is aborted, the map doubled, and `body` run again:
    /// `body` must be safe to repeat (it only writes through the transaction).
    public func withWriteTransaction<T, E: Error>(_ body: (LMDBTransaction) throws(E) -> T) throws -> T {
        while true {
            do {
                return try writeOnce(body)
            } catch let error as LMDBError where error.isMapFull {
                try grow()
            }
        }
    }

    private func writeOnce<T, E: Error>(_ body: (LMDBTransaction) throws(E) -> T) throws -> T {
        let handle = try openHandle("mdb_txn_begin (write)")
        var transaction: OpaquePointer?
        try check(mdb_txn_begin(handle, nil, 0, &transaction), "mdb_txn_begin (write)")
        let value: T
        do {
            value = try body(LMDBTransaction(handle: transaction))
        } catch {
            mdb_txn_abort(transaction)
            throw error
        }
        try check(mdb_txn_commit(transaction), "mdb_txn_commit")
        return value
    }

    /// The handle, or an `EINVAL` error once `close()` has run: LMDB itself does not check for a
    /// null environment and would crash.
    private func openHandle(_ operation: @autoclosure () -> String) throws(LMDBError) -> OpaquePointer {
        guard let handle else { throw LMDBError(code: EINVAL, operation: operation(), hint: "the environment is closed") }
        return handle
    }

    /// Doubles the map size. Waits for running read transactions to end.
    private func grow() throws {
        pthread_rwlock_wrlock(resizeLock)
        defer { pthread_rwlock_unlock(resizeLock) }
        let handle = try openHandle("mdb_env_set_mapsize (grow)")
        var info = MDB_envinfo()
        try check(mdb_env_info(handle, &info), "mdb_env_info")
        try check(mdb_env_set_mapsize(handle, info.me_mapsize * 2), "mdb_env_set_mapsize (grow)")
    }

    /// The current map size in bytes.
    public var mapSize: Int {
        pthread_rwlock_rdlock(resizeLock)
        defer { pthread_rwlock_unlock(resizeLock) }
        guard let handle else { return 0 }
        var info = MDB_envinfo()
        guard mdb_env_info(handle, &info) == MDB_SUCCESS else { return 0 }
        return info.me_mapsize
    }

    /// The bytes in use: pages used times the page size.
    public var usedBytes: Int {
        pthread_rwlock_rdlock(resizeLock)
        defer { pthread_rwlock_unlock(resizeLock) }
        guard let handle else { return 0 }
        var info = MDB_envinfo()
        var stat = MDB_stat()
        guard mdb_env_info(handle, &info) == MDB_SUCCESS, mdb_env_stat(handle, &stat) == MDB_SUCCESS else { return 0 }
        return (info.me_last_pgno + 1) * Int(stat.ms_psize)
    }

    /// Flushes buffers to disk (needed only in relaxed-durability mode).
    public func sync() throws {
        pthread_rwlock_rdlock(resizeLock)
        defer { pthread_rwlock_unlock(resizeLock) }
        try check(mdb_env_sync(try openHandle("mdb_env_sync"), 1), "mdb_env_sync")
    }

    /// Writes a consistent copy of the environment into the existing, empty directory `path`,
    /// compacting free pages away when `compact` is set. Safe while writers are running.
    public func copy(to path: String, compact: Bool = true) throws {
        pthread_rwlock_rdlock(resizeLock)
        defer { pthread_rwlock_unlock(resizeLock) }
        try check(mdb_env_copy2(try openHandle("mdb_env_copy2 \(path)"), path, compact ? UInt32(MDB_CP_COMPACT) : 0), "mdb_env_copy2 \(path)")
    }
}

/// A named database inside an environment.
public struct LMDBDatabase: Sendable, Hashable {
    let dbi: MDB_dbi
    /// The database's name.
    public let name: String
}
