"""A flood of idle connections against a server started with Debian's default open-files limit (soft 1,024): a
legitimate request must still be answered within 1 s. Two cases:

- soft 1,024 under a higher hard limit (Debian's login default): the server raises its soft limit to the hard one at
  start, so it holds 1,000 idle connections and a GET is served (200) within 1 s;
- soft and hard both 1,024 (nothing to raise): the server caps its connections below the limit, keeping a reserve for
  the database and the listener; connections beyond the cap, and a GET then, get the documented 503 (JSON, with
  Retry-After) within 1 s instead of a timeout, and once the idle connections go the GET is served again.

Prints one line per case and 'N passed, N failed'.

Usage: python connection_flood_test.py SERVER BENCH
"""

import os
import resource
import socket
import subprocess
import sys
import tempfile
import time

from crash_test import free_port

IDLE = 1000
ANSWER_WITHIN = 1.0


def start(server, bench, soft, hard):
    database = os.path.join(tempfile.mkdtemp(), "flood.db")
    subprocess.run([bench, "seed", "--database", database, "--groups", "1"], check=True, capture_output=True)
    port = free_port()
    process = subprocess.Popen(
        [server, "--demo", "--database", database, "--listen", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard)))
    deadline = time.time() + 60
    while time.time() < deadline:
        if get(port)[0] is not None:
            return process, port
        time.sleep(0.05)
    raise RuntimeError("the server did not start")


def get(port, path="/healthz"):
    """One GET on a new connection: (status, seconds taken), status None when nothing answered within 5 s."""
    started = time.time()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
            head = sock.recv(4096).decode(errors="replace")
        status = int(head.split()[1]) if head.startswith("HTTP/1.1 ") else None
    except OSError:
        status = None
    return status, time.time() - started


def answered_503(sock):
    """Whether the server answered this (idle) connection 503 within 1 s."""
    sock.settimeout(ANSWER_WITHIN)
    try:
        head = sock.recv(4096).decode(errors="replace")
    except OSError:
        return False
    return head.startswith("HTTP/1.1 503") and "retry-after" in head.lower() and "SERVER.0503" in head


def flood(port):
    idle = []
    for _ in range(IDLE):
        idle.append(socket.create_connection(("127.0.0.1", port), timeout=5))
    time.sleep(0.5)
    return idle


def raised_case(server, bench, hard):
    process, port = start(server, bench, 1024, hard)
    try:
        idle = flood(port)
        status, took = get(port)
        for sock in idle:
            sock.close()
        print(f"soft 1,024 / hard {hard:,}: {IDLE:,} idle connections held, a GET answered {status} in {took:.3f} s")
        return status == 200 and took <= ANSWER_WITHIN
    finally:
        process.kill()
        process.wait()


def capped_case(server, bench):
    process, port = start(server, bench, 1024, 1024)
    try:
        idle = flood(port)
        refused = sum(1 for sock in idle[-50:] if answered_503(sock))
        status, took = get(port)
        for sock in idle:
            sock.close()
        time.sleep(0.5)
        after, after_took = get(port)
        print(f"soft = hard = 1,024: of the last 50 of {IDLE:,} idle connections {refused} were answered 503; a GET "
              f"answered {status} in {took:.3f} s at the cap, {after} in {after_took:.3f} s once the idle ones closed")
        return (refused == 50 and status == 503 and took <= ANSWER_WITHIN
                and after == 200 and after_took <= ANSWER_WITHIN)
    finally:
        process.kill()
        process.wait()


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    server, bench = sys.argv[1], sys.argv[2]
    # This process holds the flood's sockets itself.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
    server_hard = min(hard, 4096) if hard != resource.RLIM_INFINITY else 4096
    results = [raised_case(server, bench, server_hard), capped_case(server, bench)]
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
