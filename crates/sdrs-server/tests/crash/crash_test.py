"""Crash test: submit failovers on many protected groups at a realistic time scale, kill -9 the server at a given
moment, restart it on the same database, and check that every accepted job ends SUCCESS or FAIL, that every
group's status agrees with its last job, and that no accepted job is missing. Prints 'N passed, N failed'.

Usage: python crash_test.py SERVER_BINARY BENCH_BINARY GROUPS KILL_AFTER_SECONDS [KILL_AFTER_SECONDS ...]
"""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

PROJECT = "5a1f0c3e2b7d4e6f8a9b0c1d2e3f4a5b"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(port, method, path, body=None, admin=False):
    """One request with the demo token (and the demo admin token); `(None, None)` when nothing answered."""
    headers = {"X-Auth-Token": "demo-token", "Content-Type": "application/json"}
    if admin:
        headers["X-Admin-Token"] = "demo-admin-token-0000"
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", method=method,
        data=json.dumps(body).encode() if body is not None else None, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")
    except OSError:
        return None, None


def start(server, database, port, *extra):
    """Starts the server with the demo credentials at time scale 0.5 and waits until it answers."""
    process = subprocess.Popen([server, "--demo", "--time-scale", "0.5", "--database", database,
                                "--listen", f"127.0.0.1:{port}", *extra],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            return process
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the server did not start")


def unfinished_in_sample(port, accepted):
    """A twentieth of the accepted jobs, and how many of them have not ended yet."""
    sample = list(accepted.values())[:: max(1, len(accepted) // 20)]
    unfinished = sum(1 for job_id in sample
                     if call(port, "GET", f"/v1/{PROJECT}/jobs/{job_id}")[1]["status"] not in ("SUCCESS", "FAIL"))
    return sample, unfinished


def wait_for_jobs(port, accepted, problems, seconds):
    """Follows every accepted job (group -> job id) until it ends or `seconds` pass; returns group -> final status.
    A server that does not answer, or answers 5xx, is asked again (it may be restarting); any other refusal, or a job
    that never ends, is a problem."""
    deadline = time.time() + seconds
    pending = dict(accepted)
    finished = {}
    while pending and time.time() < deadline:
        for group, job_id in list(pending.items()):
            status, job = call(port, "GET", f"/v1/{PROJECT}/jobs/{job_id}")
            if status is None or status >= 500:
                continue
            if status != 200:
                problems.append(f"accepted job {job_id} is missing ({status})")
                del pending[group]
            elif job["status"] in ("SUCCESS", "FAIL"):
                finished[group] = job["status"]
                del pending[group]
        time.sleep(0.2)
    problems += [f"job {job_id} of group {g} never finished" for g, job_id in pending.items()]
    return finished


def report(head, finished, problems, complete):
    """Prints a scenario's line (`head`, then the outcomes) and its first problems; whether it passed."""
    print(f"{head}, {sum(1 for o in finished.values() if o == 'SUCCESS')} SUCCESS, "
          f"{sum(1 for o in finished.values() if o == 'FAIL')} FAIL, {len(problems)} problem(s)")
    for problem in problems[:10]:
        print("  " + problem)
    return not problems and complete


def run(server, bench, groups, kill_after):
    work = tempfile.mkdtemp()
    database = os.path.join(work, "crash.db")
    ids = subprocess.run([bench, "seed", "--database", database, "--groups", str(groups)],
                         check=True, capture_output=True, text=True).stdout.split()
    port = free_port()
    process = start(server, database, port)
    accepted = {}

    def submit(group):
        status, body = call(port, "POST", f"/v1/{PROJECT}/server-groups/{group}/action", {"failover-server-group": {}})
        if status == 200:
            accepted[group] = body["job_id"]

    started = time.time()
    with ThreadPoolExecutor(16) as pool:
        pool.map(submit, ids)
    time.sleep(max(0.0, kill_after - (time.time() - started)))
    sample, unfinished = unfinished_in_sample(port, accepted)
    process.send_signal(signal.SIGKILL)
    process.wait()
    process = start(server, database, port)
    problems = []
    try:
        finished = wait_for_jobs(port, accepted, problems, 120)
        for group, outcome in finished.items():
            _, body = call(port, "GET", f"/v1/{PROJECT}/server-groups/{group}")
            expected = "failed-over" if outcome == "SUCCESS" else "error-failing-over"
            if body["server_group"]["status"] != expected:
                problems.append(f"group {group}: job {outcome} but status {body['server_group']['status']}")
    finally:
        process.kill()
        process.wait()
    head = (f"kill after {kill_after}s ({unfinished}/{len(sample)} sampled jobs unfinished at the kill): "
            f"{len(accepted)}/{groups} failovers accepted")
    return report(head, finished, problems, len(accepted) == groups and unfinished > 0)


def main():
    server, bench, groups = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if groups < 1 or len(sys.argv) < 5:
        sys.exit("need at least one group and one kill point")
    results = [run(server, bench, groups, float(kill_after)) for kill_after in sys.argv[4:]]
    print(f"{results.count(True)} passed, {results.count(False)} failed")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
