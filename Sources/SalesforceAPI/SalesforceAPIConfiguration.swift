/// How Tributary reaches a Salesforce org's REST API.
///
/// The client secret is never printed: ``description`` leaves it out, and the client never logs
/// request bodies.
public struct SalesforceAPIConfiguration: Sendable, CustomStringConvertible {
    /// The My Domain or login URL the OAuth token is asked from, e.g.
    /// `https://example.my.salesforce.com`.
    public var loginURL: String
    /// The connected app's consumer key.
    public var clientID: String
    /// The connected app's consumer secret.
    public var clientSecret: String
    /// The REST API version, e.g. `v60.0`.
    public var apiVersion: String
    /// The share of the org's daily API allowance past which the client slows down (0…1).
    public var slowDownAtUsage: Double
    /// The longest pause the client adds between calls as usage nears the allowance.
    public var maximumThrottlePause: Duration
    /// How many times a call is tried in all when Salesforce answers 5xx or
    /// `REQUEST_LIMIT_EXCEEDED`, or the connection fails.
    public var maximumAttempts: Int
    /// The first retry's pause; each later one doubles it (with jitter), up to 30 s.
    public var retryBaseDelay: Duration
    /// How long one HTTP call may take.
    public var requestTimeout: Duration
    /// The page size asked for with `Sforce-Query-Options: batchSize=` (200…2000, a hint).
    public var queryBatchSize: Int

    /// A configuration; the defaults suit a production org.
    public init(
        loginURL: String,
        clientID: String,
        clientSecret: String,
        apiVersion: String = "v60.0",
        slowDownAtUsage: Double = 0.8,
        maximumThrottlePause: Duration = .seconds(5),
        maximumAttempts: Int = 6,
        retryBaseDelay: Duration = .milliseconds(500),
        requestTimeout: Duration = .seconds(60),
        queryBatchSize: Int = 2000
    ) {
        self.loginURL = loginURL.hasSuffix("/") ? String(loginURL.dropLast()) : loginURL
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.apiVersion = apiVersion
        self.slowDownAtUsage = slowDownAtUsage
        self.maximumThrottlePause = maximumThrottlePause
        self.maximumAttempts = max(1, maximumAttempts)
        self.retryBaseDelay = retryBaseDelay
        self.requestTimeout = requestTimeout
        self.queryBatchSize = min(2000, max(200, queryBatchSize))
    }

    public var description: String {
        "Salesforce \(loginURL) (API \(apiVersion), client \(clientID), secret redacted)"
    }
}
