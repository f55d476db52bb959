/// A strict RFC 8259 JSON parser working directly on UTF-8 bytes.
///
/// This is the entry point of every payload into Tributary (Salesforce change events, REST
/// responses, request bodies), so it is both strict and fast: it accepts exactly the JSON text of
/// RFC 8259 (no comments, no trailing commas, no byte order mark, no invalid UTF-8, no lone
/// surrogates) and builds a `JSONValue` in one pass without any intermediate token stream.
/// Numbers keep their literal text; object members keep their order; when a key repeats, the last
/// value wins and stays where the key was first written.
///
/// Most callers use `JSONValue(parsing:)`; keep a `JSONParser` around to reuse a set of limits.
public struct JSONParser: Sendable {
    /// Bounds on what one parse accepts, so hostile input cannot exhaust the stack or memory.
    public struct Limits: Sendable, Hashable {
        /// The deepest nesting of arrays and objects accepted; the top-level container is level 1.
        /// The parser recurses once per level, so keep this in the hundreds at most.
        public var maxDepth: Int
        /// The longest string (key or value) accepted, in UTF-8 bytes after unescaping.
        public var maxStringLength: Int

        /// Limits with the given bounds; the defaults suit any Salesforce payload.
        public init(maxDepth: Int = 64, maxStringLength: Int = 1 << 20) {
            self.maxDepth = maxDepth
            self.maxStringLength = maxStringLength
        }
    }

    /// The limits every parse by this parser enforces.
    public var limits: Limits

    /// A parser enforcing `limits`.
    public init(limits: Limits = .init()) {
        self.limits = limits
    }

    /// Parses one JSON text that must fill `bytes` entirely (surrounding whitespace allowed).
    public func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONParseError) -> JSONValue {
        guard !bytes.isEmpty else {
            throw JSONParseError(offset: 0, message: "empty input at byte 0, expected a JSON value")
        }
        let result: Result<JSONValue, JSONParseError> = bytes.withMemoryRebound(to: UInt8.self) { typed in
            var scanner = JSONScanner(bytes: typed, limits: limits)
            do throws(JSONParseError) {
                return .success(try scanner.parseDocument())
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Parses one JSON text that must fill `bytes` entirely; contiguous collections (arrays,
    /// slices) are read in place, others are first copied.
    @inlinable
    public func parse(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONValue {
        let contiguous = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(JSONParseError) -> JSONValue in try parse(UnsafeRawBufferPointer(buffer)) }
        }
        if let contiguous {
            return try contiguous.get()
        }
        let copy = Array(bytes)
        let result = copy.withUnsafeBytes { buffer in
            Result { () throws(JSONParseError) -> JSONValue in try parse(buffer) }
        }
        return try result.get()
    }
}

extension JSONValue {
    /// Parses the JSON text in `bytes` (UTF-8), which must hold exactly one value.
    @inlinable
    public init(parsing bytes: some Collection<UInt8>, limits: JSONParser.Limits = .init()) throws(JSONParseError) {
        self = try JSONParser(limits: limits).parse(bytes)
    }

    /// Parses the JSON text in `bytes` (UTF-8), which must hold exactly one value: the fast path,
    /// reading the memory in place.
    @inlinable
    public init(parsing bytes: UnsafeRawBufferPointer, limits: JSONParser.Limits = .init()) throws(JSONParseError) {
        self = try JSONParser(limits: limits).parse(bytes)
    }

    /// Parses the JSON text `string`, which must hold exactly one value.
    @inlinable
    public init(parsing string: String, limits: JSONParser.Limits = .init()) throws(JSONParseError) {
        var string = string
        let result = string.withUTF8 { buffer in
            Result { () throws(JSONParseError) -> JSONValue in
                try JSONParser(limits: limits).parse(UnsafeRawBufferPointer(buffer))
            }
        }
        self = try result.get()
    }
}
