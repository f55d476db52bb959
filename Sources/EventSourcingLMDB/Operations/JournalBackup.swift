import EventSourcing

#if canImport(Glibc)
import Glibc
#endif

/// `tributary backup`: a consistent hot copy of a journal directory, then verified.
public enum JournalBackup {
    /// Copies the environment in `directory` into `target` (created; it must not exist or be
    /// empty) with `mdb_env_copy2` and compaction: one read transaction, so the copy is the
    /// state of one commit even while a server keeps writing. Then verifies the copy.
    ///
    /// - Returns: the verification of the copy.
    public static func copy(directory: String, to target: String) throws -> JournalVerification {
        if mkdir(target, 0o755) != 0 {
            guard errno == EEXIST else { throw LMDBError(code: errno, operation: "mkdir \(target)") }
            guard let entries = try? directoryEntries(target), entries.isEmpty else {
                throw LMDBError(code: EEXIST, operation: "backup into \(target)", hint: "the target directory is not empty: pick a new one")
            }
        }
        let environment = try LMDBEnvironment(path: directory, configuration: LMDBConfiguration(readOnly: true))
        defer { environment.close() }
        // Fail on a directory without a journal rather than copying an empty environment.
        _ = try JournalDatabases(environment: environment)
        try environment.copy(to: target, compact: true)
        return try JournalVerifier.verify(directory: target)
    }

    private static func directoryEntries(_ path: String) throws -> [String] {
        guard let directory = opendir(path) else { throw LMDBError(code: errno, operation: "opendir \(path)") }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
