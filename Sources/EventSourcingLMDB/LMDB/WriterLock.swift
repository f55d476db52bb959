import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock` on `writer.lock` in a journal directory, held while a process may write
/// to it: a second server, an import or an in-place restore on the same directory is refused
/// instead of corrupting it. The kernel drops the lock when the process ends, even by `kill -9`,
/// so a crash never leaves a stale lock behind.
final class WriterLock: Sendable {
    /// The locked file's descriptor; -1 once released.
    private let descriptor: Mutex<Int32>

    /// Takes the lock on `directory`, or throws `EWOULDBLOCK` naming the directory.
    init(directory: String) throws {
        let path = directory + "/writer.lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw LMDBError(code: errno, operation: "open \(path)") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            Glibc.close(descriptor)
            throw LMDBError(
                code: code,
                operation: "lock \(path)",
                hint: code == EWOULDBLOCK ? "another Tributary process (a server, import or restore) is writing to \(directory)" : nil
            )
        }
        self.descriptor = Mutex(descriptor)
    }

    /// Releases the lock; later calls do nothing.
    ///
    /// Unlocked explicitly before closing: closing alone leaves the lock held while any copy of
    /// the descriptor lives, such as the one a child process forked by another thread holds
    /// until it runs `exec` (the tests start servers while other tests reopen journals).
    func release() {
        descriptor.withLock { descriptor in
            if descriptor >= 0 {
                flock(descriptor, LOCK_UN)
                Glibc.close(descriptor)
            }
            descriptor = -1
        }
    }

    deinit {
        release()
    }
}
