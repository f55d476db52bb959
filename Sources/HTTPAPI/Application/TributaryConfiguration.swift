import CRM
import EventSourcing
import EventSourcingLMDB
import Publishing
import SalesforceAPI

/// Everything `buildApplication` needs to wire a Tributary server.
public struct TributaryConfiguration: Sendable {
    /// Where the journal lives.
    public enum Storage: Sendable {
        /// LMDB in this directory (created if missing): the embedded default.
        case lmdb(directory: String, configuration: LMDBJournalConfiguration = .init())
        /// In memory only: for tests and trying things out; everything is lost on exit.
        case inMemory
    }

    /// The address to listen on.
    public var host: String
    /// The port to listen on (0 picks a free one).
    public var port: Int
    /// Where the journal lives.
    public var storage: Storage
    /// The field mappings in force at start-up.
    public var mappings: MappingSet
    /// The mapping file they came from, read again by each read-model rebuild.
    public var mappingsFile: String?
    /// How long records stay resident.
    public var registry: RegistryConfiguration
    /// The largest request body accepted, in bytes (413 beyond).
    public var maxBodySize: Int
    /// The most changes one `POST /v1/cdc` may carry (413 beyond).
    public var maxBatchItems: Int
    /// The largest single change event accepted, in bytes of JSON (422 for that item beyond).
    /// Salesforce's own limit for a change event is 1 MB.
    public var maxChangeBytes: Int
    /// The most writes (`POST /v1/cdc`, commands) running at once; more answer 503 with
    /// `Retry-After`, writing nothing.
    public var maxInFlightWrites = 256
    /// How far the read models may fall behind the journal before writes answer 503 with
    /// `Retry-After` until they catch up.
    public var maxProjectionLag: UInt64 = 1_000_000
    /// Requests per second each access token may make to `/v1` (bursts of up to one second's
    /// worth); past it 429 with `Retry-After`. No limit when `nil`.
    public var rateLimitPerToken: Double?
    /// How far a read model may trail the journal while `/ready` still answers 200.
    public var readyMaxLag: UInt64 = 10_000
    /// The longest a read may wait for `minPosition`, in milliseconds.
    public var maxWaitMilliseconds: Int
    /// How often the in-memory indexes (gaps, idempotency keys) save snapshots (LMDB storage only;
    /// also on graceful shutdown). Record read models need none: they are stored in LMDB.
    public var snapshotInterval: Duration
    /// How long an `Idempotency-Key` is remembered, in the journal's time (`--idempotency-retention`);
    /// forever when `nil`. A key repeated later is a new command.
    public var idempotencyRetention: Duration?
    /// Identifies the build of the code: snapshots written by another build are not loaded.
    public var buildIdentity: String
    /// The Salesforce org backfills and gap re-reads read from; without it `POST /v1/backfill`
    /// answers 503 and gaps wait.
    public var salesforce: SalesforceAPIConfiguration?
    /// The bearer tokens `/v1` requests need; every request is let in when `nil`.
    public var accessTokens: AccessTokens?
    /// The scope a token needs for `GET /metrics` (`--metrics-scope`); open when `nil`. Only
    /// with `accessTokens`.
    public var metricsScope: Scope?
    /// The scope a token needs for `GET /openapi.json` (`--openapi-scope`); open when `nil`.
    /// Only with `accessTokens`.
    public var openAPIScope: Scope?
    /// Listen on a non-loopback address without access tokens anyway (`--insecure`): otherwise
    /// such a configuration is refused.
    public var allowInsecureListening = false
    /// The shared secret signing relays sign `POST /v1/cdc` bodies with (HMAC-SHA256); unsigned
    /// bodies are refused when set.
    public var cdcSigningSecret: [UInt8]?
    /// How far a signature's time may be from the server's clock (and how long a signature is
    /// remembered to refuse its replay).
    public var cdcSignatureWindow: Duration = .seconds(300)
    /// Limits and timings of `GET /v1/events/stream`.
    public var streams = StreamConfiguration()
    /// The EventBridge bus committed events are published to; no publishing when `nil`.
    public var publisher: PublisherConfiguration?
    /// How many marked records one gap re-read asks for, and the pause between re-reads.
    public var gapRereadBatchSize = 200
    public var gapRereadPause: Duration = .milliseconds(200)

    /// Settings; the defaults listen on 127.0.0.1:8080 with LMDB under `./data`.
    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        storage: Storage = .lmdb(directory: "./data"),
        mappings: MappingSet = .defaults,
        mappingsFile: String? = nil,
        registry: RegistryConfiguration = .init(),
        maxBodySize: Int = 8 << 20,
        maxBatchItems: Int = 10_000,
        maxChangeBytes: Int = 1 << 20,
        maxWaitMilliseconds: Int = 30_000,
        snapshotInterval: Duration = .seconds(300),
        buildIdentity: String = "unversioned"
    ) {
        self.host = host
        self.port = port
        self.storage = storage
        self.mappings = mappings
        self.mappingsFile = mappingsFile
        self.registry = registry
        self.maxBodySize = maxBodySize
        self.maxBatchItems = maxBatchItems
        self.maxChangeBytes = maxChangeBytes
        self.maxWaitMilliseconds = maxWaitMilliseconds
        self.snapshotInterval = snapshotInterval
        self.buildIdentity = buildIdentity
    }
}
