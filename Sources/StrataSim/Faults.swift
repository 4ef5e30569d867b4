/// The faults the simulator can inject.
public enum FaultKind: String, CaseIterable, Sendable {
    /// nova-compute stops and restarts on a compute node; boots placed there fail.
    case novaComputeRestart = "nova-compute-restart"
    /// glance-api restarts on the controller; image calls get "connection refused" on :9292.
    case glanceAPIRestart = "glance-api-restart"
    /// neutron-openvswitch-agent restarts on a node; VIF plugging there times out.
    case neutronAgentRestart = "neutron-agent-restart"
    /// ovs-vswitchd aborts on an assertion in dp_packet_set_l2_pad_size() and is restarted;
    /// network-dependent calls fail and the service KPI collapses a minute later.
    case ovsCrash = "ovs-crash"
    /// mariadb drops connections; oslo_db reports DBConnectionError and API calls fail with 500.
    case dbConnection = "db-connection"
    /// RabbitMQ goes away; oslo.messaging impl_rabbit reconnects, RPC calls time out.
    case rabbitmqConnectionLoss = "rabbitmq-connection-loss"
    /// The scheduler filters out every host: "No valid host was found".
    case noValidHost = "no-valid-host"

    /// How long the fault lasts unless `--fault KIND@OFFSET:DURATION` says otherwise (ms).
    public var defaultDurationMillis: Int64 {
        switch self {
        case .novaComputeRestart: 40_000
        case .glanceAPIRestart: 10_000
        case .neutronAgentRestart: 30_000
        case .ovsCrash: 20_000
        case .dbConnection: 20_000
        case .rabbitmqConnectionLoss: 30_000
        case .noValidHost: 60_000
        }
    }

    /// The component the fault hits (a service or platform program).
    public var component: String {
        switch self {
        case .novaComputeRestart: "nova-compute"
        case .glanceAPIRestart: "glance-api"
        case .neutronAgentRestart: "neutron-openvswitch-agent"
        case .ovsCrash: "ovs-vswitchd"
        case .dbConnection: "mysqld"
        case .rabbitmqConnectionLoss: "rabbitmq"
        case .noValidHost: "nova-scheduler"
        }
    }

    /// Whether the fault's host is a compute node by default (else the controller).
    var onComputeByDefault: Bool { self == .novaComputeRestart || self == .neutronAgentRestart }

    /// Log templates (`<*>` for variables) the fault makes appear; each literal piece between
    /// variables is a signature that appears only inside the fault's window.
    public var logTemplates: [String] {
        switch self {
        case .novaComputeRestart:
            [
                "nova-compute.log: Caught SIGTERM, exiting",
                "nova-compute.log: Starting compute node (version <*>)",
                "nova-conductor.log: [instance: <*>] Build of instance <*> aborted: Compute host <*> is unavailable",
                "messages.log: systemd[1]: Stopping OpenStack Compute (nova-compute)...",
            ]
        case .glanceAPIRestart:
            [
                "glance-api.log: Caught SIGTERM, stopping children",
                "glance-api.log: Starting <*> workers",
                "haproxy.log: Server glance_api/<*> is DOWN, reason: Layer4 connection problem, info: \"Connection refused\"",
                "nova-api.log: Unable to establish connection to http://<*>:9292/v2/images/<*>: Connection refused",
            ]
        case .neutronAgentRestart:
            [
                "neutron-openvswitch-agent.log: Caught SIGTERM, quitting daemon",
                "neutron-openvswitch-agent.log: Agent initialized successfully, now running...",
                "nova-compute.log: [instance: <*>] Timeout waiting for [('network-vif-plugged', '<*>')] for instance with vm_state building and task_state spawning",
            ]
        case .ovsCrash:
            [
                "ovs-vswitchd.log: <*>|util|EMER|lib/dp-packet.h:<*>: assertion pad >= 0 && dp_packet_size(b) + pad <= UINT16_MAX failed in dp_packet_set_l2_pad_size()",
                "ovs-vswitchd.log: <*>|daemon_unix(monitor)|ERR|1 crashes: pid <*> died, killed (Aborted), core dumped, restarting",
                "neutron-openvswitch-agent.log: OVS is dead. OVSNeutronAgent will keep running and checking OVS status periodically.",
                "neutron-server.log: Failed to bind port <*> on host <*> for vnic_type normal using segments <*>",
            ]
        case .dbConnection:
            [
                "mysqld.log: [ERROR] mysqld got signal 6 ;",
                "<*>.log: DBConnectionError: (pymysql.err.OperationalError) (2013, 'Lost connection to MySQL server during query')",
                "<*>.log: Database connection was found disconnected; reconnecting",
            ]
        case .rabbitmqConnectionLoss:
            [
                "rabbitmq.log: [error] <*> Closing AMQP connection <*>: connection_closed_abruptly",
                "<*>.log: [<*>] AMQP server on <*>:5672 is unreachable: [Errno 111] ECONNREFUSED. Trying again in <*> seconds.",
                "nova-api.log: MessagingTimeout: Timed out waiting for a reply to message ID <*>",
            ]
        case .noValidHost:
            [
                "nova-scheduler.log: Filtering removed all hosts for the request with instance ID '<*>'. Filter results: <*>",
                "nova-conductor.log: Failed to compute_task_build_instances: No valid host was found. There are not enough hosts available.",
            ]
        }
    }

