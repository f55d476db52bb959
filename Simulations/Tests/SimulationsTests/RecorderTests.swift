import Simulations
import Testing

/// How the recorder turns answers into the rates a report shows.
@Suite("Recorder rates")
struct RecorderTests {
    /// read-heavy feeds health and record reads in turns: each series' rate must count only the
    /// time its own phases ran, not the other series' turns between them.
    @Test func aSeriesFedByPhasesInTurnsIsRatedOverTheirSum() {
        let recorder = Recorder()
        for _ in 0..<8 { recorder.record("health", status: 200, latency: .milliseconds(1), operations: 1) }
        recorder.closePhase("health", lasted: .seconds(2))
        for _ in 0..<6 { recorder.record("reads", status: 200, latency: .milliseconds(1), operations: 1) }
        recorder.closePhase("reads", lasted: .seconds(2))
        for _ in 0..<8 { recorder.record("health", status: 200, latency: .milliseconds(1), operations: 1) }
        recorder.closePhase("health", lasted: .seconds(2))
        for _ in 0..<6 { recorder.record("reads", status: 200, latency: .milliseconds(1), operations: 1) }
        recorder.closePhase("reads", lasted: .seconds(2))
        recorder.finish()

        let rates = Dictionary(uniqueKeysWithValues: recorder.seriesSummaries().map { ($0.name, $0.requestsPerSecond) })
        #expect(rates["health"] == 4)
        #expect(rates["reads"] == 3)
    }

    /// A turn that got no answer (a stalled server) still counts as time the series ran.
    @Test func aTurnWithoutAnswersStillCountsItsTime() {
        let recorder = Recorder()
        recorder.closePhase("reads", lasted: .seconds(2))
        for _ in 0..<12 { recorder.record("reads", status: 200, latency: .milliseconds(1), operations: 1) }
        recorder.closePhase("reads", lasted: .seconds(4))
        recorder.finish()

        #expect(recorder.seriesSummaries().first { $0.name == "reads" }?.requestsPerSecond == 2)
    }
}
