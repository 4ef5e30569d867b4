import StrataEncoding
import StrataStorage
import Testing

@Suite struct StoreStateTests {
    @Test func versionOneIsWrittenWithoutTombstonesAndTwoWithThem() throws {
        let plain = StoreState(walStart: 7)
        #expect(plain.encoded == [1, 7])
        #expect(try StoreState(bytes: plain.encoded) == plain)
        let withTombstones = StoreState(walStart: 300, tombstones: [[1, 2, 3], [], [9]])
        #expect(withTombstones.encoded.first == 2)
        #expect(try StoreState(bytes: withTombstones.encoded) == withTombstones)
        #expect(try StoreState(bytes: []) == StoreState(walStart: 0))
    }

    @Test func badBytesAreRefusedWithAnOffset() {
        let good = StoreState(walStart: 5, tombstones: [[4, 4]]).encoded
        #expect(throws: FormatError.self) { try StoreState(bytes: [3, 0]) }  // unknown version
        #expect(throws: FormatError.self) { try StoreState(bytes: good + [0]) }  // trailing byte
        for cut in 1..<good.count {
            #expect(throws: FormatError.self) { try StoreState(bytes: Array(good.prefix(cut))) }
        }
    }

    @Test func aWALPublishKeepsTheTombstonesAndSurvivesAReopen() throws {
        let dir = TemporaryDirectory()
        var set = try SegmentSet.open(directory: dir.path)
        try set.publish(adding: [], removing: [], changingState: { $0.tombstones.append([42]) })
        let a = try makeSegment(set)
        try set.publish(adding: [a], removing: [], walStart: 3)
        #expect(try set.currentState() == StoreState(walStart: 3, tombstones: [[42]]))
        set = try SegmentSet.open(directory: dir.path)
        #expect(try set.currentState() == StoreState(walStart: 3, tombstones: [[42]]))
        try set.publish(adding: [], removing: [a.name], changingState: { $0.tombstones.removeAll() })
        set = try SegmentSet.open(directory: dir.path)
        #expect(try set.currentState() == StoreState(walStart: 3))
        #expect(set.entries.isEmpty)
    }
}
