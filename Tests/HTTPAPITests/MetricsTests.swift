import AWS
import Foundation
import HTTPAPI
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JSON
import Publishing
import PythonToolsSupport
import Testing

/// `GET /metrics` as a Prometheus scraper reads it: parsed by prometheus_client's parser
/// (Tools/parse_metrics.py), which also checks every histogram's buckets, sum and count.
@Suite("GET /metrics")
struct MetricsTests {
    /// One parsed sample.
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    /// Scrapes `/metrics` and parses it with prometheus_client; returns the families' types and
    /// every sample.
    private func scrape(_ client: some TestClientProtocol) async throws -> (types: [String: String], samples: [Sample]) {
        let response = try await client.execute(uri: "/metrics", method: .get, headers: [:], body: nil)
        #expect(response.status == .ok)
        #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
        let parsed = try JSONValue(parsing: Array(try await PythonTools.run("Tools/parse_metrics.py", input: Data(buffer: response.body))))
        var types: [String: String] = [:]
        var samples: [Sample] = []
        for family in parsed.arrayValue ?? [] {
            types[family["name"]?.stringValue ?? ""] = family["type"]?.stringValue
            for sample in family["samples"]?.arrayValue ?? [] {
                var labels: [String: String] = [:]
                for member in sample["labels"]?.objectValue ?? [:] { labels[member.key] = member.value.stringValue }
                samples.append(Sample(name: sample["name"]?.stringValue ?? "", labels: labels, value: sample["value"]?.numberValue?.doubleValue ?? .nan))
            }
        }
        return (types, samples)
    }

    private func value(_ samples: [Sample], _ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    @Test func aScrapeParsesAndCountsWhatTheServerDid() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-metrics-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let app = try await testApplication(storage: .lmdb(directory: directory)) { configuration in
            // A bus nobody answers at (port 9 is discard's, closed here): the publisher's calls
            // fail and it lags, which its metrics must show.
            var publisher = PublisherConfiguration(
                eventBusName: "unreachable", region: "us-east-1", endpoint: try! AWSEndpoint(url: "http://127.0.0.1:9"),
                credentials: AWSCredentials(accessKeyID: "AKIDTEST", secretAccessKey: "unused")
            )
            publisher.requestTimeout = .milliseconds(200)
            publisher.initialBackoff = .milliseconds(10)
            publisher.maxBackoff = .milliseconds(50)
            configuration.publisher = publisher
        }
        try await app.test(.live) { client in
            // Three changes applied (one request), one duplicate, one batch of two invalid items.
            let batch: JSONValue = .array((1...3).map { changeEvent("CREATE", id: accountID($0), transactionKey: "tx-\($0)", fields: ["Name": .string("Client \($0)")]) })
            let write = try await client.request("/v1/cdc", method: .post, json: batch)
            #expect(write.status == .ok)
            let again = try await client.request("/v1/cdc", method: .post, json: changeEvent("CREATE", id: accountID(1), transactionKey: "tx-1", fields: ["Name": "Client 1"]))
            #expect(again.body["results"]?[0]?["outcome"] == "duplicate")
            let invalid = try await client.request("/v1/cdc", method: .post, json: [["x": 1], ["y": 2]])
            #expect(invalid.status == .unprocessableContent)
            let position = write.body["position"]?.int64Value ?? 0
            #expect(try await client.request("/v1/clients/\(accountID(2))?minPosition=\(position)").status == .ok)
            #expect(try await client.request("/v1/clients/\(accountID(9))").status == .notFound)
            #expect(try await client.request("/no/such/\(accountID(7))").status == .notFound)

            let (types, samples) = try await scrape(client)
            // Requests by route template (never by id), method and status.
            #expect(value(samples, "tributary_http_requests_total", ["route": "/v1/cdc", "method": "POST", "status": "200"]) == 2)
            #expect(value(samples, "tributary_http_requests_total", ["route": "/v1/cdc", "method": "POST", "status": "422"]) == 1)
            #expect(value(samples, "tributary_http_requests_total", ["route": "/v1/{aggregate}/{id}", "method": "GET", "status": "404"]) == 1)
            #expect(value(samples, "tributary_http_requests_total", ["route": "unmatched", "method": "GET", "status": "404"]) == 1)
            #expect(value(samples, "tributary_http_request_duration_seconds_count", ["route": "/v1/cdc", "method": "POST"]) == 3)
            #expect(types["tributary_http_request_duration_seconds"] == "histogram")
            #expect(!samples.contains { $0.labels["route"]?.contains(accountID(2)) == true || $0.labels["route"]?.contains(accountID(7)) == true })
            // Ingest outcomes, rejected items included.
            #expect(value(samples, "tributary_ingest_results_total", ["outcome": "applied"]) == 3)
            #expect(value(samples, "tributary_ingest_results_total", ["outcome": "duplicate"]) == 1)
            #expect(value(samples, "tributary_ingest_results_total", ["outcome": "rejected"]) == 2)
            #expect(value(samples, "tributary_ingest_results_total", ["outcome": "gap-pending"]) == 0)
            // The journal: three events committed, commits timed, nothing queued now.
            #expect(value(samples, "tributary_journal_position") == Double(position))
            #expect(value(samples, "tributary_journal_commit_batch_events_sum") == 3)
            #expect((value(samples, "tributary_journal_commit_duration_seconds_count") ?? 0) >= 1)
            #expect(value(samples, "tributary_journal_queued_appends") == 0)
            // Read models caught up; records resident; nothing pending.
            #expect(value(samples, "tributary_projection_lag_events", ["projection": "clients"]) == 0)
            #expect(value(samples, "tributary_projection_position", ["projection": "clients"]) == Double(position))
            #expect(value(samples, "tributary_aggregates_resident") == 3)
            #expect(value(samples, "tributary_aggregate_activations_total") == 3)
            #expect(value(samples, "tributary_gaps_pending_records") == 0)
            #expect(value(samples, "tributary_backfill_jobs", ["state": "running"]) == 0)
            #expect(value(samples, "tributary_publisher_lag_events") == Double(position), "nothing published")
            #expect(value(samples, "tributary_publisher_published_total") == 0)
            // Prometheus conventions: counters end in _total, durations in _seconds.
            for sample in samples where sample.name.hasPrefix("tributary_") {
                let family = types.keys.filter { sample.name.hasPrefix($0) }.max { $0.count < $1.count } ?? ""
                if types[family] == "counter" { #expect(sample.name.hasSuffix("_total"), "\(sample.name)") }
            }
            #expect(types.keys.contains { $0.hasSuffix("_seconds") })

            // Every metric the example alerting rules use is one the server serves.
            let rules = try String(contentsOfFile: PythonTools.packageRoot + "/Monitoring/alerts.yml", encoding: .utf8)
            let served = Set(samples.map(\.name))
            let named = Set(rules.matches(of: /tributary_[a-z_]+/).map { String($0.output) })
            #expect(named.count >= 6)
            for name in named {
                #expect(served.contains(name), "Monitoring/alerts.yml uses \(name), which /metrics does not serve")
            }

            // A second scrape counts on from the first, never twice.
            _ = try await client.request("/v1/cdc", method: .post, json: changeEvent("UPDATE", id: accountID(3), commitTimestamp: 1_700_000_000_001, transactionKey: "tx-9", changedFields: ["Name"], fields: ["Name": "Renamed"]))
            let (_, later) = try await scrape(client)
            #expect(value(later, "tributary_ingest_results_total", ["outcome": "applied"]) == 4)
            #expect(value(later, "tributary_ingest_results_total", ["outcome": "rejected"]) == 2)
        }
    }
}
