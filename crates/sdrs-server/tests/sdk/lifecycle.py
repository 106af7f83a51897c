"""Drives the official Huawei Cloud SDRS Python SDK (huaweicloudsdksdrs, AK/SK-signed) through a whole protection-group
lifecycle against a running sdrs-server started with --demo. Prints 'N passed, 0 failed' and exits non-zero on a failure.

Usage: SDRS_ENDPOINT=http://127.0.0.1:PORT [SDRS_MIDWAY=COMMAND] python lifecycle.py
where COMMAND, when given, is a shell command run once right after the failover is accepted and before its job is
followed (scripts/sdk-test kills one of two replicas there).
"""

import json
import os
import subprocess
import sys
import time
import urllib.request

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdksdrs.v1 import *  # noqa: F401,F403 - the SDK's request and body classes

ENDPOINT = os.environ["SDRS_ENDPOINT"]
PROJECT = "5a1f0c3e2b7d4e6f8a9b0c1d2e3f4a5b"
AK, SK = "DEMOACCESSKEY0000001", "demo-secret-key-change-me"
DOMAIN, VPC = "fb4bb8e3-a574-4437-a156-78c916aeea4d", "046852ef-c49d-409b-8389-546aaaa5701f"

client = (
    SdrsClient.new_builder()
    .with_credentials(BasicCredentials(AK, SK, PROJECT))
    .with_endpoint(ENDPOINT)
    .build()
)
passed = 0


def check(condition, what):
    global passed
    if not condition:
        print(f"FAILED: {what}")
        print("0 passed, 1 failed" if passed == 0 else f"{passed} passed, 1 failed")
        sys.exit(1)
    passed += 1
    print(f"ok: {what}")


