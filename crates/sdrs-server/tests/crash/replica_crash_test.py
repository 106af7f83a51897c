"""Two replicas on one PostgreSQL database, with hundreds of failover jobs in flight:

- `kill` scenarios: replica A is killed with SIGKILL at a given moment; replica B, which never stops, must finish every
  job either accepted, and A restarted later must agree with B;
- the `postgres` scenario: PostgreSQL itself is restarted (immediate shutdown, then crash recovery) under both
  replicas, which must reconnect and lose nothing.

In each, every accepted job must end SUCCESS (no fault is injected, so a FAIL means a step ran twice or was lost), each
group must have exactly one job (no action ran twice), and every group's status must agree with its job.
Prints one line per scenario and 'N passed, N failed'.

Usage: python replica_crash_test.py SERVER BENCH POSTGRES_URL GROUPS RESTART_POSTGRES_COMMAND SCENARIO...
where POSTGRES_URL has no database (postgres://user@host:port), and each SCENARIO is `kill:SECONDS` or
`postgres:SECONDS`.
"""

import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from crash_test import PROJECT, call, free_port, report, start, unfinished_in_sample, wait_for_jobs


def psql(base, sql):
    subprocess.run(["psql", f"{base}/postgres", "-q", "-c", sql], check=True, capture_output=True)


def run(server, bench, base, groups, restart_postgres, scenario):
    kind, seconds = scenario.split(":")
    seconds = float(seconds)
    name = f"sdrs_crash_{uuid.uuid4().hex}"
    psql(base, f"CREATE DATABASE {name}")
    database = f"{base}/{name}"
    ids = subprocess.run([bench, "seed", "--database", database, "--groups", str(groups)],
                         check=True, capture_output=True, text=True).stdout.split()
    ports = [free_port(), free_port()]
    replicas = [start(server, database, port, "--replica", name) for port, name in zip(ports, ("replica-a", "replica-b"))]
    accepted = {}
    problems = []

    def submit(numbered):
        n, group = numbered
        status, body = call(ports[n % 2], "POST", f"/v1/{PROJECT}/server-groups/{group}/action",
                            {"failover-server-group": {}})
        if status == 200:
            accepted[group] = body["job_id"]
        else:
            problems.append(f"failover of {group} refused: {status} {body}")

    try:
        started = time.time()
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(submit, enumerate(ids)))
        time.sleep(max(0.0, seconds - (time.time() - started)))
        sample, unfinished = unfinished_in_sample(ports[1], accepted)
        if kind == "kill":
            replicas[0].send_signal(signal.SIGKILL)
            replicas[0].wait()
            watch = ports[1]
        else:
            # Not captured: the restarted server would hold the pipes open.
            subprocess.run(restart_postgres, shell=True, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            watch = ports[0]
        finished = wait_for_jobs(watch, accepted, problems, 180)
        if kind == "kill":
            replicas[0] = start(server, database, ports[0], "--replica", "replica-a")
        for n, (group, outcome) in enumerate(finished.items()):
            port = ports[n % 2]
            if outcome != "SUCCESS":
                problems.append(f"group {group}: its job ended {outcome} with no fault injected")
            _, body = call(port, "GET", f"/v1/{PROJECT}/server-groups/{group}")
            if body["server_group"]["status"] != "failed-over":
                problems.append(f"group {group}: job {outcome} but status {body['server_group']['status']}")
            _, listed = call(port, "GET", f"/admin/v1/{PROJECT}/server-groups/{group}/jobs", admin=True)
            if len(listed["jobs"]) != 1:
                problems.append(f"group {group} has {len(listed['jobs'])} jobs")
    finally:
        for process in replicas:
            process.kill()
            process.wait()
        psql(base, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    what = "replica A killed" if kind == "kill" else "PostgreSQL restarted"
    head = (f"{what} after {seconds}s ({unfinished}/{len(sample)} sampled jobs unfinished then): "
            f"{len(accepted)}/{groups} failovers accepted over two replicas")
    return report(head, finished, problems, len(accepted) == groups and unfinished > 0)


def main():
    if len(sys.argv) < 7:
        sys.exit(__doc__)
    server, bench, base, groups, restart_postgres = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
    results = [run(server, bench, base, groups, restart_postgres, scenario) for scenario in sys.argv[6:]]
    print(f"{results.count(True)} passed, {results.count(False)} failed")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