    /// Literal substrings that occur only inside this fault's windows (used by tests and detectors).
    public var signatures: [String] {
        switch self {
        case .novaComputeRestart: ["Caught SIGTERM, exiting", "is unavailable"]
        case .glanceAPIRestart: ["Caught SIGTERM, stopping children", ":9292/v2/images", "Server glance_api/", " SC-- "]
        case .neutronAgentRestart: ["Caught SIGTERM, quitting daemon", "Timeout waiting for [('network-vif-plugged'"]
        case .ovsCrash: ["dp_packet_set_l2_pad_size()", "OVS is dead.", "killed (Aborted)", "Failed to bind port"]
        case .dbConnection: ["Lost connection to MySQL server", "mysqld got signal 6"]
        case .rabbitmqConnectionLoss: ["ECONNREFUSED", "connection_closed_abruptly", "MessagingTimeout"]
        case .noValidHost: ["No valid host was found", "Filtering removed all hosts"]
        }
    }

    /// Metrics the fault is expected to move (PromQL selectors; `$HOST` is the fault's host).
    public var metrics: [String] {
        switch self {
        case .novaComputeRestart:
            [
                "node_systemd_unit_state{host=\"$HOST\",name=\"nova-compute.service\",state=\"active\"}",
                "node_memory_MemAvailable_bytes{host=\"$HOST\"}", "glances_mem_used{host=\"$HOST\"}",
            ]
        case .glanceAPIRestart:
            ["node_systemd_unit_state{host=\"$HOST\",name=\"glance-api.service\",state=\"active\"}"]
        case .neutronAgentRestart:
            ["node_systemd_unit_state{host=\"$HOST\",name=\"neutron-openvswitch-agent.service\",state=\"active\"}"]
        case .ovsCrash:
            [
                "node_systemd_unit_state{host=\"$HOST\",name=\"ovs-vswitchd.service\",state=\"active\"}",
                "node_network_receive_drop_total{host=\"$HOST\"}", "call_success_rate", "call_failure",
            ]
        case .dbConnection:
            ["node_systemd_unit_state{host=\"$HOST\",name=\"mariadb.service\",state=\"active\"}"]
        case .rabbitmqConnectionLoss:
            ["node_systemd_unit_state{host=\"$HOST\",name=\"rabbitmq-server.service\",state=\"active\"}"]
        case .noValidHost:
            []
        }
    }
}

