import StrataLogs
import Testing

@testable import StrataIngest

@Suite struct LogFormatsTests {
    static let mysqld = """
        2019-11-19 21:06:05 2245 [Warning] Aborted connection 87104 to db: 'nova' user: 'nova' host: '10.11.10.11' (Got an error reading communication packets)
        2019-11-19 21:08:45 0 [ERROR] mysqld got signal 6 ;
        """
    static let rabbitmq = """
        2019-11-19 21:00:20.000 [info] <0.19503.0> accepting AMQP connection <0.7899.0> (10.11.10.14:50308 -> 10.11.10.1:5672)
        2019-11-19 21:01:20.250 [error] <0.17183.0> closing AMQP connection <0.14475.0>
        """
    static let ovs = """
        2019-11-19T21:22:13.000Z|00012|util|EMER|lib/dp-packet.h:570: assertion ad->l2_pad_size failed in dp_packet_set_l2_pad_size()
        2019-11-19T21:22:13.500Z|00013|daemon_unix(monitor)|ERR|1 crashes: pid 1234 died, killed (Aborted), core dumped, restarting
        """
    static let libvirt = """
        2019-11-19 21:00:13.652+0000: 22326: info : virNetDevTapCreate:246 : created tap device for instance-00b96a27
        2019-11-19 21:00:14.000+0100: 22326: error : virDomainObjListLoadAllConfigs:1041 : Scanning for configs
        """
    static let syslog = """
        Nov 19 21:00:01 wally113 CROND[22845]: (root) CMD (/usr/lib64/sa/sa1 1 1)
        Nov  9 21:00:40 wally113 systemd: Started Session 36620 of user root.
        <165>1 2019-11-19T21:00:01.003Z wally117 sshd 2345 ID47 [exampleSDID@32473 iut="3" eventSource="App]"] Accepted publickey
        Nov 19 21:00:01 wally113 haproxy[20763]: 10.11.10.1:49836 [19/Nov/2019:21:00:01.000] keystone_external keystone_external/wally113 0/0/0/129/129 201 6434 - - ---- 8/8/3/3/0 0/0 "POST /v3/auth/tokens HTTP/1.1"
        """
    static let jsonl = """
        {"Hostname":"wally113","@timestamp":"2019-11-19T21:00:01.500Z","log_level":"ERROR","programname":"nova-api","python_module":"nova.api","Payload":"boom \\"quoted\\" \\u00e9","http_status":500,"http_method":"GET","http_url":"/v2.1/servers","extra":{"a":[1,2]},"none":null}
        {"timestamp":1574197202.25,"level":"info","message":"second"}
        """

    @Test func platformFormats() throws {
        let m = parseLog(Self.mysqld, format: .platform).records
        #expect(m.count == 2)
        #expect(m[0].timestamp == 1_574_197_565_000_000_000)
        #expect(m[0].stream["level"] == "WARNING")
        #expect(m[0].field("pid") == "2245")
        #expect(m[1].stream["level"] == "ERROR")
        let r = parseLog(Self.rabbitmq, format: .platform).records
        #expect(r.map { $0.stream["level"] } == ["INFO", "ERROR"])
        #expect(r[0].field("pid") == "<0.19503.0>")
        #expect(r[1].timestamp == 1_574_197_280_250_000_000)
        let o = parseLog(Self.ovs, format: .platform).records
        #expect(o.map { $0.stream["level"] } == ["CRITICAL", "ERROR"])
        #expect(o[0].field("logger") == "util")
        #expect(o[1].field("logger") == "daemon_unix(monitor)")
        #expect(o[0].field("sequence") == "00012")
        #expect(o[0].timestamp == 1_574_198_533_000_000_000)
        let l = parseLog(Self.libvirt, format: .platform).records
        #expect(l.map { $0.stream["level"] } == ["INFO", "ERROR"])
        #expect(l[0].field("logger") == "virNetDevTapCreate")
        #expect(l[0].field("pid") == "22326")
        #expect(l[1].timestamp == 1_574_197_214_000_000_000 - 3_600_000_000_000)
        for (text, name) in [(Self.mysqld, "mysqld"), (Self.rabbitmq, "rabbitmq"), (Self.ovs, "ovs"), (Self.libvirt, "libvirt")] {
            #expect(LogFormat.detect(head: Array(text.utf8)) == .platform, "\(name)")
            #expect(parseLog(text, format: .platform).counts.unparsed == 0, "\(name)")
        }
    }

