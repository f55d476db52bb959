import Crypto
import HTTPTypes
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Checks the HMAC signature a signing relay puts on `POST /v1/cdc` bodies.
///
/// The relay sends `X-Tributary-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`, the HMAC taken
/// with the shared secret over `<t>.` followed by the body's bytes. A signature is accepted once,
/// within `window` of its time: an old or repeated one is refused, so a captured request cannot be
/// replayed.
final class CDCSignatureVerifier: Sendable {
    static let header = "X-Tributary-Signature"
    static let headerName = HTTPField.Name(header)!

    private let key: SymmetricKey
    /// How far a signature's time may be from now, either way.
    let window: Duration
    /// Signatures seen, to refuse replays: each with its time, and in the order they were seen
    /// (with the server's time then), so the expired ones are dropped from the front without
    /// scanning them all on every request.
    private let seen = Mutex(SeenSignatures())

    private struct SeenSignatures {
        var times: [String: Int64] = [:]
        var order: [(signature: String, seenAt: Int64)] = []
        var start = 0

        /// Records `signature` (signed at `time`) unless it is there already; drops those seen
        /// more than twice the window ago (their own times are then surely outside the window,
        /// so the time check refuses them anyway).
        mutating func insert(_ signature: String, time: Int64, now: Int64, window: Int64) -> Bool {
            while start < order.count, now - order[start].seenAt > 2 * window {
                times[order[start].signature] = nil
                start += 1
            }
            if start > 1024, start * 2 > order.count {
                order.removeFirst(start)
                start = 0
            }
            guard times.updateValue(time, forKey: signature) == nil else { return false }
            order.append((signature, now))
            return true
        }
    }

    init(secret: [UInt8], window: Duration = .seconds(300)) {
        self.key = SymmetricKey(data: secret)
        self.window = window
    }

    /// Why a request's signature is refused; `nil` when it is good.
    func refusal(header: String?, body: some Collection<UInt8>, now: Int64 = Int64(time(nil))) -> String? {
        guard let header else { return "this server needs POST /v1/cdc bodies signed: send \(Self.header): t=<unix seconds>,v1=<hex HMAC-SHA256>" }
        let (time, signature) = Self.parts(of: header)
        guard let time, let signature, let mac = Self.bytes(hex: signature) else {
            return "\(Self.header) must read t=<unix seconds>,v1=<hex HMAC-SHA256>"
        }
        let windowSeconds = Int64(window / .seconds(1))
        guard abs(now - time) <= windowSeconds else {
            return "the signature's time is more than \(windowSeconds) s from now; sign each request when sending it"
        }
        var signed = Array("\(time).".utf8)
        signed.append(contentsOf: body)
        guard HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: signed, using: key) else {
            return "the signature does not match the body"
        }
        let replayed = seen.withLock { seen in
            !seen.insert(signature.lowercased(), time: time, now: now, window: windowSeconds)
        }
        return replayed ? "this signature was already used: each request needs a fresh one" : nil
    }

    /// Lets the signature of `header` be used again: its request wrote nothing (the journal
    /// refused it), so the relay may re-send that same signed request within the window.
    func forget(header: String?) {
        guard let header, let signature = Self.parts(of: header).signature else { return }
        // Its entry in `order` stays until it expires; it then removes nothing or, if the same
        // signature was seen again since, an entry expiring at most a window early (when its time
        // check refuses it anyway).
        _ = seen.withLock { $0.times.removeValue(forKey: signature.lowercased()) }
    }

    /// The `t` and `v1` parts of a signature header, where present.
    private static func parts(of header: String) -> (time: Int64?, signature: String?) {
        var time: Int64?
        var signature: String?
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingSpaces() }
            guard pair.count == 2 else { continue }
            if pair[0] == "t" { time = Int64(pair[1]) }
            if pair[0] == "v1" { signature = String(pair[1]) }
        }
        return (time, signature)
    }

    static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count == 64 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        var index = 0
        while index < digits.count {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func value(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        var text = self
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return text
    }
}
