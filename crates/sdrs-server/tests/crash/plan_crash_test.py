"""Crash test of recovery-plan runs: a 3-stage failover plan over 30 protected groups at a realistic time scale,
the server killed with kill -9 at several moments of the same run and restarted on the same database each time.
Checks that the run finishes `succeeded`, that every group is failed over, and that every group was acted on exactly
once (the admin API's job list of each group holds one failover job). Prints 'N passed, N failed'.

Usage: python plan_crash_test.py SERVER_BINARY BENCH_BINARY KILL_AFTER_SECONDS [KILL_AFTER_SECONDS ...]
(each kill point counts from the previous start).
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time

from crash_test import PROJECT, call, free_port, start

ADMIN = {"X-Admin-Token": "demo-admin-token-0000"}
STAGES, PER_STAGE = 3, 10


def orchestration(path):
    return f"/orchestration/v1/{PROJECT}{path}"


def admin_call(port, path):
    import urllib.request
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=ADMIN)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def main():
    server, bench = sys.argv[1], sys.argv[2]
    kills = [float(k) for k in sys.argv[3:]]
    if not kills:
        sys.exit("need at least one kill point")
    work = tempfile.mkdtemp()
    database = os.path.join(work, "plan-crash.db")
    ids = subprocess.run([bench, "seed", "--database", database, "--groups", str(STAGES * PER_STAGE)],
                         check=True, capture_output=True, text=True).stdout.split()
    port = free_port()
    process = start(server, database, port)
    problems = []
    try:
        stages = [{"type": "groups", "groups": [{"server_group_id": g} for g in ids[i * PER_STAGE:(i + 1) * PER_STAGE]]}
                  for i in range(STAGES)]
        status, body = call(port, "POST", orchestration("/recovery-plans"),
                            {"recovery_plan": {"name": "crash-plan", "stages": stages}})
        assert status == 201, body
        plan = body["recovery_plan"]["id"]
        status, body = call(port, "POST", orchestration(f"/recovery-plans/{plan}/runs"),
                            {"mode": "failover", "confirm": "crash-plan", "plan_version": 1})
        assert status == 201, body
        run = body["run"]["id"]
        at_kills = []
        for kill_after in kills:
            time.sleep(kill_after)
            _, body = call(port, "GET", orchestration(f"/plan-runs/{run}"))
            groups = [g for s in body["run"]["stages"] for g in s["groups"]]
            at_kills.append(f"{sum(g['status'] == 'succeeded' for g in groups)} done, "
                            f"{sum(g['status'] in ('submitting', 'running') for g in groups)} in flight")
            process.send_signal(signal.SIGKILL)
            process.wait()
            process = start(server, database, port)
        deadline = time.time() + 180
        while time.time() < deadline:
            _, body = call(port, "GET", orchestration(f"/plan-runs/{run}"))
            if body["run"]["status"] not in ("running",):
                break
            time.sleep(0.3)
        final = body["run"]
        if final["status"] != "succeeded":
            problems.append(f"the run ended `{final['status']}`")
        entries = {g["server_group_id"]: g for s in final["stages"] for g in s["groups"]}
        for group in ids:
            _, body = call(port, "GET", f"/v1/{PROJECT}/server-groups/{group}")
            if body["server_group"]["status"] != "failed-over":
                problems.append(f"group {group} is {body['server_group']['status']}")
            jobs = [j for j in admin_call(port, f"/admin/v1/{PROJECT}/server-groups/{group}/jobs")["jobs"]
                    if j["job_type"] == "failoverProtectionGroupNoCG"]
            if len(jobs) != 1:
                problems.append(f"group {group} was failed over {len(jobs)} times")
            elif entries[group]["job_id"] not in (None, jobs[0]["job_id"]):
                problems.append(f"group {group}: the run names job {entries[group]['job_id']}, the group ran {jobs[0]['job_id']}")
        interrupted = sum("interrupted" in e["text"] for e in final["events"])
        followed = sum(1 for g in entries.values() if g["followed_by_status"])
        print(f"plan run over {len(ids)} groups in {STAGES} stages, killed {len(kills)} times "
              f"(at the kills: {'; '.join(at_kills)}): {final['status']}, {interrupted} interrupted submission(s) "
              f"resolved, {followed} followed by status, {len(problems)} problem(s)")
        for problem in problems[:10]:
            print("  " + problem)
    finally:
        process.kill()
        process.wait()
    ok = not problems
    print(f"{int(ok)} passed, {int(not ok)} failed")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