/// One requested fault: `KIND@OFFSET[:DURATION]` or `KIND/HOST@OFFSET[:DURATION]`,
/// e.g. `ovs-crash@30m`, `nova-compute-restart/wally122@1h:45s`.
public struct FaultSpec: Sendable, Equatable {
    public var kind: FaultKind
    /// Milliseconds after the simulation start.
    public var offsetMillis: Int64
    /// Milliseconds; nil takes the kind's default.
    public var durationMillis: Int64?
    /// The host; nil takes the kind's default (the controller, or a compute node in turn).
    public var host: String?

    public init(kind: FaultKind, offsetMillis: Int64, durationMillis: Int64? = nil, host: String? = nil) {
        self.kind = kind
        self.offsetMillis = offsetMillis
        self.durationMillis = durationMillis
        self.host = host
    }

    /// Parses `KIND[/HOST]@OFFSET[:DURATION]`; durations are Prometheus style (`90s`, `1h30m`).
    /// Returns nil for an unknown kind or a malformed duration.
    public static func parse(_ text: String) -> FaultSpec? {
        let parts = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let head = parts[0].split(separator: "/", maxSplits: 1)
        guard let first = head.first, let kind = FaultKind(rawValue: String(first)) else { return nil }
        let host = head.count == 2 ? String(head[1]) : nil
        let times = parts[1].split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard let offset = parseDurationMillis(String(times[0])) else { return nil }
        var duration: Int64?
        if times.count == 2 {
            guard let d = parseDurationMillis(String(times[1])), d > 0 else { return nil }
            duration = d
        }
        return FaultSpec(kind: kind, offsetMillis: offset, durationMillis: duration, host: host)
    }

    /// `90s`, `5m`, `1h30m`, `1d`, `250ms`, or plain seconds.
    public static func parseDurationMillis(_ s: String) -> Int64? {
        if s.isEmpty { return nil }
        if let secs = Int64(s) { return secs * 1000 }
        var total: Int64 = 0
        var number: Int64 = 0
        var haveNumber = false
        let u = Array(s.utf8)
        var i = 0
        while i < u.count {
            let b = u[i]
            if b >= 48 && b <= 57 {
                number = number * 10 + Int64(b - 48)
                haveNumber = true
                if number > 1_000_000_000 { return nil }
                i += 1
                continue
            }
            guard haveNumber else { return nil }
            let unit: Int64
            if b == UInt8(ascii: "m") && i + 1 < u.count && u[i + 1] == UInt8(ascii: "s") {
                unit = 1
                i += 1
            } else {
                switch b {
                case UInt8(ascii: "s"): unit = 1000
                case UInt8(ascii: "m"): unit = 60_000
                case UInt8(ascii: "h"): unit = 3_600_000
                case UInt8(ascii: "d"): unit = 86_400_000
                case UInt8(ascii: "w"): unit = 604_800_000
                default: return nil
                }
            }
            total += number * unit
            number = 0
            haveNumber = false
            i += 1
        }
        return haveNumber ? nil : total
    }

    /// The default scenario for a run of `durationMillis`: at least four faults, one per 30
    /// simulated minutes beyond that, evenly spaced, kinds in turn (nova-compute restart,
    /// glance-api restart, Open vSwitch crash, database connection loss, RabbitMQ loss,
    /// neutron agent restart, no valid host).
    public static func defaultScenario(durationMillis: Int64) -> [FaultSpec] {
        let order: [FaultKind] = [
            .novaComputeRestart, .glanceAPIRestart, .ovsCrash, .dbConnection, .rabbitmqConnectionLoss,
            .neutronAgentRestart, .noValidHost,
        ]
        let count = max(4, Int(durationMillis / 1_800_000))
        let spacing = durationMillis / Int64(count)
        return (0..<count).map { i in
            FaultSpec(kind: order[i % order.count], offsetMillis: spacing * Int64(i) + spacing / 2)
        }
    }
}

/// A fault placed on the timeline (microseconds).
struct ActiveFault {
    var id: Int
    var kind: FaultKind
    var host: Int
    var start: Int64
    var end: Int64

    @inline(__always) func covers(_ t: Int64) -> Bool { t >= start && t < end }
}
