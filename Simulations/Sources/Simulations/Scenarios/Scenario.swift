import Foundation
import NIOCore
import Synchronization

/// The settings of one run, from the command line.
public struct RunSettings: Sendable {
    /// The server under test.
    public var target: Target
    /// How long the measured load runs.
    public var duration: Duration = .seconds(60)
    /// Overrides the scenario's default injection profile.
    public var injection: Injection?
    /// Changes per `POST /v1/cdc` (cdc-batch; mixed writes).
    public var batchSize = 100
    /// Records created before a read-heavy run, or events before a recovery.
    public var populate = 100_000
    /// The traffic mix and seed.
    public var traffic = CDCTraffic.Options()
    /// How many tracked records the final check reads (all of them when `nil`).
    public var checkLimit: Int? = 2_000
    /// Where `summary.json` and `report.html` go.
    public var output: URL
    /// Prints a live progress line while running.
    public var progress = true
    /// The running server, when the runner started it (recovery needs it).
    public var server: ServerProcess?
    /// The resident-record cap the runner started the server with, if any.
    public var maxResident: Int?
    /// The `memory` scenario: records created between two memory samples.
    public var memorySampleEvery = 50_000
    /// The simulated Salesforce org the runner serves to the server (backfill).
    public var org: SalesforceOrg?

    /// Settings against `target`, writing to `output`.
    public init(target: Target, output: URL) {
        self.target = target
        self.output = output
    }
}

/// The scenarios, by name.
public enum Scenarios {
    /// Every scenario name, for `--help`.
    public static let names = ["cdc-batch", "cdc-single", "read-heavy", "mixed", "recovery", "memory", "backfill"]

    /// Runs scenario `name` and writes its `summary.json` and `report.html`.
    public static func run(_ name: String, settings: RunSettings, group: any EventLoopGroup) async throws -> RunSummary {
        let startedAt = ISO8601DateFormatter().string(from: Date())
        let recorder = Recorder()
        let progress = settings.progress ? ProgressLine(recorder: recorder) : nil
        progress?.start()
        var outcome: ScenarioOutcome
        switch name {
        case "cdc-batch":
            outcome = try await CDCLoad.run(settings, batchSize: settings.batchSize, defaultClients: 8, recorder: recorder, group: group)
        case "cdc-single":
            outcome = try await CDCLoad.run(settings, batchSize: 1, defaultClients: 64, recorder: recorder, group: group)
        case "read-heavy":
            outcome = try await ReadHeavy.run(settings, recorder: recorder, group: group)
        case "mixed":
            outcome = try await Mixed.run(settings, recorder: recorder, group: group)
        case "recovery":
            outcome = try await Recovery.run(settings, recorder: recorder, group: group)
        case "memory":
            outcome = try await Memory.run(settings, recorder: recorder, group: group)
        case "backfill":
            outcome = try await BackfillScenario.run(settings, recorder: recorder, group: group)
        default:
            throw SimulationError("unknown scenario '\(name)'; expected one of \(names.joined(separator: ", "))")
        }
        progress?.stop()
        outcome.parameters["target"] = "http://\(settings.target.authority)"
        outcome.parameters["seed"] = String(settings.traffic.seed)
        let summary = RunSummary(
            scenario: name, startedAt: startedAt, durationSeconds: Recorder.seconds(recorder.elapsed),
            injection: outcome.injection, parameters: outcome.parameters, series: recorder.seriesSummaries(),
            checks: outcome.checks, figures: outcome.figures, passed: outcome.checks.allSatisfy(\.passed)
        )
        try write(summary, to: settings.output)
        return summary
    }

    /// Writes `summary.json` and `report.html` into `directory`.
    static func write(_ summary: RunSummary, to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(summary).write(to: directory.appendingPathComponent("summary.json"))
        try Data(HTMLReport.render(summary).utf8).write(to: directory.appendingPathComponent("report.html"))
    }
}

/// What a scenario hands back besides the recorder's measurements.
struct ScenarioOutcome {
    var injection: String
    var parameters: [String: String] = [:]
    var checks: [CheckResult] = []
    var figures: [String: Double] = [:]
}

/// A run that cannot go on, with a message for the operator.
public struct SimulationError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Prints the recorder's progress once a second: on one rewritten line on a terminal, as plain
/// lines every ten seconds otherwise.
final class ProgressLine: Sendable {
    private let recorder: Recorder
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(recorder: Recorder) {
        self.recorder = recorder
    }

    func start() {
        let recorder = recorder
        let terminal = isatty(STDERR_FILENO) == 1
        task.withLock {
            $0 = Task {
                var tick = 0
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    tick += 1
                    if terminal {
                        FileHandle.standardError.write(Data(("\r\u{1B}[K" + recorder.progressLine()).utf8))
                    } else if tick % 10 == 0 {
                        FileHandle.standardError.write(Data((recorder.progressLine() + "\n").utf8))
                    }
                }
            }
        }
    }

    func stop() {
        task.withLock { $0?.cancel() }
        if isatty(STDERR_FILENO) == 1 { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

/// Reads `"position":N` from the start of a `POST /v1/cdc` answer without parsing the rest.
func leadingPosition(_ answer: HTTPAnswer) -> Int? {
    let view = answer.body.readableBytesView.prefix(48)
    let key = Array("\"position\":".utf8)
    guard let start = view.firstRange(of: key)?.upperBound else { return nil }
    var value = 0
    var index = start
    var digits = 0
    while index < view.endIndex, let digit = Optional(view[index]), digit >= 0x30, digit <= 0x39 {
        value = value * 10 + Int(digit - 0x30)
        index += 1
        digits += 1
    }
    return digits > 0 ? value : nil
}

/// Checks that every tracked record reads back as expected.
func checkTrackedRecords(
    _ expected: [String: CDCTraffic.ExpectedRecord], limit: Int?, minPosition: Int, client: SimClient
) async throws -> CheckResult {
    let records = expected.values.sorted { $0.id < $1.id }.prefix(limit ?? .max)
    var mismatches: [String] = []
    for record in records {
        let (status, json) = try await client.get("/v1/\(record.aggregate)/\(record.id)?minPosition=\(minPosition)&wait=30000")
        guard status == 200, let view = json as? [String: Any], let fields = view["fields"] as? [String: Any] else {
            mismatches.append("\(record.aggregate)/\(record.id): status \(status)")
            continue
        }
        if (view["deleted"] as? Bool) != record.isDeleted {
            mismatches.append("\(record.aggregate)/\(record.id): deleted \(view["deleted"] ?? "nil"), expected \(record.isDeleted)")
        }
        for (field, value) in record.expectedFields where !matches(fields[field], value) {
            mismatches.append("\(record.aggregate)/\(record.id).\(field): \(fields[field] ?? "absent"), expected \(value)")
        }
    }
    return CheckResult(
        name: "every tracked record reads back with the values of its latest changes",
        passed: mismatches.isEmpty,
        detail: mismatches.isEmpty
            ? "\(records.count) records read with minPosition \(minPosition); all fields and deleted flags as expected"
            : "\(mismatches.count) mismatches, first: \(mismatches.prefix(5).joined(separator: "; "))"
    )
}

private func matches(_ actual: Any?, _ expected: FieldValue.Expected) -> Bool {
    switch expected {
    case .null: return actual == nil || actual is NSNull
    case .string(let text): return (actual as? String) == text
    case .number(let number):
        guard let actual = actual as? NSNumber else { return false }
        return abs(actual.doubleValue - number) < 1e-6
    }
}
