import EventSourcing
import Testing

@Suite("Timestamp")
struct TimestampTests {
    // MARK: - Formatting

    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"),
        (1_654_900_954_000, "2022-06-10T22:42:34.000Z"),
        (1_654_900_954_007, "2022-06-10T22:42:34.007Z"),
        (1_709_164_800_123, "2024-02-29T00:00:00.123Z"),
        (951_868_799_999, "2000-02-29T23:59:59.999Z"),
        (-1, "1969-12-31T23:59:59.999Z"),
        (-86_400_000, "1969-12-31T00:00:00.000Z"),
        (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
        (253_402_300_800_000, "10000-01-01T00:00:00.000Z"),
        (-62_167_219_200_000, "0000-01-01T00:00:00.000Z"),
        (-62_167_219_200_001, "-0001-12-31T23:59:59.999Z"),
    ])
    func iso8601FormatsUTCWithMilliseconds(millis: Int64, text: String) {
        #expect(Timestamp(millisecondsSinceEpoch: millis).iso8601 == text)
        #expect(Timestamp(millisecondsSinceEpoch: millis).description == text)
    }

    // MARK: - Parsing

    @Test func formattingThenParsingRoundTrips() {
        var generator = SeededGenerator(seed: 0x7157)
        for _ in 0..<2000 {
            let millis = Int64.random(in: -62_135_596_800_000...253_402_300_799_999, using: &generator)
            let timestamp = Timestamp(millisecondsSinceEpoch: millis)
            #expect(Timestamp(iso8601: timestamp.iso8601) == timestamp, "\(millis)")
        }
    }

    @Test(arguments: [
        "2022-06-11T00:42:34.000+02:00",
        "2022-06-10T17:12:34.000-05:30",
        "2022-06-10T22:42:34.000+00:00",
        "2022-06-10T22:42:34.000+0000",
        "2022-06-11T00:42:34.000+0200",
        "2022-06-10T22:42:34.000-00:00",
        "2022-06-10T22:42:34.000z",
        "2022-06-10t22:42:34.000Z",
        "2022-06-10 22:42:34.000Z",
        "2022-06-10T22:42:34Z",
    ])
    func offsetsAndSeparatorsNameTheSameInstant(text: String) {
        #expect(Timestamp(iso8601: text) == Timestamp(millisecondsSinceEpoch: 1_654_900_954_000))
    }

    @Test(arguments: [
        ("2022-06-10T22:42:34.1Z", Int64(100)),
        ("2022-06-10T22:42:34.12Z", 120),
        ("2022-06-10T22:42:34.123Z", 123),
        ("2022-06-10T22:42:34.1239Z", 123),
        ("2022-06-10T22:42:34.123456789Z", 123),
        ("2022-06-10T22:42:34.05+01:00", 50),
    ])
    func fractionsOfAnyLengthKeepMilliseconds(text: String, millis: Int64) throws {
        let timestamp = try #require(Timestamp(iso8601: text))
        #expect(timestamp.millisecondsSinceEpoch.quotientAndRemainder(dividingBy: 1000).remainder == millis)
    }

    @Test func anOffsetMovesTheInstantTheRightWay() throws {
        let utc = try #require(Timestamp(iso8601: "2022-06-10T12:00:00Z"))
        let east = try #require(Timestamp(iso8601: "2022-06-10T12:00:00+02:00"))
        let west = try #require(Timestamp(iso8601: "2022-06-10T12:00:00-02:00"))
        #expect(utc.millisecondsSinceEpoch - east.millisecondsSinceEpoch == 7_200_000)
        #expect(west.millisecondsSinceEpoch - utc.millisecondsSinceEpoch == 7_200_000)
        #expect(east < utc && utc < west)
    }

    @Test(arguments: [
        "",
        "2022-06-10",
        "2022-06-10T22:42",
        "2022-06-10T22:42:34",
        "2022-06-10T22:42:34.Z",
        "2022-06-10T22:42:34.000",
        "2022-06-10T22:42:34.000Zjunk",
        "2022-06-10T22:42:34+02",
        "2022/06/10T22:42:34Z",
        "2022-6-10T22:42:34Z",
        "22-06-10T22:42:34Z",
        "2022-00-10T22:42:34Z",
        "2022-13-10T22:42:34Z",
        "2022-06-00T22:42:34Z",
        "2022-06-32T22:42:34Z",
        "2022-06-10T24:00:00Z",
        "2022-06-10T22:60:00Z",
        "2022-06-10T22:42:61Z",
        "2022-06-10X22:42:34Z",
        " 2022-06-10T22:42:34Z",
        "2022-06-10T22:42:34Z ",
        "２０２２-06-10T22:42:34Z",
    ])
    func invalidStringsAreRejected(text: String) {
        #expect(Timestamp(iso8601: text) == nil)
    }

    // MARK: - Ordering

    @Test func timestampsOrderByInstant() throws {
        let earlier = Timestamp(millisecondsSinceEpoch: -5)
        let later = Timestamp(millisecondsSinceEpoch: 5)
        #expect(earlier < later)
        #expect(!(later < earlier))
        #expect(Timestamp.now() > (try #require(Timestamp(iso8601: "2020-01-01T00:00:00Z"))))
    }
}
