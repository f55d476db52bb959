import CLMDB

#if canImport(Glibc)
import Glibc
#endif

/// A failed LMDB call: which operation, the LMDB return code and its message, and what to do.
public struct LMDBError: Error, Hashable, CustomStringConvertible {
    /// The LMDB (or errno) return code.
    public let code: Int32
    /// The operation that failed, e.g. `mdb_txn_commit`.
    public let operation: String
    /// What the operator can do about it, when something can be done.
    public let hint: String?

    /// An error for `code` returned by `operation`.
    public init(code: Int32, operation: String, hint: String? = nil) {
        self.code = code
        self.operation = operation
        self.hint = hint ?? LMDBError.defaultHint(for: code)
    }

    /// LMDB's own text for the code (mdb_strerror).
    public var message: String { String(cString: mdb_strerror(code)) }

    /// Whether the map is full (the caller grows it and retries).
    public var isMapFull: Bool { code == MDB_MAP_FULL }

    /// Whether the disk is full.
    public var isDiskFull: Bool { code == ENOSPC }

    public var description: String {
        var text = "\(operation) failed: \(message) (\(code))"
        if let hint { text += "; \(hint)" }
        return text
    }

    private static func defaultHint(for code: Int32) -> String? {
        switch code {
        case ENOSPC: "the disk is full: free space, writes resume by themselves"
        // LMDB reports a short write (what a full disk gives) as EIO.
        case EIO: "a write failed: the disk may be full (free space, writes resume by themselves) or failing"
        case EACCES: "check the permissions of the data directory"
        case MDB_READERS_FULL: "too many concurrent readers: raise maxReaders"
        case MDB_VERSION_MISMATCH, MDB_INVALID: "the data directory was not written by a compatible LMDB"
        case MDB_CORRUPTED, MDB_PAGE_NOTFOUND: "the database is corrupted: restore it from a backup"
        default: nil
        }
    }
}

/// Turns an LMDB return code into a thrown `LMDBError`; every `mdb_*` call goes through here.
@inline(__always)
func check(_ code: Int32, _ operation: @autoclosure () -> String) throws(LMDBError) {
    guard code == MDB_SUCCESS else { throw LMDBError(code: code, operation: operation()) }
}
