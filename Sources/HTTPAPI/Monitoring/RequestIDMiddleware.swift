import HTTPTypes
import Hummingbird

/// Gives every request an id: the caller's `X-Request-Id` when it is a sensible one (1 to 128
/// characters among letters, digits and `-_.:/+=@`), else a new random one. The id is answered
/// in `X-Request-Id` (problems included), logged with every line the request logs
/// (`request_id`), and kept in the metadata of the events the request writes (`requestId`), so a
/// caller can follow a request from its own logs to the journal.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = TributaryRequestContext

    static let header = HTTPField.Name("X-Request-Id")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let id = request.headers[Self.header].flatMap(Self.acceptable) ?? Self.generate()
        var context = context
        context.requestID = id
        context.logger[metadataKey: "request_id"] = .string(id)
        do {
            var response = try await next(request, context)
            response.headers[Self.header] = id
            return response
        } catch var problem as Problem {
            problem.headers[Self.header] = id
            throw problem
        }
    }

    /// `value` when it is fit to log and store, else `nil`.
    static func acceptable(_ value: String) -> String? {
        let bytes = value.utf8
        guard (1...128).contains(bytes.count), bytes.allSatisfy(isAllowed) else { return nil }
        return value
    }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: ":"), UInt8(ascii: "/"), UInt8(ascii: "+"),
            UInt8(ascii: "="), UInt8(ascii: "@"):
            true
        default: false
        }
    }

    /// 128 random bits in hex.
    static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64, low = generator.next() as UInt64
        return pad(String(high, radix: 16)) + pad(String(low, radix: 16))
    }

    private static func pad(_ hex: String) -> String {
        String(repeating: "0", count: max(0, 16 - hex.count)) + hex
    }
}