    @Test func syslogBothRFCsAndHAProxy() throws {
        let (records, counts) = parseLog(
            Self.syslog, format: .syslog, source: LogSource(path: "logs/wally113/messages.log"))
        #expect(counts.unparsed == 0)
        #expect(records.count == 4)
        #expect(records[0].timestamp == 1_574_197_201_000_000_000)
        #expect(records[0].stream.description == #"{file="messages.log", host="wally113", program="CROND"}"#)
        #expect(records[0].field("pid") == "22845")
        #expect(records[1].stream["program"] == "systemd")
        #expect(records[1].timestamp == 1_573_333_240_000_000_000)  // Nov 9, space-padded day
        #expect(records[2].timestamp == 1_574_197_201_003_000_000)
        #expect(records[2].stream["level"] == "NOTICE")  // <165>: severity 5
        #expect(records[2].stream["program"] == "sshd")
        #expect(records[2].stream["host"] == "wally113")  // the path's host wins over the line's
        #expect(records[2].field("msgid") == "ID47")
        let h = records[3]
        #expect(h.field("http_status") == "201")
        #expect(h.field("http_bytes") == "6434")
        #expect(h.field("http_method") == "POST")
        #expect(h.field("http_path") == "/v3/auth/tokens")
        #expect(h.field("http_time") == "0.129")
        #expect(h.field("backend") == "keystone_external/wally113")
        #expect(LogFormat.detect(head: Array(Self.syslog.utf8)) == .syslog)
        // Without a host in the path, the line's host names the stream.
        let anon = parseLog(Self.syslog, format: .syslog, source: LogSource(path: "/tmp/messages")).records
        #expect(anon[2].stream["host"] == "wally117")
    }

