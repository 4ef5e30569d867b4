#!/usr/bin/python3
"""Push log records to a Loki push endpoint with the real `python-logging-loki` client.

Run with /usr/bin/python3 (the interpreter the CI installs python-logging-loki into):

    /usr/bin/python3 loki_logging_push.py --url http://127.0.0.1:PORT/loki/api/v1/push --count 10

Every record is sent by `logging_loki.LokiHandler` (emitter version "1": JSON body
`{"streams":[{"stream":{labels},"values":[["<unix ns>","<line>"]]}]}`, one POST per record,
synchronously, inside `logger.info`). The handler only accepts HTTP 204; anything else is
reported through `handleError`, which this script counts and turns into exit status 1.

Labels of every stream: the --tags (default app=strata-test), run=<--run>, severity=info,
logger=<--logger>, and per record parity=even|odd (record index i % 2).
Line of record i (0-based): "strata-test message <i> of <count> run=<run>".

On success prints one JSON object on stdout:
    {"sent": N, "errors": 0, "start_ns": ..., "end_ns": ..., "labels": {...}, "line_format": "..."}
where [start_ns, end_ns] brackets the timestamps the client put on the entries (it stamps
time.time() at send, not the record's creation time).
"""
import argparse
import json
import logging
import logging.handlers
import signal
import sys
import time

import requests
import logging_loki
import logging_loki.emitter

HTTP_TIMEOUT_SECONDS = 5.0
OVERALL_TIMEOUT_SECONDS = 60


class TimeoutSession(requests.Session):
    """requests.Session whose requests time out (logging_loki sets no timeout at all)."""

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", HTTP_TIMEOUT_SECONDS)
        return super().request(*args, **kwargs)


class CountingLokiHandler(logging_loki.LokiHandler):
    """LokiHandler that counts failed sends instead of only printing them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.errors = 0
        self.last_error = None

    def handleError(self, record):  # noqa: N802
        self.errors += 1
        self.last_error = sys.exc_info()[1]
        # Closes the emitter's session, like the stock handler; do not print a traceback per record.
        self.emitter.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True, help="full push URL, e.g. http://127.0.0.1:PORT/loki/api/v1/push")
    ap.add_argument("--count", type=int, required=True, help="number of records to push")
    ap.add_argument("--run", default="r1", help="value of the 'run' label and of run= in every line")
    ap.add_argument("--logger", default="strata.client", help="logger name (becomes the 'logger' label)")
    ap.add_argument("--tag", action="append", default=[], metavar="NAME=VALUE",
                    help="extra handler tag (label); may repeat; default app=strata-test")
    ap.add_argument("--queue", action="store_true",
                    help="use the asynchronous LokiQueueHandler (a QueueListener thread) and stop it before exit")
    a = ap.parse_args()

    signal.alarm(OVERALL_TIMEOUT_SECONDS)  # hard bound: SIGALRM kills the process (exit by signal)

    tags = {"app": "strata-test"}
    for t in a.tag:
        name, sep, value = t.partition("=")
        if not sep:
            ap.error(f"--tag wants NAME=VALUE, got {t!r}")
        tags[name] = value
    tags["run"] = a.run

    # Every emitter builds its session from this class attribute on first use.
    logging_loki.emitter.LokiEmitter.session_class = TimeoutSession

    logger = logging.getLogger(a.logger)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    if a.queue:
        import queue

        qh = logging_loki.LokiQueueHandler(queue.Queue(-1), url=a.url, tags=tags, version="1")
        # Swap in the counting handler behind the listener.
        qh.listener.stop()
        inner = CountingLokiHandler(url=a.url, tags=tags, version="1")
        qh.handler = inner
        qh.listener = logging.handlers.QueueListener(qh.queue, inner)
        qh.listener.start()
        logger.addHandler(qh)
    else:
        inner = CountingLokiHandler(url=a.url, tags=tags, version="1")
        logger.addHandler(inner)

    line_format = "strata-test message {i} of {count} run={run}"
    start_ns = time.time_ns()
    for i in range(a.count):
        logger.info(line_format.format(i=i, count=a.count, run=a.run),
                    extra={"tags": {"parity": "even" if i % 2 == 0 else "odd"}})
    if a.queue:
        qh.listener.stop()  # drains the queue: every record is sent (or failed) after this
    end_ns = time.time_ns()
    for h in list(logger.handlers):
        h.close()
        logger.removeHandler(h)
    inner.emitter.close()

    labels = dict(tags)
    labels.update({"severity": "info", "logger": a.logger})
    print(json.dumps({
        "sent": a.count - inner.errors,
        "errors": inner.errors,
        "start_ns": start_ns,
        "end_ns": end_ns,
        "labels": labels,
        "line_format": line_format,
        "last_error": None if inner.last_error is None else str(inner.last_error),
    }))
    return 0 if inner.errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
