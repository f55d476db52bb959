import Logging
import ServiceLifecycle

/// The service that owns the read-model environment's lifetime: on graceful shutdown it syncs
/// it to disk and marks it cleanly closed.
///
/// Put it right after the journal's service: services shut down in reverse order, so the
/// storage closes only after the projection runner and rebuilds have stopped writing to it.
public struct LMDBProjectionStorageService: Service {
    private let storage: LMDBProjectionStorage
    private let logger: Logger

    /// A service closing `storage` on shutdown.
    public init(storage: LMDBProjectionStorage, logger: Logger) {
        self.storage = storage
        self.logger = logger
    }

    public func run() async throws {
        try? await gracefulShutdown()
        let usedBytes = storage.environment.usedBytes
        do {
            try storage.close()
            logger.info("read models closed", metadata: ["usedBytes": "\(usedBytes)"])
        } catch {
            // Not fatal: the next start-up finds the session still open and, on this boot,
            // trusts the environment (the page cache holds its writes).
            logger.error("read models could not be synced on close", metadata: ["error": "\(error)"])
        }
    }
}
