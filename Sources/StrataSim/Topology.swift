/// The programs whose logs the simulator writes; one file `logs/<host>/<fileName>` each.
enum Program: Int, CaseIterable {
    case novaAPI, novaConductor, novaScheduler, novaCompute, placementAPI
    case neutronServer, neutronL3Agent, neutronDHCPAgent, neutronMetadataAgent, neutronOVSAgent
    case glanceAPI, keystone, cinderAPI, cinderVolume
    case mysqld, rabbitmq, haproxy, ovsVswitchd, libvirtd, messages, secure

    var fileName: String {
        switch self {
        case .novaAPI: "nova-api.log"
        case .novaConductor: "nova-conductor.log"
        case .novaScheduler: "nova-scheduler.log"
        case .novaCompute: "nova-compute.log"
        case .placementAPI: "placement-api.log"
        case .neutronServer: "neutron-server.log"
        case .neutronL3Agent: "neutron-l3-agent.log"
        case .neutronDHCPAgent: "neutron-dhcp-agent.log"
        case .neutronMetadataAgent: "neutron-metadata-agent.log"
        case .neutronOVSAgent: "neutron-openvswitch-agent.log"
        case .glanceAPI: "glance-api.log"
        case .keystone: "keystone.log"
        case .cinderAPI: "cinder-api.log"
        case .cinderVolume: "cinder-volume.log"
        case .mysqld: "mysqld.log"
        case .rabbitmq: "rabbitmq.log"
        case .haproxy: "haproxy.log"
        case .ovsVswitchd: "ovs-vswitchd.log"
        case .libvirtd: "libvirtd.log"
        case .messages: "messages.log"
        case .secure: "secure.log"
        }
    }

    /// The systemd unit (node_systemd_unit_state), for programs that are services.
    var unit: String? {
        switch self {
        case .novaAPI: "nova-api.service"
        case .novaConductor: "nova-conductor.service"
        case .novaScheduler: "nova-scheduler.service"
        case .novaCompute: "nova-compute.service"
        case .placementAPI: "placement-api.service"
        case .neutronServer: "neutron-server.service"
        case .neutronL3Agent: "neutron-l3-agent.service"
        case .neutronDHCPAgent: "neutron-dhcp-agent.service"
        case .neutronMetadataAgent: "neutron-metadata-agent.service"
        case .neutronOVSAgent: "neutron-openvswitch-agent.service"
        case .glanceAPI: "glance-api.service"
        case .keystone: "keystone.service"
        case .cinderAPI: "cinder-api.service"
        case .cinderVolume: "cinder-volume.service"
        case .mysqld: "mariadb.service"
        case .rabbitmq: "rabbitmq-server.service"
        case .haproxy: "haproxy.service"
        case .ovsVswitchd: "ovs-vswitchd.service"
        case .libvirtd: "libvirtd.service"
        case .messages, .secure: nil
        }
    }

    static let controllerPrograms: [Program] = [
        .novaAPI, .novaConductor, .novaScheduler, .placementAPI, .neutronServer, .neutronL3Agent, .neutronDHCPAgent,
        .neutronMetadataAgent, .neutronOVSAgent, .glanceAPI, .keystone, .cinderAPI, .cinderVolume, .mysqld, .rabbitmq,
        .haproxy, .ovsVswitchd, .messages, .secure,
    ]
    static let computePrograms: [Program] = [.novaCompute, .neutronOVSAgent, .ovsVswitchd, .libvirtd, .messages, .secure]
}

/// One simulated machine: its name, address, programs with their log files and process ids.
final class SimHost {
    let index: Int
    let name: Text
    let ip: Text
    let isController: Bool
    let programs: [Program]
    /// Indexed by `Program.rawValue`; nil where the program does not run on this host.
    var logs: [PendingLog?]
    var pids: [Int]
    /// ovs-vswitchd's message sequence number (`|00012|`).
    var ovsSequence = 1
    /// Instances currently running here: (start, end) in µs, for CPU and memory models.
    var instances: [(start: Int64, end: Int64)] = []

    init(index: Int, name: String, ip: String, isController: Bool, pids: [Int]) {
        self.index = index
        self.name = Text(name)
        self.ip = Text(ip)
        self.isController = isController
        programs = isController ? Program.controllerPrograms : Program.computePrograms
        logs = Array(repeating: nil, count: Program.allCases.count)
        self.pids = pids
    }

    @inline(__always) func log(_ p: Program) -> PendingLog? { logs[p.rawValue] }
    @inline(__always) func pid(_ p: Program) -> Int { pids[p.rawValue] }
}

/// Names and addresses: controller `wally113`, computes `wally117`, `wally122`, `wally123`,
/// `wally124`, then `wally125`... for more.
enum TopologyNames {
    static func hostNames(computes: Int) -> [String] {
        var names = ["wally113"]
        let seedComputes = [117, 122, 123, 124]
        var next = 125
        for i in 0..<computes {
            if i < seedComputes.count {
                names.append("wally\(seedComputes[i])")
            } else {
                names.append("wally\(next)")
                next += 1
            }
        }
        return names
    }

    static func ip(hostIndex: Int) -> String {
        hostIndex == 0 ? "10.11.10.1" : "10.11.\(10 + (hostIndex + 10) / 250).\((hostIndex + 10) % 250)"
    }
}
