import CLMDB

/// A transaction handed to the body of `withReadTransaction` / `withWriteTransaction`.
///
/// It is valid only inside that body. Byte buffers it passes to closures point into the memory
/// map and are valid only inside those closures: copy what must outlive them.
public struct LMDBTransaction {
    let handle: OpaquePointer?

    /// Calls `body` with the value stored under `key`, or returns `nil` when there is none.
    public func withValue<T>(
        in database: LMDBDatabase,
        forKey key: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer) throws -> T
    ) throws -> T? {
        var keyValue = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var value = MDB_val()
        let code = mdb_get(handle, database.dbi, &keyValue, &value)
        if code == MDB_NOTFOUND { return nil }
        try check(code, "mdb_get \(database.name)")
        return try body(UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size))
    }

    /// A copy of the value stored under `key`, or `nil`.
    public func bytes(in database: LMDBDatabase, forKey key: [UInt8]) throws -> [UInt8]? {
        try key.withUnsafeBytes { keyBytes in
            try withValue(in: database, forKey: keyBytes) { Array($0) }
        }
    }

    /// Stores `value` under `key`.
    public func put(
        in database: LMDBDatabase,
        key: UnsafeRawBufferPointer,
        value: UnsafeRawBufferPointer,
        flags: LMDBPutFlags = []
    ) throws {
        var keyValue = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var dataValue = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        try check(mdb_put(handle, database.dbi, &keyValue, &dataValue, flags.rawValue), "mdb_put \(database.name)")
    }

    /// Stores `value` under `key`.
    public func put(in database: LMDBDatabase, key: [UInt8], value: [UInt8], flags: LMDBPutFlags = []) throws {
        try key.withUnsafeBytes { (keyBytes) throws in
            try value.withUnsafeBytes { (valueBytes) throws in
                try put(in: database, key: keyBytes, value: valueBytes, flags: flags)
            }
        }
    }

    /// Reserves `count` bytes under `key` and lets `fill` write them in place (`MDB_RESERVE`),
    /// saving a copy of large values.
    public func reserve(
        in database: LMDBDatabase,
        key: UnsafeRawBufferPointer,
        count: Int,
        flags: LMDBPutFlags = [],
        fill: (UnsafeMutableRawBufferPointer) -> Void
    ) throws {
        var keyValue = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var dataValue = MDB_val(mv_size: count, mv_data: nil)
        try check(
            mdb_put(handle, database.dbi, &keyValue, &dataValue, flags.rawValue | UInt32(MDB_RESERVE)),
            "mdb_put (reserve) \(database.name)"
        )
        fill(UnsafeMutableRawBufferPointer(start: dataValue.mv_data, count: count))
    }

    /// Deletes the value under `key`; returns whether there was one.
    @discardableResult
    public func delete(in database: LMDBDatabase, key: [UInt8]) throws -> Bool {
        var code: Int32 = 0
        key.withUnsafeBytes { keyBytes in
            var keyValue = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
            code = mdb_del(handle, database.dbi, &keyValue, nil)
        }
        if code == MDB_NOTFOUND { return false }
        try check(code, "mdb_del \(database.name)")
        return true
    }

    /// Deletes every entry of `database` (`mdb_drop` without deleting the database itself).
    public func empty(_ database: LMDBDatabase) throws {
        try check(mdb_drop(handle, database.dbi, 0), "mdb_drop \(database.name)")
    }

    /// The unnamed main database, which holds the names of the named ones (and, here, the
    /// markers of retired ones: `LMDBEnvironment.retireDatabase`).
    func mainDatabase() throws -> LMDBDatabase {
        var dbi = MDB_dbi()
        try check(mdb_dbi_open(handle, nil, 0, &dbi), "mdb_dbi_open (main)")
        return LMDBDatabase(dbi: dbi, name: "(main)")
    }

    /// The number of entries in `database`.
    public func count(in database: LMDBDatabase) throws -> Int {
        var stat = MDB_stat()
        try check(mdb_stat(handle, database.dbi, &stat), "mdb_stat \(database.name)")
        return stat.ms_entries
    }

    /// Runs `body` with a cursor over `database`, closed afterwards.
    public func withCursor<T>(in database: LMDBDatabase, _ body: (inout LMDBCursor) throws -> T) throws -> T {
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(handle, database.dbi, &cursor), "mdb_cursor_open \(database.name)")
        defer { mdb_cursor_close(cursor) }
        var wrapper = LMDBCursor(handle: cursor, databaseName: database.name)
        return try body(&wrapper)
    }
}

/// Flags for `put`.
public struct LMDBPutFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Fail with `MDB_KEYEXIST` rather than overwrite.
    public static let noOverwrite = LMDBPutFlags(rawValue: UInt32(MDB_NOOVERWRITE))
    /// The key sorts after every existing key: append without searching.
    public static let append = LMDBPutFlags(rawValue: UInt32(MDB_APPEND))
}

/// A cursor handed to the body of `withCursor`. Entries it returns point into the memory map
/// and are valid until the next cursor call.
public struct LMDBCursor {
    let handle: OpaquePointer?
    let databaseName: String

    /// A key and its value.
    public typealias Entry = (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)

    /// Moves to the first entry whose key is ≥ `key`.
    public mutating func seek(atLeast key: UnsafeRawBufferPointer) throws -> Entry? {
        var keyValue = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        return try move(&keyValue, MDB_SET_RANGE)
    }

    /// Moves to the first entry whose key is ≥ `key`.
    public mutating func seek(atLeast key: [UInt8]) throws -> Entry? {
        try key.withUnsafeBytes { (bytes) throws in try seek(atLeast: bytes) }
    }

    /// Moves to the next entry.
    public mutating func next() throws -> Entry? {
        var keyValue = MDB_val()
        return try move(&keyValue, MDB_NEXT)
    }

    /// Moves to the previous entry.
    public mutating func previous() throws -> Entry? {
        var keyValue = MDB_val()
        return try move(&keyValue, MDB_PREV)
    }

    /// Moves to the first entry.
    public mutating func first() throws -> Entry? {
        var keyValue = MDB_val()
        return try move(&keyValue, MDB_FIRST)
    }

    /// Moves to the last entry.
    public mutating func last() throws -> Entry? {
        var keyValue = MDB_val()
        return try move(&keyValue, MDB_LAST)
    }

    private mutating func move(_ key: inout MDB_val, _ operation: MDB_cursor_op) throws -> Entry? {
        var value = MDB_val()
        let code = mdb_cursor_get(handle, &key, &value, operation)
        if code == MDB_NOTFOUND { return nil }
        try check(code, "mdb_cursor_get \(databaseName)")
        return (UnsafeRawBufferPointer(start: key.mv_data, count: key.mv_size),
                UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size))
    }
}
