import StrataStorage
import Testing

@Suite struct FileNamesTests {
    @Test func walSegmentNamesRoundTrip() {
        #expect(FileNames.walSegment(1) == "00000001.wal")
        #expect(FileNames.walSegment(UInt32.max) == "4294967295.wal")
        #expect(FileNames.walSegmentIndex("00000042.wal") == 42)
        #expect(FileNames.walSegmentIndex("00000042.wal.tmp") == nil)
        #expect(FileNames.walSegmentIndex("99999999999.wal") == nil)
        #expect(FileNames.walSegmentIndex("x0000001.wal") == nil)
    }

    @Test func segmentNamesRoundTrip() {
        #expect(FileNames.segment(42, ext: "block") == "000042.block")
        #expect(FileNames.segment(12_345_678, ext: "ix") == "12345678.ix")
        #expect(FileNames.parseSegment("000042.block")! == (42, "block"))
        #expect(FileNames.parseSegment("000042.wal") == nil)
        #expect(FileNames.parseSegment("MANIFEST") == nil)
        #expect(FileNames.parseSegment("000042.Block") == nil)
        #expect(FileNames.parseSegment(".block") == nil)
        #expect(FileNames.parseSegment("000042.") == nil)
        #expect(FileNames.parseSegment("000042.block.tmp") == nil)
    }

    @Test func paths() {
        #expect(FileNames.join("/db", "LOCK") == "/db/LOCK")
        #expect(FileNames.join("/db/", "LOCK") == "/db/LOCK")
        #expect(FileNames.parentDirectory(of: "/db/m/MANIFEST") == "/db/m")
        #expect(FileNames.parentDirectory(of: "/MANIFEST") == "/")
        #expect(FileNames.parentDirectory(of: "MANIFEST") == ".")
    }
}
