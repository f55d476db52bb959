import Foundation
import NIOCore

/// Plain requests outside the measured load: setting up, and checking the result at the end.
public final class SimClient: Sendable {
    private let connection: HTTPConnection
    private let target: Target

    /// A client with its own connection.
    public static func connect(_ target: Target, group: any EventLoopGroup) async throws -> SimClient {
        SimClient(connection: try await HTTPConnection.connect(host: target.host, port: target.port, group: group), target: target)
    }

    private init(connection: HTTPConnection, target: Target) {
        self.connection = connection
        self.target = target
    }

    /// `GET path`, the answer's status and parsed JSON body (`nil` when it is not JSON).
    public func get(_ path: String) async throws -> (status: Int, json: Any?) {
        let answer = try await connection.send(PreparedRequest(method: "GET", target: path, host: target.authority))
        return (answer.status, try? JSONSerialization.jsonObject(with: Data(answer.text.utf8), options: [.fragmentsAllowed]))
    }

    /// `POST path` with a JSON body.
    public func post(_ path: String, body: [UInt8]) async throws -> (status: Int, json: Any?) {
        let answer = try await connection.send(PreparedRequest(method: "POST", target: path, host: target.authority, body: body))
        return (answer.status, try? JSONSerialization.jsonObject(with: Data(answer.text.utf8), options: [.fragmentsAllowed]))
    }

    /// The journal's last position, from `GET /v1/projections` (a read model's position plus
    /// its lag behind the journal).
    public func journalPosition() async throws -> Int {
        let (_, json) = try await get("/v1/projections")
        let positions = (json as? [[String: Any]])?.compactMap { entry -> Int? in
            guard let position = (entry["position"] as? NSNumber)?.intValue, let lag = (entry["lag"] as? NSNumber)?.intValue else { return nil }
            return position + lag
        } ?? []
        return positions.max() ?? 0
    }

    /// Waits until every projection has applied `position` (`GET /v1/projections` shows each at
    /// or past it), so a measurement starts on a server with no catching up left to do. Throws
    /// after `timeout`.
    public func waitForProjections(through position: Int, timeout: Duration = .seconds(300)) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            let (_, json) = try await get("/v1/projections")
            let positions = (json as? [[String: Any]])?.compactMap { ($0["position"] as? NSNumber)?.intValue } ?? []
            if !positions.isEmpty, positions.allSatisfy({ $0 >= position }) { return }
            guard ContinuousClock.now < deadline else {
                throw SimulationError("the projections did not reach position \(position) within \(timeout): \(positions)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Closes the connection.
    public func close() async {
        await connection.close()
    }
}
