import Logging
import ServiceLifecycle

/// The service that passivates idle records on a timer until graceful shutdown.
public struct PassivationRunner<A: Aggregate>: Service {
    private let registry: AggregateRegistry<A>
    private let logger: Logger

    /// A runner sweeping `registry` at its configured interval.
    public init(registry: AggregateRegistry<A>, logger: Logger) {
        self.registry = registry
        self.logger = logger
    }

    public func run() async throws {
        let interval = registry.configuration.sweepInterval
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
            let removed = await registry.passivateIdle()
            if removed > 0 {
                logger.debug("passivated idle records", metadata: ["count": "\(removed)"])
            }
        }
    }
}
