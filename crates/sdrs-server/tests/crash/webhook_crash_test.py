"""Webhooks across a crash: a webhook whose receiver is down, failovers and a recovery-plan run that reaches its gate,
the server killed with SIGKILL while the deliveries are still failing, then the receiver started and the server
restarted on the same database. Every event (`job.finished` for each failover, `plan-run.waiting-for-gate` for the run)
must arrive, signed with the webhook's secret (X-Sdrs-Signature: sha256=HMAC-SHA256 of the body), de-duplicable by
its id (X-Sdrs-Event-Id, the body's `id`). Prints 'N passed, N failed'.

Usage: python webhook_crash_test.py SERVER BENCH GROUPS
"""

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from crash_test import PROJECT, call, free_port, start

SECRET = "a-receivers-shared-secret-0001"


class Receiver(BaseHTTPRequestHandler):
    """Records each POST as (event id header, signature valid, payload)."""
    received = []
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        valid = hmac.compare_digest(expected, self.headers.get("X-Sdrs-Signature", ""))
        with Receiver.lock:
            Receiver.received.append((self.headers.get("X-Sdrs-Event-Id"), valid, json.loads(body)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    server, bench, groups = sys.argv[1], sys.argv[2], int(sys.argv[3])
    database = os.path.join(tempfile.mkdtemp(), "webhooks.db")
    ids = subprocess.run([bench, "seed", "--database", database, "--groups", str(groups + 1)],
                         check=True, capture_output=True, text=True).stdout.split()
    port, receiver_port = free_port(), free_port()
    process = start(server, database, port, "--allow-private-webhooks")
    problems = []
    try:
        status, body = call(port, "POST", f"/orchestration/v1/{PROJECT}/webhooks", {"webhook": {
            "url": f"http://127.0.0.1:{receiver_port}/hook", "secret": SECRET,
            "events": ["job.finished", "plan-run.waiting-for-gate"]}})
        assert status == 201, (status, body)
        webhook = body["webhook"]["id"]
        jobs = set()
        for group in ids[:groups]:
            status, body = call(port, "POST", f"/v1/{PROJECT}/server-groups/{group}/action", {"failover-server-group": {}})
            assert status == 200, (status, body)
            jobs.add(body["job_id"])
        stages = [{"type": "gate", "text": "Call the DBA"},
                  {"type": "groups", "groups": [{"server_group_id": ids[groups]}]}]
        status, body = call(port, "POST", f"/orchestration/v1/{PROJECT}/recovery-plans",
                            {"recovery_plan": {"name": "gated", "stages": stages}})
        assert status == 201, (status, body)
        status, body = call(port, "POST", f"/orchestration/v1/{PROJECT}/recovery-plans/{body['recovery_plan']['id']}/runs",
                            {"mode": "failover", "confirm": "gated", "plan_version": 1})
        assert status == 201, (status, body)
        run = body["run"]["id"]
        # Everything has happened (and so is in the outbox) before the crash; its deliveries have failed at least once.
        deadline = time.time() + 60
        while time.time() < deadline:
            finished = sum(1 for job in jobs
                           if call(port, "GET", f"/v1/{PROJECT}/jobs/{job}")[1]["status"] in ("SUCCESS", "FAIL"))
            waiting = call(port, "GET", f"/orchestration/v1/{PROJECT}/plan-runs/{run}")[1]["run"]["status"]
            _, log = call(port, "GET", f"/orchestration/v1/{PROJECT}/webhooks/{webhook}/deliveries")
            failed_attempts = sum(1 for d in log["deliveries"] if d["attempts"] > 0 and d["status"] == "pending")
            if finished == len(jobs) and waiting == "waiting-for-gate" and failed_attempts > 0:
                break
            time.sleep(0.2)
        else:
            problems.append(f"before the crash: {finished}/{len(jobs)} jobs ended, run {waiting}, "
                            f"{failed_attempts} failed deliveries")
        process.send_signal(signal.SIGKILL)
        process.wait()
        receiver = ThreadingHTTPServer(("127.0.0.1", receiver_port), Receiver)
        threading.Thread(target=receiver.serve_forever, daemon=True).start()
        process = start(server, database, port, "--allow-private-webhooks")
        expected = {("job.finished", job) for job in jobs} | {("plan-run.waiting-for-gate", run)}
        deadline = time.time() + 90
        while time.time() < deadline:
            with Receiver.lock:
                got = {(p["event"], p["data"].get("job_id") or p["data"].get("run_id")) for _, _, p in Receiver.received}
            if expected <= got:
                break
            time.sleep(0.5)
        with Receiver.lock:
            received = list(Receiver.received)
        got = {(p["event"], p["data"].get("job_id") or p["data"].get("run_id")) for _, _, p in received}
        missing = expected - got
        if missing:
            problems.append(f"{len(missing)} event(s) never arrived, e.g. {sorted(missing)[:3]}")
        if not all(valid for _, valid, _ in received):
            problems.append("a delivery's signature did not verify")
        if any(event_id != payload["id"] for event_id, _, payload in received):
            problems.append("X-Sdrs-Event-Id differs from the payload's id")
        distinct = {payload["id"] for _, _, payload in received}
        print(f"webhooks across kill -9: {len(expected)} events expected, {len(received)} deliveries received "
              f"({len(distinct)} distinct ids), {len(problems)} problem(s)")
        receiver.shutdown()
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    for problem in problems:
        print("  " + problem)
    print(f"{0 if problems else 1} passed, {1 if problems else 0} failed")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
