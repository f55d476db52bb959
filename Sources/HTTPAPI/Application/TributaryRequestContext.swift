import Hummingbird
import NIOCore

/// The request context of Tributary's routes: Hummingbird's basics plus the connection's
/// channel, which a live stream closes when its consumer has stopped reading.
public struct TributaryRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection the request came on.
    let channel: any Channel
    /// The request's id (`X-Request-Id`, given by the caller or by the server), set by
    /// `RequestIDMiddleware`; kept in the metadata of the events the request writes.
    var requestID: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}
