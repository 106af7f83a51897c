"""Takeover of a recovery-plan run between two replicas on one PostgreSQL database: a 3-stage failover plan over 30
groups, the replica holding the executor's lease killed with SIGKILL while the run is in flight. Measures how long the
run waits before the other replica drives it on (goal: 15 s at most: the lease's 10 s and a poll), then checks that the
run finishes `succeeded` with every group failed over exactly once. Prints one line and 'N passed, N failed'.

Usage: python plan_takeover_test.py SERVER BENCH POSTGRES_URL KILL_AFTER_SECONDS
where POSTGRES_URL has no database (postgres://user@host:port).
"""

import signal
import subprocess
import sys
import time
import uuid

from crash_test import PROJECT, call, free_port, start

STAGES, PER_STAGE = 3, 10
GOAL_SECONDS = 15


def orchestration(path):
    return f"/orchestration/v1/{PROJECT}{path}"


def psql(url, sql):
    return subprocess.run(["psql", url, "-Atq", "-c", sql], check=True, capture_output=True, text=True).stdout.strip()


def progress(run):
    """What has happened in a run: its events and each group's status, which change whenever it is driven."""
    return (len(run["events"]), tuple(g["status"] for s in run["stages"] for g in s["groups"]))


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    server, bench, base, kill_after = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    name = f"sdrs_takeover_{uuid.uuid4().hex}"
    psql(f"{base}/postgres", f"CREATE DATABASE {name}")
    database = f"{base}/{name}"
    ids = subprocess.run([bench, "seed", "--database", database, "--groups", str(STAGES * PER_STAGE)],
                         check=True, capture_output=True, text=True).stdout.split()
    ports = {"replica-a": free_port(), "replica-b": free_port()}
    replicas = {n: start(server, database, port, "--replica", n) for n, port in ports.items()}
    problems = []
    try:
        stages = [{"type": "groups", "groups": [{"server_group_id": g} for g in ids[i * PER_STAGE:(i + 1) * PER_STAGE]]}
                  for i in range(STAGES)]
        port = ports["replica-a"]
        status, body = call(port, "POST", orchestration("/recovery-plans"),
                            {"recovery_plan": {"name": "takeover", "stages": stages}})
        assert status == 201, body
        plan = body["recovery_plan"]["id"]
        status, body = call(port, "POST", orchestration(f"/recovery-plans/{plan}/runs"),
                            {"mode": "failover", "confirm": "takeover", "plan_version": 1})
        assert status == 201, body
        run = body["run"]["id"]
        time.sleep(kill_after)
        holder = psql(database, "SELECT holder FROM leases WHERE name = 'plan-executor'")
        survivor = next(n for n in ports if n != holder)
        _, body = call(ports[survivor], "GET", orchestration(f"/plan-runs/{run}"))
        before = progress(body["run"])
        replicas[holder].send_signal(signal.SIGKILL)
        replicas[holder].wait()
        killed = time.time()
        resumed = None
        while time.time() - killed < 60:
            _, body = call(ports[survivor], "GET", orchestration(f"/plan-runs/{run}"))
            if progress(body["run"]) != before:
                resumed = time.time() - killed
                break
            time.sleep(0.1)
        if resumed is None:
            problems.append("the run did not move within 60 s of its replica's death")
        elif resumed > GOAL_SECONDS:
            problems.append(f"the run waited {resumed:.1f} s (goal {GOAL_SECONDS} s)")
        deadline = time.time() + 180
        while time.time() < deadline:
            _, body = call(ports[survivor], "GET", orchestration(f"/plan-runs/{run}"))
            if body["run"]["status"] != "running":
                break
            time.sleep(0.3)
        final = body["run"]
        if final["status"] != "succeeded":
            problems.append(f"the run ended `{final['status']}`")
        for group in ids:
            _, listed = call(ports[survivor], "GET", f"/admin/v1/{PROJECT}/server-groups/{group}/jobs", admin=True)
            jobs = [j for j in listed["jobs"] if j["job_type"] == "failoverProtectionGroupNoCG"]
            if len(jobs) != 1:
                problems.append(f"group {group} was failed over {len(jobs)} times")
        new_holder = psql(database, "SELECT holder FROM leases WHERE name = 'plan-executor'")
        waited = "never" if resumed is None else f"{resumed:.1f} s"
        print(f"plan run over {len(ids)} groups: {holder} (the lease holder) killed after {kill_after}s; the run moved "
              f"again on {survivor} after {waited} (goal {GOAL_SECONDS} s); lease now held by {new_holder}; "
              f"{final['status']}, {len(problems)} problem(s)")
        for problem in problems[:10]:
            print("  " + problem)
    finally:
        for process in replicas.values():
            process.kill()
            process.wait()
        psql(f"{base}/postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    ok = not problems
    print(f"{int(ok)} passed, {int(not ok)} failed")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