def wait(job_id, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        job = client.show_job_status(ShowJobStatusRequest(job_id=job_id))
        if job.status in ("SUCCESS", "FAIL"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish")


def admin(method, path, body=None):
    """The admin API (inventory) with the demo's admin token; not part of the SDK."""
    request = urllib.request.Request(
        f"{ENDPOINT}/admin/v1/{PROJECT}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"X-Admin-Token": "demo-admin-token-0000", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        return response.status


# Create a group.
created = client.create_protection_group(CreateProtectionGroupRequest(body=CreateProtectionGroupRequestBody(
    server_group=CreateProtectionGroupRequestParams(
        name="sdk-group", description="made by the official SDK", source_availability_zone="eu-de-01",
        target_availability_zone="eu-de-02", domain_id=DOMAIN, source_vpc_id=VPC, dr_type="migration"))))
job = wait(created.job_id)
check(job.status == "SUCCESS" and job.job_type == "createProtectionGroupNoCG", "create protection group job")
group_id = job.entities.server_group_id
group = client.show_protection_group(ShowProtectionGroupRequest(server_group_id=group_id)).server_group
check(group.status == "available" and group.priority_station == "source", "new group is available at source")

# Add an instance and a pair, attached.
job = wait(client.create_protected_instance(CreateProtectedInstanceRequest(body=CreateProtectedInstanceRequestBody(
    protected_instance=CreateProtectedInstanceRequestParams(
        server_group_id=group_id, server_id="srv-spare-01", name="spare-01")))).job_id)
check(job.status == "SUCCESS", "create protected instance job")
instance_id = job.entities.protected_instance_id
job = wait(client.create_replication(CreateReplicationRequest(body=CreateReplicationRequestBody(
    replication=CreateReplicationRequestParams(
        server_group_id=group_id, volume_id="srv-spare-01-sys", name="spare-01-system")))).job_id)
check(job.status == "SUCCESS", "create replication pair job")
pair_id = job.entities.replication_pair_id
pair = client.show_replication(ShowReplicationRequest(replication_id=pair_id)).replication
check(len(pair.volume_ids.split(",")) == 2, "volume_ids is one comma-separated string")
job = wait(client.attach_protected_instance_replication(AttachProtectedInstanceReplicationRequest(
    protected_instance_id=instance_id, body=ProtectedInstanceAttachReplicationRequestBody(
        replication_attachment=ProtectedInstanceAttachReplicationRequestParams(
            replication_id=pair_id, device="/dev/vda")))).job_id)
check(job.status == "SUCCESS", "attach replication pair job")

# Enable, fail over, poll.
job = wait(client.start_protection_group(StartProtectionGroupRequest(
    server_group_id=group_id, body=StartProtectionGroupRequestBody(start_server_group={}))).job_id)
check(job.job_type == "startProtectionGroupNoCG" and job.status == "SUCCESS", "enable protection")
submitted = client.start_failover_protection_group(StartFailoverProtectionGroupRequest(
    server_group_id=group_id, body=FailoverProtectionGroupRequestBody(failover_server_group={})))
check(len(submitted.job_id) == 32 and submitted.status_code == 200, "failover accepted with a job id")
if os.environ.get("SDRS_MIDWAY"):
    subprocess.run(os.environ["SDRS_MIDWAY"], shell=True, check=True)
    print(f"midway: ran {os.environ['SDRS_MIDWAY']}")
job = wait(submitted.job_id)
check(job.job_type == "failoverProtectionGroupNoCG" and job.status == "SUCCESS", "failover job succeeds")
group = client.show_protection_group(ShowProtectionGroupRequest(server_group_id=group_id)).server_group
check(group.status == "failed-over" and group.priority_station == "target", "group failed over to target")

# A second failover is refused in the documented envelope. It is sent in a later second: X-Sdk-Date has whole
# seconds and the SDK adds no nonce, so the same call within the same second is the same signed request, which
# sdrs-server carries out once and answers again with the first answer (replay protection, README "Security").
time.sleep(1.1)
try:
    client.start_failover_protection_group(StartFailoverProtectionGroupRequest(
        server_group_id=group_id, body=FailoverProtectionGroupRequestBody(failover_server_group={})))
    check(False, "second failover refused")
except ClientRequestException as error:
    check(error.status_code == 400 and error.error_code == "SDRS.1002" and error.request_id, "second failover refused with SDRS.1002")

# Re-protect.
job = wait(client.start_protection_group(StartProtectionGroupRequest(
    server_group_id=group_id, body=StartProtectionGroupRequestBody(start_server_group={}))).job_id)
check(job.job_type == "reprotectProtectionGroupNoCG" and job.status == "SUCCESS", "re-protect")

# Planned failover back: the current production server (B) must be stopped first.
instance = client.show_protected_instance(ShowProtectedInstanceRequest(protected_instance_id=instance_id)).protected_instance
check(admin("PATCH", f"/servers/{instance.target_server}", {"power_state": "stopped"}) == 200, "stop production server B")
job = wait(client.start_reverse_protection_group(StartReverseProtectionGroupRequest(
    server_group_id=group_id, body=ReverseProtectionGroupRequestBody(
        reverse_server_group=ReverseProtectionGroupRequestParams(priority_station="source")))).job_id)
check(job.job_type == "reverseProtectionGroupNoCG" and job.status == "SUCCESS", "planned failover back to source")
group = client.show_protection_group(ShowProtectionGroupRequest(server_group_id=group_id)).server_group
check(group.status == "protected" and group.priority_station == "source", "group protected at source again")

# Disable, then empty the group and delete it.
job = wait(client.stop_protection_group(StopProtectionGroupRequest(
    server_group_id=group_id, body=StopProtectionGroupRequestBody(stop_server_group={}))).job_id)
check(job.job_type == "stopProtectionGroupNoCG" and job.status == "SUCCESS", "disable protection")
job = wait(client.detach_protected_instance_replication(DetachProtectedInstanceReplicationRequest(
    protected_instance_id=instance_id, replication_id=pair_id)).job_id)
check(job.status == "SUCCESS", "detach")
job = wait(client.delete_replication(DeleteReplicationRequest(replication_id=pair_id, body=DeleteReplicationRequestBody(
    replication=DeleteReplicationRequestParams(server_group_id=group_id, delete_target_volume=True)))).job_id)
check(job.status == "SUCCESS", "delete replication pair (DELETE with a JSON body)")
job = wait(client.delete_protected_instance(DeleteProtectedInstanceRequest(
    protected_instance_id=instance_id, body=DeleteProtectedInstanceRequestBody(delete_target_server=True))).job_id)
check(job.status == "SUCCESS", "delete protected instance")
job = wait(client.delete_protection_group(DeleteProtectionGroupRequest(server_group_id=group_id)).job_id)
check(job.status == "SUCCESS", "delete protection group")
try:
    client.show_protection_group(ShowProtectionGroupRequest(server_group_id=group_id))
    check(False, "deleted group is gone")
except ClientRequestException as error:
    check(error.status_code == 400 and error.error_code == "SDRS.1013", "deleted group answers SDRS.1013")

listed = client.list_protection_groups(ListProtectionGroupsRequest(limit=2, offset=0, name="tier"))
check(listed.count == 6 and len(listed.server_groups) == 2, "list with a query string (signed) pages and counts")
print(f"{passed} passed, 0 failed")
