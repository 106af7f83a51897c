"""Reads sdrs-server's servers and images with the official ECS and IMS Python SDKs (huaweicloudsdkecs,
huaweicloudsdkims 3.1.219, unchanged, AK/SK-signed), against a running sdrs-server started with --demo: the documents
parse into the SDKs' models with the fields the login rules read. Prints 'N passed, 0 failed'; exits non-zero on a
failure.

Usage: SDRS_ENDPOINT=http://127.0.0.1:PORT python cloud_reads.py
"""

import os
import sys

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkecs.v2 import EcsClient, ListServersDetailsRequest, ShowServerRequest
from huaweicloudsdkims.v2 import GlanceShowImageRequest, ImsClient, ListImagesRequest

ENDPOINT = os.environ["SDRS_ENDPOINT"]
PROJECT = "5a1f0c3e2b7d4e6f8a9b0c1d2e3f4a5b"
AK, SK = "DEMOACCESSKEY0000001", "demo-secret-key-change-me"

credentials = BasicCredentials(AK, SK, PROJECT)
ecs = EcsClient.new_builder().with_credentials(credentials).with_endpoint(ENDPOINT).build()
ims = ImsClient.new_builder().with_credentials(credentials).with_endpoint(ENDPOINT).build()
passed = 0


def check(condition, what):
    global passed
    if not condition:
        print(f"FAILED: {what}")
        print(f"{passed} passed, 1 failed")
        sys.exit(1)
    passed += 1
    print(f"ok: {what}")


def refused(call):
    try:
        call()
    except ClientRequestException as error:
        return error
    return None


# ShowServer: the facts the login rules read.
web01 = ecs.show_server(ShowServerRequest(server_id="srv-web-01")).server
check(web01.id == "srv-web-01" and web01.name == "web-01", "ShowServer: id and name")
check(web01.status in ("ACTIVE", "SHUTOFF"), f"ShowServer: status {web01.status}")
check(web01.metadata.get("os_type") == "Windows", "ShowServer: metadata.os_type")
check(not web01.key_name, "ShowServer: a password server has no key_name")
check(web01.os_ext_a_zavailability_zone == "eu-de-01", "ShowServer: OS-EXT-AZ:availability_zone")
check(web01.image.id and web01.metadata.get("image_name"), "ShowServer: image.id and metadata.image_name")
web02 = ecs.show_server(ShowServerRequest(server_id="srv-web-02")).server
check(web02.key_name == "KeyPair-web-02", "ShowServer: a key-pair server's key_name")

error = refused(lambda: ecs.show_server(ShowServerRequest(server_id="no-such-server")))
check(error is not None and error.status_code == 404 and error.error_code == "Ecs.0114", "ShowServer: 404 Ecs.0114")

# ListServersDetails: paging by page number, filters.
everything = ecs.list_servers_details(ListServersDetailsRequest(limit=1000))
check(everything.count == len(everything.servers) and everything.count > 4, f"ListServersDetails: {everything.count}")
first = ecs.list_servers_details(ListServersDetailsRequest(limit=2, offset=1))
second = ecs.list_servers_details(ListServersDetailsRequest(limit=2, offset=2))
check([s.id for s in first.servers] == [s.id for s in everything.servers[:2]], "ListServersDetails: page 1")
check([s.id for s in second.servers] == [s.id for s in everything.servers[2:4]], "ListServersDetails: page 2")
check(first.count == everything.count, "ListServersDetails: count is of every match")
named = ecs.list_servers_details(ListServersDetailsRequest(name="web-02"))
check(named.servers and all("web-02" in s.name for s in named.servers), "ListServersDetails: name filter")
stopped = ecs.list_servers_details(ListServersDetailsRequest(status="SHUTOFF"))
check(stopped.servers and all(s.status == "SHUTOFF" for s in stopped.servers), "ListServersDetails: status filter")
by_id = ecs.list_servers_details(ListServersDetailsRequest(server_id="srv-web-01,srv-db-01"))
check(sorted(s.id for s in by_id.servers) == ["srv-db-01", "srv-web-01"], "ListServersDetails: server_id filter")

# IMS: a public image tells its OS and that it is public; a private one its OS only.
public = ims.glance_show_image(GlanceShowImageRequest(image_id=web01.image.id))
check(public.imagetype == "gold" and public.os_type == "Windows", "GlanceShowImage: a public image")
check(public.platform == "Windows", "GlanceShowImage: __platform")
private = ims.glance_show_image(GlanceShowImageRequest(image_id=web02.image.id))
check(private.imagetype == "private" and private.visibility == "private", "GlanceShowImage: a private image")
error = refused(lambda: ims.glance_show_image(GlanceShowImageRequest(image_id="no-such-image")))
check(error is not None and error.status_code == 404 and error.error_code == "IMG.0027", "GlanceShowImage: 404")

gold = ims.list_images(ListImagesRequest(imagetype="gold", os_type="Linux"))
check(gold.images and all(i.imagetype == "gold" and i.os_type == "Linux" for i in gold.images), "ListImages: filters")
mine = ims.list_images(ListImagesRequest(imagetype="private", limit=2))
check(len(mine.images) == 2 and all(i.visibility == "private" for i in mine.images), "ListImages: private, limit")
after = ims.list_images(ListImagesRequest(imagetype="private", limit=2, marker=mine.images[1].id))
check(after.images and after.images[0].id not in [i.id for i in mine.images], "ListImages: marker")

# Signed with another secret: refused, as the real services refuse it.
wrong = (
    EcsClient.new_builder()
    .with_credentials(BasicCredentials(AK, "not-the-secret", PROJECT))
    .with_endpoint(ENDPOINT)
    .build()
)
error = refused(lambda: wrong.show_server(ShowServerRequest(server_id="srv-web-01")))
check(error is not None and error.status_code == 401, "a wrong signature is refused")

print(f"{passed} passed, 0 failed")
