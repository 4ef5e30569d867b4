import StrataCLIKit
import StrataLabels
import StrataRules

#if canImport(Glibc)
import Glibc
#endif

/// Sends alerts to Alertmanagers, as Prometheus's notifier does: one bounded queue (when full,
/// the oldest alerts are dropped and counted), drained by one thread in batches of up to
/// `batchSize` alerts; each batch is POSTed once to every Alertmanager (no retry: the rule
/// manager sends firing alerts again every resend delay anyway). A batch that no Alertmanager
/// took is counted as dropped.
///
/// Metrics: `strata_notifications_sent_total{alertmanager}` (alerts POSTed, answered or not, as
/// Prometheus's `prometheus_notifications_sent_total`), `strata_notifications_errors_total
/// {alertmanager}` (failed POSTs), `strata_notifications_dropped_total` (alerts lost to a full
/// queue or to a batch no Alertmanager took), `strata_notifications_queue_length`.
final class AlertNotifier: @unchecked Sendable {
    let endpoints: [AlertmanagerEndpoint]
    let externalLabels: [(name: String, value: String)]
    let capacity: Int
    let batchSize: Int
    let timeout: Int64
    let metrics: ServerMetrics

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    // Guarded by `mutex`.
    private var queue: [AlertNotification] = []
    private var stopping = false
    private var thread: pthread_t?

    init(endpoints: [AlertmanagerEndpoint], options: RuleOptions, metrics: ServerMetrics) {
        self.endpoints = endpoints
        externalLabels = options.externalLabels
        capacity = max(1, options.notificationQueueCapacity)
        batchSize = max(1, options.notificationBatchSize)
        timeout = max(1, options.notificationTimeout)
        self.metrics = metrics
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        guard !endpoints.isEmpty else { return }
        var t = pthread_t()
        let box = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(&t, nil, { arg in
            let me = Unmanaged<AlertNotifier>.fromOpaque(arg!).takeRetainedValue()
            me.loop()
            return nil
        }, box)
        precondition(rc == 0, "pthread_create failed: \(rc)")
        thread = t
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Alerts waiting to be sent.
    var queueLength: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return queue.count
    }

    /// Queues alerts (with the external labels they lack); drops the oldest past the capacity.
    func send(_ alerts: [AlertNotification]) {
        guard !endpoints.isEmpty, !alerts.isEmpty else { return }
        let alerts = alerts.map { Self.addingExternalLabels($0, externalLabels) }
        pthread_mutex_lock(mutex)
        let dropped = Self.append(alerts, to: &queue, capacity: capacity)
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
        metrics.add("strata_notifications_dropped_total", "", dropped)
    }

    /// Appends to a queue of at most `capacity` alerts, dropping the oldest (of the queue, then of
    /// `alerts`) past it, as Prometheus's notifier does. Returns how many were dropped.
    static func append(_ alerts: [AlertNotification], to queue: inout [AlertNotification], capacity: Int) -> Int {
        var alerts = alerts[...]
        var dropped = 0
        if alerts.count > capacity {
            dropped += alerts.count - capacity
            alerts = alerts.suffix(capacity)
        }
        if queue.count + alerts.count > capacity {
            let d = queue.count + alerts.count - capacity
            dropped += d
            queue.removeFirst(d)
        }
        queue += alerts
        return dropped
    }

    /// Sends what is queued (at most `batchSize` alerts a POST, within `timeout` each), then ends
    /// the thread.
    func shutdown() {
        pthread_mutex_lock(mutex)
        stopping = true
        let t = thread
        thread = nil
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
        if let t { pthread_join(t, nil) }
    }

    private func loop() {
        while true {
            pthread_mutex_lock(mutex)
            while queue.isEmpty && !stopping { pthread_cond_wait(condition, mutex) }
            if queue.isEmpty {
                pthread_mutex_unlock(mutex)
                return
            }
            let batch = Array(queue.prefix(batchSize))
            queue.removeFirst(batch.count)
            pthread_mutex_unlock(mutex)
            sendBatch(batch)
        }
    }

    private func sendBatch(_ batch: [AlertNotification]) {
        let body = Self.json(batch)
        var delivered = false
        for e in endpoints {
            metrics.add("strata_notifications_sent_total", e.url, batch.count)
            if let problem = e.post(body, timeoutMilliseconds: timeout) {
                metrics.add("strata_notifications_errors_total", e.url, 1)
                ServerLog.write("strata serve: sending \(batch.count) alerts to Alertmanager: \(problem)")
            } else {
                delivered = true
            }
        }
        if !delivered { metrics.add("strata_notifications_dropped_total", "", batch.count) }
    }

    /// Prometheus's notifier adds each external label the alert does not have already.
    static func addingExternalLabels(_ a: AlertNotification, _ external: [(name: String, value: String)]) -> AlertNotification {
        var a = a
        for l in external where (a.labels[l.name] ?? "").isEmpty { a.labels = a.labels.setting(l.name, to: l.value) }
        return a
    }

    /// Alertmanager's v2 `postableAlerts`: `[{"labels":…,"annotations":…,"startsAt":…,"endsAt":…,
    /// "generatorURL":…}]`.
    static func json(_ alerts: [AlertNotification]) -> [UInt8] {
        var s = "["
        for (i, a) in alerts.enumerated() {
            if i > 0 { s += "," }
            s += "{\"labels\":" + QueryOutput.jsonLabels(a.labels) + ",\"annotations\":" + QueryOutput.jsonLabels(a.annotations)
            s += ",\"startsAt\":\"" + GoFormat.dateTime(a.startsAt) + "\",\"endsAt\":\"" + GoFormat.dateTime(a.endsAt) + "\""
            s += ",\"generatorURL\":" + QueryOutput.jsonString(a.generatorURL) + "}"
        }
        return Array((s + "]").utf8)
    }
}

/// One line on stderr for the operator (what the server's log is).
enum ServerLog {
    static func write(_ line: String) {
        var s = line.hasSuffix("\n") ? line : line + "\n"
        s.withUTF8 { b in
            var off = 0
            while off < b.count {
                let n = Glibc.write(2, b.baseAddress! + off, b.count - off)
                if n <= 0 { break }
                off += n
            }
        }
    }
}
