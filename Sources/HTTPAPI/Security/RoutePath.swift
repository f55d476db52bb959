/// Request paths in the form the router matches them.
///
/// Hummingbird's router skips empty segments, so `//v1//cdc/` reaches the same handler as
/// `/v1/cdc`. Every check that decides by path (token scopes, write admission) must look at the
/// same form, or extra slashes would walk past it.
enum RoutePath {
    /// `path` without empty segments: no repeated `/`, no trailing `/` (but `/` itself).
    static func canonical(_ path: String) -> String {
        var previousWasSlash = false
        var needsRewrite = false
        for byte in path.utf8 {
            let isSlash = byte == UInt8(ascii: "/")
            if isSlash, previousWasSlash {
                needsRewrite = true
                break
            }
            previousWasSlash = isSlash
        }
        if !needsRewrite, !(previousWasSlash && path.utf8.count > 1) { return path }
        return "/" + path.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
    }
}
