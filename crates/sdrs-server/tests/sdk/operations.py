"""Checks of sdrs-server as an operated service, for scripts/sdk-test: its metrics read by the Prometheus client's own
parsers, its health and readiness answers, and what haproxy's stats socket says about the replicas behind it.
Each command prints what it saw and exits non-zero when the check fails.

Usage:
  python operations.py metrics BASE_URL OUT_FILE        parses BASE_URL/metrics, saves its samples to OUT_FILE
  python operations.py metrics-moved BASE_URL BEFORE    the request and job counters moved since BEFORE, with labels
  python operations.py answers URL STATUS SECONDS       URL answers STATUS within SECONDS (polled every 0.1 s)
  python operations.py log FILE SECRET...               FILE's JSON lines: the SDK's failover with its request id and
                                                        job, each change with an outcome, no SECRET on any line
  python operations.py haproxy SOCKET                   prints each server's status and sessions; JSON on stdout
  python operations.py haproxy-says SOCKET SERVER STATUS SECONDS   haproxy reports SERVER's status as STATUS in time
"""

import json
import socket
import sys
import time
import urllib.error
import urllib.request

from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics_families
from prometheus_client.parser import text_string_to_metric_families as prometheus_families

FAILOVER = "/v1/{project_id}/server-groups/{server_group_id}/action"


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read().decode()
    except OSError:
        return None, "", ""


def samples(base):
    """Every sample of BASE/metrics as `name{label=value,...}` -> value, read by the OpenMetrics parser (which checks
    the format strictly: types, `_total` suffixes, `# EOF`), after the classic Prometheus text parser read it too."""
    status, content_type, text = fetch(f"{base}/metrics")
    assert status == 200, f"/metrics answered {status}"
    assert content_type.startswith("application/openmetrics-text"), content_type
    classic = sum(len(family.samples) for family in prometheus_families(text))
    parsed = {}
    for family in openmetrics_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            parsed[f"{sample.name}{{{labels}}}"] = sample.value
    assert classic >= len(parsed) > 0, f"the classic parser read {classic} samples, the OpenMetrics one {len(parsed)}"
    return parsed


def metrics(base, out):
    parsed = samples(base)
    with open(out, "w") as file:
        json.dump(parsed, file)
    print(f"ok: /metrics parsed, {len(parsed)} samples")


def metrics_moved(base, before_file):
    with open(before_file) as file:
        before = json.load(file)
    after = samples(base)
    expected = [
        f"sdrs_http_requests_total{{method=POST,operation={FAILOVER},status=200}}",
        "sdrs_jobs_accepted_total{job_type=failoverProtectionGroupNoCG}",
        "sdrs_jobs_finished_total{job_type=failoverProtectionGroupNoCG,status=SUCCESS}",
        "sdrs_job_duration_seconds_count{job_type=failoverProtectionGroupNoCG,status=SUCCESS}",
        f"sdrs_http_request_duration_seconds_count{{operation={FAILOVER}}}",
    ]
    steps = [name for name in after if name.startswith("sdrs_job_step_duration_seconds_count{")
             and "status=SUCCESS" in name]
    expected += steps
    failed = [name for name in expected if after.get(name, 0) <= before.get(name, 0)]
    if not steps:
        failed.append("sdrs_job_step_duration_seconds_count (no step observed)")
    for name in expected:
        print(f"{'ok' if name not in failed else 'FAILED'}: {name} {before.get(name, 0)} -> {after.get(name)}")
    if failed:
        sys.exit(1)


def log(path, *secrets):
    """The server's `--log-format json` log after the SDK's lifecycle. Lines that are not JSON objects (the demo's
    banner on stdout) are skipped; every other line must parse."""
    lines = [line for line in open(path) if line.startswith("{")]
    records = [json.loads(line) for line in lines]
    answered = [r["span"] for r in records if r.get("fields", {}).get("message") == "answered"]
    failovers = [span for span in answered
                 if span.get("operation") == FAILOVER and str(span.get("outcome", "")).startswith("job ")]
    problems = []
    if not failovers:
        problems.append("no line for an accepted failover with its job")
    without = [span for span in answered if not span.get("request_id") or not span.get("project")]
    if without:
        problems.append("a request's line without its request id or project: " + json.dumps(without[:2]))
    changes = [span for span in answered if span.get("method") != "GET"]
    if not all(span.get("outcome") for span in changes):
        problems.append("a change's line without its outcome: " + json.dumps([s for s in changes if not s.get("outcome")][:2]))
    if not any(str(span.get("outcome", "")).startswith("refused 400 SDRS.1002") for span in changes):
        problems.append("no line for the refused second failover")
    for secret in list(secrets) + ["Signature=", "SDK-HMAC-SHA256"]:
        if any(secret in line for line in lines):
            problems.append(f"the log holds {secret[:4]}…")
    print(f"{'ok' if not problems else 'FAILED'}: {len(records)} JSON log lines, {len(answered)} requests answered, "
          f"{len(failovers)} accepted failover(s) with their job")
    for problem in problems:
        print("  " + problem)
    if problems:
        sys.exit(1)


def answers(url, status, seconds):
    deadline = time.time() + float(seconds)
    seen = None
    while time.time() < deadline:
        seen, _, body = fetch(url)
        if seen == int(status):
            print(f"ok: {url} answered {seen} {body.strip()[:200]}")
            return
        time.sleep(0.1)
    sys.exit(f"FAILED: {url} answered {seen}, not {status}, within {seconds} s")


def haproxy_servers(path):
    """`show stat` on haproxy's stats socket: server -> {status, sessions} of every backend server."""
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(path)
        sock.sendall(b"show stat\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    lines = data.decode().splitlines()
    header = lines[0].lstrip("# ").split(",")
    servers = {}
    for line in lines[1:]:
        row = dict(zip(header, line.split(",")))
        if row.get("svname") not in (None, "", "FRONTEND", "BACKEND"):
            servers[row["svname"]] = {"status": row["status"], "sessions": int(row["stot"] or 0)}
    return servers


def haproxy(path):
    print(json.dumps(haproxy_servers(path)))


def haproxy_says(path, server, status, seconds):
    deadline = time.time() + float(seconds)
    seen = None
    while time.time() < deadline:
        seen = haproxy_servers(path)[server]["status"]
        if seen.split()[0] == status:
            print(f"ok: haproxy reports {server} {seen}")
            return
        time.sleep(0.1)
    sys.exit(f"FAILED: haproxy reports {server} {seen}, not {status}, after {seconds} s")


if __name__ == "__main__":
    commands = {"metrics": metrics, "metrics-moved": metrics_moved, "answers": answers, "log": log, "haproxy": haproxy,
                "haproxy-says": haproxy_says}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](*sys.argv[2:])