    @Test func jsonLinesWithTheDefaultMapping() throws {
        let (records, counts) = parseLog(Self.jsonl, format: .jsonl, source: LogSource(path: "es.jsonl"))
        #expect(counts.unparsed == 0)
        #expect(records.count == 2)
        let r = records[0]
        #expect(r.timestamp == 1_574_197_201_500_000_000)
        #expect(r.stream.description == #"{file="es.jsonl", host="wally113", level="ERROR", program="nova-api"}"#)
        #expect(records[1].stream["program"] == "es")  // no program key: the file's
        #expect(r.field("python_module") == "nova.api")
        #expect(r.field("http_status") == "500")
        #expect(r.field("http_url") == "/v2.1/servers")
        #expect(r.field("extra") == #"{"a":[1,2]}"#)
        #expect(r.field("none") == nil)
        #expect(r.field("Payload") == nil)  // the message is the line itself
        #expect(records[1].timestamp == 1_574_197_202_250_000_000)
        #expect(records[1].stream["level"] == "INFO")
        #expect(LogFormat.detect(head: Array(Self.jsonl.utf8)) == .jsonl)
        // A configured mapping.
        var mapping = JSONLogMapping()
        mapping.timestamp = ["when"]
        let custom = parseLog(#"{"when":"2019-11-19 21:00:01","msg":"x"}"#, format: .jsonl) { $0.jsonMapping = mapping }
        #expect(custom.records.first?.timestamp == 1_574_197_201_000_000_000)
        #expect(custom.counts.unparsed == 0)
    }

    /// The members of JSON lines as `key=value` (nil: the line does not parse; the caller keeps
    /// it as unparsed), pinned when the log path moved to the shared, lenient `JSONScanner`.
    @Test(arguments: [
        // Strings unescaped, numbers and literals as written, objects and arrays as their JSON, nulls left out.
        (#"{"a":"x","b":-1.5e3,"c":true,"d":null,"e":{"f":[1,{"g":"}"}]},"h":[ 1, 2 ]}"#,
         ["a=x", "b=-1.5e3", "c=true", #"e={"f":[1,{"g":"}"}]}"#, "h=[ 1, 2 ]"]),
        (#"{"k\u00e9y":"a\"b\\c\/d\n\t \ud83d\ude00 \ud800"}"#, ["kéy=a\"b\\c/d\n\t 😀 \u{FFFD}"]),
        (#"  { "a" : 1 , "b" : "x" }  trailing"#, ["a=1", "b=x"]),
        ("{}", []),
        (#"{"a":null}"#, []),
        (#"{"a":"x","a":"y"}"#, ["a=x", "a=y"]),
        // Lenient: a raw tab, an unknown escape, bare words, brackets that only balance.
        ("{\"m\":\"a\tb\"}", ["m=a\tb"]),
        (#"{"m":"a\qb","x":NaN,"y":-Infinity,"z":[1 2],"w":{"v"}}"#, ["m=aqb", "x=NaN", "y=-Infinity", "z=[1 2]", #"w={"v"}"#]),
        // A line that breaks off after a null member keeps the members before it.
        (#"{"a":1,"b":null"#, ["a=1"]),
        // Not an object, or broken.
        ("not json", nil), ("[1,2]", nil), ("{broken", nil), (#"{"a":1"#, nil), (#"{"a":1,}"#, nil), (#"{"a" 1}"#, nil),
        (#"{"a":}"#, nil), (#"{"a":"x" "b":1}"#, nil), (#"{"a":{"b":1}"#, nil), (#"{"a":"\u12"}"#, nil),
        (#"{"a":"\uZZZZ"}"#, nil), (#"{"a":"open}"#, nil), ("{a:1}", nil),
    ] as [(String, [String]?)])
    func jsonLineMembers(_ line: String, _ expected: [String]?) {
        let got = Array(line.utf8).withUnsafeBufferPointer { JSONLineParser.members($0) }
        #expect(got?.map { "\($0.key)=\($0.value)" } == expected)
    }

    @Test func unparseableLinesAreKeptAndCounted() {
        // No time before the first timed record: it takes that record's time.
        let text = "not json at all\n{\"ts\":1574197201,\"msg\":\"ok\"}\n{broken\n"
        let (records, counts) = parseLog(text, format: .jsonl)
        #expect(records.count == 3)
        #expect(counts.unparsed == 2)
        #expect(counts.timestampFallbacks == 2)
        #expect(records.map(\.timestamp) == [1_574_197_201_000_000_000, 1_574_197_201_000_000_000, 1_574_197_201_000_000_000])
        #expect(records[0].flags == [.unparsed, .timestampFallback])
        #expect(String(decoding: records[2].line, as: UTF8.self) == "{broken")
        // A file with no time at all gets the configured fallback.
        let plain = parseLog("one\ntwo\n", format: .plain) { $0.fallbackTimestamp = 42 }
        #expect(plain.records.map(\.timestamp) == [42, 42])
        #expect(plain.records.allSatisfy { $0.flags == [.timestampFallback] })
        #expect(LogFormat.detect(head: Array("one\ntwo\n".utf8)) == .plain)
    }

    @Test func invalidUTF8IsKeptAsBytes() {
        var bytes = Array("2019-11-19 21:00:04.500 2931 INFO x.y [-] caf".utf8)
        bytes += [0xC3, 0x28, 0xFF]
        bytes += Array(" end\n".utf8)
        let (records, counts) = parseLog(bytes, format: .oslo)
        #expect(records.count == 1)
        #expect(counts.invalidUTF8 == 1)
        #expect(records[0].flags == [.invalidUTF8])
        #expect(records[0].line == Array(bytes.dropLast()))
    }

    @Test func crlfAndStreamingCutsGiveTheSameRecords() {
        let text = Self.mysqld.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n"
        let whole = parseLog(text, format: .platform).records
        for cut in stride(from: 1, to: text.utf8.count, by: 17) {
            #expect(parseLog(text, format: .platform, cuts: [cut]).records == whole, "cut at \(cut)")
        }
        #expect(whole.count == 2)
        #expect(whole[0].line.last == UInt8(ascii: ")"))
    }

    @Test func sourceFromPath() {
        #expect(LogSource(path: "/x/logs/wally113/nova-api.log") == LogSource(host: "wally113", program: "nova-api", file: "nova-api.log"))
        #expect(LogSource(path: "data/OpenStack/nova-api.log.1.2017-05-16") == LogSource(program: "nova-api", file: "nova-api.log.1.2017-05-16"))
        #expect(LogSource(path: "messages", host: "h") == LogSource(host: "h", program: "messages", file: "messages"))
        #expect(LogSource(path: "x/app.jsonl").program == "app")
    }
}

@Suite struct LogSyslogYearTests {
    @Test func newYearInsideASyslogFile() {
        let text = "Dec 31 23:59:59 h a: last\nJan  1 00:00:01 h a: first\n"
        let (records, _) = parseLog(text, format: .syslog) { $0.syslogYear = 2019 }
        #expect(records.map(\.timestamp) == [1_577_836_799_000_000_000, 1_577_836_801_000_000_000])
    }
}
