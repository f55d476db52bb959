import NIOCore
import NIOHTTP1
import NIOPosix

/// An HTTP answer: the status and the body bytes.
public struct HTTPAnswer: Sendable {
    /// The status code.
    public var status: Int
    /// The body.
    public var body: ByteBuffer

    /// The body as text.
    public var text: String { String(buffer: body) }
}

/// A request prepared once, sent as is: load generation must not spend the server's CPU.
public struct PreparedRequest: Sendable {
    /// The request line and headers.
    public var head: HTTPRequestHead
    /// The body, if any.
    public var body: ByteBuffer?
    /// How many operations (changes, reads) it carries, for throughput.
    public var operations: Int

    /// A request for `method` `target` with an optional JSON body.
    public init(method: String, target: String, host: String, body: [UInt8]? = nil, operations: Int = 1) {
        var headers: HTTPHeaders = ["Host": host]
        if let body {
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(body.count))
        }
        self.head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: target, headers: headers)
        self.body = body.map { ByteBuffer(bytes: $0) }
        self.operations = operations
    }
}

/// Why a request got no answer.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    /// What happened.
    public var description: String
}

/// One keep-alive HTTP/1.1 connection to the server under test, used by one virtual client at a
/// time: send a request, await its answer, send the next.
public final class HTTPConnection: Sendable {
    private let channel: any Channel

    private init(channel: any Channel) {
        self.channel = channel
    }

    /// Connects to `host`:`port`.
    public static func connect(host: String, port: Int, group: any EventLoopGroup) async throws -> HTTPConnection {
        let channel = try await ClientBootstrap(group: group)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(HTTPRequestEncoder())
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .fireError)))
                    try channel.pipeline.syncOperations.addHandler(AnswerHandler())
                }
            }
            .connect(host: host, port: port)
            .get()
        return HTTPConnection(channel: channel)
    }

    /// Sends `request` and returns the answer.
    public func send(_ request: PreparedRequest) async throws -> HTTPAnswer {
        let promise = channel.eventLoop.makePromise(of: HTTPAnswer.self)
        channel.writeAndFlush(AnswerHandler.Outbound(request: request, promise: promise), promise: nil)
        return try await promise.futureResult.get()
    }

    /// Closes the connection.
    public func close() async {
        try? await channel.close()
    }
}

/// Writes pre-encoded requests and completes their promises, in order, from the decoded answers.
private final class AnswerHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = Outbound
    typealias OutboundOut = HTTPClientRequestPart

    struct Outbound {
        var request: PreparedRequest
        var promise: EventLoopPromise<HTTPAnswer>
    }

    private var waiting: [EventLoopPromise<HTTPAnswer>] = []
    private var status = 0
    private var body: ByteBuffer?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let outbound = unwrapOutboundIn(data)
        waiting.append(outbound.promise)
        context.write(wrapOutboundOut(.head(outbound.request.head)), promise: nil)
        if let body = outbound.request.body {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            body = nil
        case .body(var part):
            if body == nil {
                body = part
            } else {
                body?.writeBuffer(&part)
            }
        case .end:
            guard !waiting.isEmpty else { return }
            let promise = waiting.removeFirst()
            promise.succeed(HTTPAnswer(status: status, body: body ?? ByteBuffer()))
            body = nil
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(TransportError(description: "\(error)"))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(TransportError(description: "the server closed the connection"))
        context.fireChannelInactive()
    }

    private func failAll(_ error: TransportError) {
        let promises = waiting
        waiting = []
        for promise in promises { promise.fail(error) }
    }
}
