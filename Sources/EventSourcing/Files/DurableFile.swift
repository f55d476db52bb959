#if canImport(Glibc)
import Glibc
#endif

/// Small files written so that a crash leaves the old content or the new, never half of either.
package enum DurableFile {
    /// Writes `bytes` to `path`: a temporary file beside it, fsynced, renamed over `path`, and the
    /// directory fsynced so the rename itself survives a machine crash.
    package static func write(_ bytes: [UInt8], to path: String) throws(FileIOError) {
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileIOError(operation: "open \(temporary)", code: errno) }
        let written = bytes.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let count = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += count
            }
            return true
        }
        let code = errno
        guard written, fsync(descriptor) == 0 else {
            close(descriptor)
            unlink(temporary)
            throw FileIOError(operation: "write \(temporary)", code: written ? errno : code)
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw FileIOError(operation: "rename \(temporary)", code: code)
        }
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let directoryDescriptor = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }

    /// The whole content of `path`, or `nil` when there is no such file. Any other failure (a
    /// permission, an I/O error, a directory in the way) throws: callers must not mistake an
    /// unreadable file for a missing one.
    package static func read(_ path: String) throws(FileIOError) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOENT { return nil }
            throw FileIOError(operation: "open \(path)", code: code)
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                throw FileIOError(operation: "read \(path)", code: code)
            }
            guard count > 0 else { break }
            bytes.append(contentsOf: chunk[..<count])
        }
        return bytes
    }
}

/// A file could not be read or written.
public struct FileIOError: Error, Sendable, CustomStringConvertible {
    /// The call that failed.
    public var operation: String
    /// Its errno.
    public var code: Int32

    /// An error for `operation`, which failed with errno `code`.
    public init(operation: String, code: Int32) {
        self.operation = operation
        self.code = code
    }

    public var description: String {
        "\(operation) failed: \(String(cString: strerror(code)))"
    }
}
