/// The rules `strata demo` evaluates over its run: the text of Examples/rules/openstack.yml
/// (a test checks they are the same), written to <dir>/rules.yml.
enum DemoRules {
    static let text = #"""
# Rules for an OpenStack cloud, in Prometheus's rule file format (checked with
# `strata rules check`, unit-tested in openstack.test.yml, evaluated over stored history with
# `strata rules eval`, and continuously by `strata serve --rule-file`).
#
# The expression language is chosen per rule: PromQL over metrics, LogQL over logs (Loki's
# ruler files work as they are), PromQL over trace statistics (span_*). `keyword:` rules are
# Venus-style keyword alarms on the logs, compiled to LogQL alerts.
groups:
  # The statistics Inspur Venus ships by default for OpenStack logs, as recorded series.
  - name: venus-log-statistics
    interval: 1m
    rules:
      # All ERROR and CRITICAL records, by program.
      - record: program:log_errors:count1m
        expr: sum by (program) (count_over_time({level=~"ERROR|CRITICAL"}[1m]))
      # oslo.messaging losing RabbitMQ.
      - record: program:rabbitmq_connection_errors:count1m
        expr: |
          sum by (program) (count_over_time({program=~".+"}
            |~ "AMQP server on .* is unreachable|connection_closed_abruptly|MessagingTimeout" [1m]))
      # oslo.db losing the database.
      - record: program:database_connection_errors:count1m
        expr: |
          sum by (program) (count_over_time({program=~".+"}
            |~ "DBConnectionError|Database connection was found disconnected|Can't connect to MySQL server|Lost connection to MySQL server" [1m]))
      # The scheduler finding no host for an instance.
      - record: nova:no_valid_host:count1m
        expr: sum(count_over_time({program=~"nova-.*"} |= "No valid host was found" [1m]))

  - name: openstack-alerts
    interval: 1m
    rules:
      # The KPI: the call success rate of the service (percent).
      - alert: CallSuccessRateLow
        expr: call_success_rate < 90
        for: 1m
        labels:
          severity: critical
        annotations:
          summary: 'Call success rate is {{ $value | printf "%.1f" }}%'
          description: 'call_success_rate has been under 90% for at least a minute (usually about 98%).'

      # Open vSwitch asserting or crashing: a Venus keyword alarm.
      - alert: OpenvSwitchAssertion
        keyword: assertion
        service: ovs
        window: 2m
        severity: critical
        annotations:
          summary: 'ovs-vswitchd on {{ $labels.host }} hit an assertion ({{ $value }} lines in 2m)'

      - alert: RabbitMQUnreachable
        expr: sum by (program) (program:rabbitmq_connection_errors:count1m) > 0
        labels:
          severity: warning
        annotations:
          summary: '{{ $labels.program }} cannot reach RabbitMQ ({{ $value }} errors in the last minute)'

      - alert: DatabaseConnectionErrors
        expr: sum by (program) (program:database_connection_errors:count1m) > 0
        labels:
          severity: critical
        annotations:
          summary: '{{ $labels.program }} lost its database connection ({{ $value }} errors in the last minute)'

      - alert: NoValidHost
        keyword: No valid host was found
        service: nova
        window: 5m
        severity: warning
        by: [host]

      # A systemd unit that stopped being active (a restart or a crash).
      - alert: ServiceNotActive
        expr: node_systemd_unit_state{state="active"} == 0
        labels:
          severity: warning
        annotations:
          summary: '{{ $labels.name }} on {{ $labels.host }} is not active'

      # Failed requests in the osprofiler traces, per project.
      - alert: TracedRequestErrors
        expr: sum by (project) (span_errors({}[5m])) > 0
        labels:
          severity: info
        annotations:
          summary: '{{ $value }} failed spans in {{ $labels.project }} in 5m'

"""#
}
