import Hummingbird
import NIOCore
import StrataCLIKit

/// Parameters of a request: the URL's query string and, for a form-encoded POST, the body's.
struct Params: Sendable {
    var pairs: [(String, String)] = []

    init(query: String?, form: [UInt8]?) {
        if let query { Self.decode(Array(query.utf8), into: &pairs) }
        if let form { Self.decode(form, into: &pairs) }
    }

    subscript(_ name: String) -> String? { pairs.first { $0.0 == name }?.1 }

    func all(_ name: String) -> [String] { pairs.filter { $0.0 == name }.map(\.1) }

    /// `application/x-www-form-urlencoded`: `&`-separated, `+` is a space, `%XX` escapes.
    static func decode(_ b: [UInt8], into out: inout [(String, String)]) {
        for part in b.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            if let eq = part.firstIndex(of: UInt8(ascii: "=")) {
                out.append((unescape(part[part.startIndex..<eq]), unescape(part[(eq + 1)...])))
            } else {
                out.append((unescape(part[...]), ""))
            }
        }
    }

    static func unescape(_ s: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        var i = s.startIndex
        func hex(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x41...0x46: c - 0x41 + 10
            case 0x61...0x66: c - 0x61 + 10
            default: nil
            }
        }
        while i < s.endIndex {
            let c = s[i]
            if c == UInt8(ascii: "+") {
                out.append(0x20)
            } else if c == UInt8(ascii: "%"), i + 2 < s.endIndex, let h = hex(s[i + 1]), let l = hex(s[i + 2])
            {
                out.append(h << 4 | l)
                i += 2
            } else {
                out.append(c)
            }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// An API error: the HTTP status and Prometheus's `errorType`.
struct APIError: Error {
    var status: HTTPResponse.Status
    var type: String
    var message: String

    static func badData(_ m: String) -> APIError { APIError(status: .badRequest, type: "bad_data", message: m) }
    static func execution(_ m: String) -> APIError { APIError(status: .unprocessableContent, type: "execution", message: m) }
    static func timeout(_ m: String) -> APIError { APIError(status: .serviceUnavailable, type: "timeout", message: m) }
    static func internalError(_ m: String) -> APIError { APIError(status: .internalServerError, type: "internal", message: m) }
    static func notFound(_ m: String) -> APIError { APIError(status: .notFound, type: "not_found", message: m) }
    static func tooLarge(_ m: String) -> APIError { APIError(status: .contentTooLarge, type: "bad_data", message: m) }
}

enum Reply {
    static func json(_ body: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    static func text(_ body: String, status: HTTPResponse.Status = .ok, contentType: String = "text/plain; charset=utf-8") -> Response {
        Response(status: status, headers: [.contentType: contentType], body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    static func bytes(_ body: [UInt8], headers: HTTPFields) -> Response {
        Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func noContent() -> Response { Response(status: .noContent) }

    /// `{"status":"success","data":<data>}`.
    static func success(_ data: String, warnings: [String] = []) -> Response {
        var s = "{\"status\":\"success\",\"data\":" + data
        if !warnings.isEmpty { s += ",\"warnings\":[" + warnings.map(QueryOutput.jsonString).joined(separator: ",") + "]" }
        return json(s + "}")
    }

    /// Prometheus's error shape, `{"status":"error","errorType":...,"error":...}`.
    static func error(_ e: APIError) -> Response {
        json(
            "{\"status\":\"error\",\"errorType\":\(QueryOutput.jsonString(e.type)),\"error\":\(QueryOutput.jsonString(e.message))}",
            status: e.status)
    }

    /// A JSON array of strings.
    static func strings(_ s: [String]) -> String { "[" + s.map(QueryOutput.jsonString).joined(separator: ",") + "]" }
}

/// Times and durations in API parameters.
enum APITime {
    /// Prometheus: RFC 3339 or Unix seconds with decimals; milliseconds.
    static func prometheus(_ s: String, _ name: String) throws(APIError) -> Int64 {
        if let d = Double(s), d.isFinite {
            guard abs(d) < 9.2e15 else { throw APIError.badData("invalid parameter \"\(name)\": cannot parse \"\(s)\" to a valid timestamp") }
            return Int64((d * 1000).rounded())
        }
        if let ms = TimeSpec.parseRFC3339(s) { return ms }
        throw APIError.badData("invalid parameter \"\(name)\": cannot parse \"\(s)\" to a valid timestamp")
    }

    /// A duration as Prometheus takes one (`5m`, `1h30m`) or seconds with decimals; milliseconds.
    static func duration(_ s: String, _ name: String) throws(APIError) -> Int64 {
        if let d = Double(s), d.isFinite {
            guard d >= 0, d < 9.2e15 else { throw APIError.badData("invalid parameter \"\(name)\": cannot parse \"\(s)\" to a valid duration") }
            return Int64((d * 1000).rounded())
        }
        if let ms = TimeSpec.parseDuration(s) { return ms }
        throw APIError.badData("invalid parameter \"\(name)\": cannot parse \"\(s)\" to a valid duration")
    }

    /// Loki: nanoseconds (more than 10 digits), Unix seconds (10 digits or fewer, or with a
    /// fraction) or RFC 3339; nanoseconds.
    static func loki(_ s: String, _ name: String) throws(APIError) -> Int64 {
        if let i = Int64(s) { return s.count <= 10 ? i * 1_000_000_000 : i }
        if let d = Double(s), d.isFinite, abs(d) < 9.2e9 { return Int64((d * 1e9).rounded()) }
        if let ns = TimeSpec.parseRFC3339(s).map({ $0 * 1_000_000 }) { return ns }
        throw APIError.badData("invalid parameter \"\(name)\": cannot parse \"\(s)\" as a time")
    }

    static func nowMilliseconds() -> Int64 { TimeSpec.nowMilliseconds() }
}
