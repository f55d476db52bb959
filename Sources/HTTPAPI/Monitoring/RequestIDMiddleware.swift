import HTTPTypes
import Hummingbird
import Synchronization

/// Gives every request an id: the caller's `X-Request-Id` when it is a sensible one (1 to 128
/// characters among letters, digits and `-_.:/+=@`), else a new one (`generate`). The id is answered
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

    /// 32 hex digits, unique within the process and unlikely to repeat across processes: a
    /// random 64-bit half drawn once per process, then a counter run through a keyed 64-bit
    /// permutation (SplitMix64's finaliser, a bijection, twice, with a secret key between), so
    /// consecutive ids differ in every digit and do not give away how many requests came in
    /// between. Two `getrandom` calls and five strings per request cost about 1% of the server's
    /// CPU under `cdc-single` (`perf`); this is a few multiplications and one string.
    static func generate() -> String {
        let count = counter.add(1, ordering: .relaxed).newValue
        let low = mix(mix(count &+ processKey) ^ processKey2)
        return String(unsafeUninitializedCapacity: 32) { buffer in
            writeHex(processHalf, into: buffer, at: 0)
            writeHex(low, into: buffer, at: 16)
            return 32
        }
    }

    private static let counter = Atomic<UInt64>(0)
    private static let processHalf = UInt64.random(in: .min ... .max)
    private static let processKey = UInt64.random(in: .min ... .max)
    private static let processKey2 = UInt64.random(in: .min ... .max)

    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    private static func writeHex(_ value: UInt64, into buffer: UnsafeMutableBufferPointer<UInt8>, at start: Int) {
        let digits: StaticString = "0123456789abcdef"
        for index in 0..<16 {
            let nibble = Int((value >> UInt64(60 - 4 * index)) & 0xF)
            buffer[start + index] = digits.utf8Start[nibble]
        }
    }
}
