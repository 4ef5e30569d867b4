/// Level names as stream labels: every format's levels map onto oslo.log's words.
///
/// | written | label |
/// |---|---|
/// | DEBUG, debug, DBG | DEBUG |
/// | INFO, info, System (mysqld 8) | INFO |
/// | Note (mysqld) | NOTE |
/// | WARNING, Warning, WARN, warn | WARNING |
/// | ERROR, Error, ERR, err | ERROR |
/// | CRITICAL, EMER, crit, alert, emerg, FATAL | CRITICAL |
/// | TRACE, AUDIT, NOTICE | as written, uppercased |
enum LogLevelName {
    static func canonical(_ p: UnsafeBufferPointer<UInt8>, _ a: Int, _ b: Int) -> String? {
        let n = b - a
        guard n >= 3, n <= 8 else { return nil }
        var key: UInt64 = 0
        for i in a..<b {
            let c = p[i]
            guard (c >= 65 && c <= 90) || (c >= 97 && c <= 122) else { return nil }
            key = key << 8 | UInt64(c | 0x20)
        }
        switch key {
        case 0x6465_6275_67: return "DEBUG"  // debug
        case 0x6462_67: return "DEBUG"  // dbg
        case 0x696E_666F: return "INFO"  // info
        case 0x7379_7374_656D: return "INFO"  // system
        case 0x6E6F_7465: return "NOTE"  // note
        case 0x7761_726E_696E_67: return "WARNING"  // warning
        case 0x7761_726E: return "WARNING"  // warn
        case 0x6572_726F_72: return "ERROR"  // error
        case 0x6572_72: return "ERROR"  // err
        case 0x6372_6974_6963_616C: return "CRITICAL"  // critical
        case 0x6372_6974: return "CRITICAL"  // crit
        case 0x656D_6572: return "CRITICAL"  // emer
        case 0x656D_6572_67: return "CRITICAL"  // emerg
        case 0x616C_6572_74: return "CRITICAL"  // alert
        case 0x6661_7461_6C: return "CRITICAL"  // fatal
        case 0x7472_6163_65: return "TRACE"  // trace
        case 0x6175_6469_74: return "AUDIT"  // audit
        case 0x6E6F_7469_6365: return "NOTICE"  // notice
        default: return nil
        }
    }

    /// Syslog severity 0-7 → label.
    static func syslogSeverity(_ s: Int) -> String {
        switch s {
        case 0, 1, 2: "CRITICAL"
        case 3: "ERROR"
        case 4: "WARNING"
        case 5: "NOTICE"
        case 6: "INFO"
        default: "DEBUG"
        }
    }
}
