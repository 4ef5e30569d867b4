import PropertyBased
import StrataEncoding
import StrataStorage
import Testing

func sampleManifest() -> SegmentManifest {
    SegmentManifest(
        generation: 7, nextSegmentNumber: 12,
        entries: [
            SegmentEntry(
                name: "000003.block", kind: 1, level: 0, minTime: -5, maxTime: 1_700_000_000_000, sizeBytes: 4096,
                recordCount: 7200, metadata: [1, 2, 3]),
            SegmentEntry(
                name: "000011.block", kind: 2, level: 3, minTime: 0, maxTime: 0, sizeBytes: 0, recordCount: 0),
        ])
}

@Suite struct SegmentManifestTests {
    @Test func roundTrip() throws {
        let m = sampleManifest()
        #expect(try SegmentManifest(decoding: m.encoded()) == m)
        #expect(try SegmentManifest(decoding: SegmentManifest().encoded()) == SegmentManifest())
    }

    @Test func layoutStartsWithMagicAndVersion() {
        let bytes = SegmentManifest().encoded()
        #expect(Array(bytes[0..<5]) == Array("SMAN".utf8) + [1])
        #expect(bytes.count == 28 + 1 + 4)  // header, empty store state, CRC
    }

    @Test func storeStateRoundTripsAndIsCovered() throws {
        let m = SegmentManifest(generation: 3, nextSegmentNumber: 9, entries: [], storeState: [1, 42, 7])
        let bytes = m.encoded()
        #expect(try SegmentManifest(decoding: bytes).storeState == [1, 42, 7])
        var flipped = bytes
        flipped[29] ^= 0xFF  // inside the store state
        #expect(throws: FormatError.self) { try SegmentManifest(decoding: flipped) }
    }

    @Test func propertyRoundTrip() async {
        await propertyCheck(count: 50, input: Gen.int(in: 0...20), Gen.int(in: 0...64)) { count, metadataSize in
            var entries: [SegmentEntry] = []
            for i in 0..<count {
                let ext = i % 2 == 0 ? "block" : "idx"
                let metadata: [UInt8] = (0..<metadataSize).map { UInt8(truncatingIfNeeded: $0 &* i) }
                let t = Int64(i) * 1000
                entries.append(
                    SegmentEntry(
                        name: FileNames.segment(UInt64(i * 3 + 1), ext: ext), kind: UInt8(i % 4), level: UInt8(i % 3),
                        minTime: -t, maxTime: t, sizeBytes: UInt64(i * 100), recordCount: UInt64(i), metadata: metadata)
                )
            }
            let m = SegmentManifest(
                generation: UInt64(count), nextSegmentNumber: UInt64(count * 3 + 1), entries: entries)
            let decoded = try SegmentManifest(decoding: m.encoded())
            #expect(decoded == m)
        }
    }

    /// Every truncation and every single flipped bit is caught, never a trap or a wrong manifest.
    @Test func everyTruncationAndBitFlipIsRejected() {
        let bytes = sampleManifest().encoded()
        for n in 0..<bytes.count {
            #expect(throws: FormatError.self) { try SegmentManifest(decoding: Array(bytes[..<n])) }
        }
        for i in 0..<bytes.count {
            var b = bytes
            b[i] ^= 0x10
            #expect(throws: FormatError.self) { try SegmentManifest(decoding: b) }
        }
    }

    @Test func semanticErrorsBehindAValidChecksum() {
        func reencoded(_ edit: (inout SegmentManifest) -> Void) -> [UInt8] {
            var m = sampleManifest()
            edit(&m)
            return m.encoded()
        }
        let cases: [([UInt8], String)] = [
            (reencoded { $0.entries[1].name = "000003.block" }, "listed twice"),
            (reencoded { $0.entries[0].name = "MANIFEST" }, "not a segment file name"),
            (reencoded { $0.nextSegmentNumber = 11 }, "not below the next number"),
            (
                reencoded {
                    $0.entries[0].minTime = 10; $0.entries[0].maxTime = 9
                }, "minTime 10 > maxTime 9"
            ),
        ]
        for (bytes, text) in cases {
            let error = #expect(throws: FormatError.self) { try SegmentManifest(decoding: bytes) }
            #expect(error?.kind == .invalid)
            #expect(error?.detail.contains(text) == true, "\(String(describing: error))")
        }
    }

    @Test func newerVersionIsUnsupported() {
        var bytes = SegmentManifest().encoded()
        bytes[4] = 2
        let error = #expect(throws: FormatError.self) { try SegmentManifest(decoding: bytes) }
        #expect(error?.kind == .unsupportedVersion)
        #expect(error?.offset == 4)
    }
}
