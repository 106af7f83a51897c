"""Signing vectors between the official SDK's signer (huaweicloudsdkcore 3.1.219) and sdrs-auth, both directions.

  python vectors.py generate > tests/data/sdk-vectors.json   # requests signed by the SDK; Rust verifies them
  python vectors.py verify RUST_VECTORS.json                 # requests signed by Rust; the SDK's algorithm re-signs
"""

import json
import sys
from urllib.parse import quote, unquote

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

AK, SK, DATE = "VECTORAK0000000001", "vector-secret-key", "20261128T024849Z"
P = "0123456789abcdef0123456789abcdef"
PATH_UNICODE = "/v1/%s/protected-instances/i1/tags/%s" % (P, quote("保护 key/x", safe=""))

CASES = [
    ("GET", "/v1/%s/server-groups" % P, [("limit", 10), ("name", "a b+c&d=e"), ("status", "protected")], None, {}),
    ("GET", "/v1/%s/server-groups" % P, [("name", "保护组"), ("name", "alpha")], None, {}),
    ("POST", "/v1/%s/server-groups/g1/action" % P, [], '{"failover-server-group": {}}', {}),
    ("DELETE", "/v1/%s/server-groups/g1" % P, [], None, {}),
    ("DELETE", "/v1/%s/protected-instances/i1" % P, [], '{"delete_target_server": true}', {}),
    ("PUT", "/v1/%s/server-groups/g1" % P, [], '{"server_group": {"name": "保护组-2"}}', {}),
    ("GET", PATH_UNICODE, [], None, {}),
    ("GET", "/", [], None, {}),
    ("GET", "/v1", [], None, {}),
    ("GET", "/v1/%s/jobs/j1" % P, [], None, {"X-Auth-Token": "token-value"}),
    # A body that is neither JSON nor BSON: the SDK signs `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD` instead of its hash.
    ("POST", "/v1/%s/server-groups/g1/action" % P, [], "raw bytes", {"Content-Type": "application/octet-stream"}),
]


def sdk_sign(method, path, query_params, body, extra_headers):
    headers = {"Content-Type": "application/json;charset=utf-8", "X-Project-Id": P, "X-Sdk-Date": DATE}
    headers.update(extra_headers)
    request = SdkRequest(method=method, schema="http", host="127.0.0.1:8080", resource_path=path, uri=path,
                         query_params=list(query_params), header_params=headers,
                         body=body.encode() if body is not None else None)
    Signer(BasicCredentials(AK, SK, P)).sign(request)
    return request


def generate():
    vectors = []
    for method, path, query, body, extra in CASES:
        request = sdk_sign(method, path, query, body, extra)
        raw_query = request.uri.split("?", 1)[1] if "?" in request.uri else ""
        vectors.append({"method": method, "path": path, "query": raw_query,
                        "headers": sorted([k, str(v)] for k, v in request.header_params.items()),
                        "body": body or "", "ak": AK, "sk": SK, "sdk_date": DATE})
    json.dump({"generated_by": "huaweicloudsdkcore 3.1.219 Signer", "vectors": vectors}, sys.stdout,
              ensure_ascii=False, indent=1)


def verify(path):
    vectors = json.load(open(path))
    failed = 0
    for v in vectors:
        query = [tuple(unquote(part) for part in (pair.split("=", 1) + [""])[:2]) for pair in v["query"].split("&") if pair]
        headers = {k: val for k, val in v["headers"] if k.lower() != "authorization"}
        ours = next(val for k, val in v["headers"] if k.lower() == "authorization")
        request = SdkRequest(method=v["method"], schema="http", host=headers.get("host", "127.0.0.1:8080"),
                             resource_path=v["path"], uri=v["path"], query_params=query, header_params=headers,
                             body=v["body"].encode() if v["body"] else None)
        Signer(BasicCredentials(v["ak"], v["sk"], P)).sign(request)
        if request.header_params["Authorization"] != ours:
            failed += 1
            print("MISMATCH", v["method"], v["path"], v["query"], "\n  ours:", ours, "\n  sdk: ", request.header_params["Authorization"])
    print(f"{len(vectors) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    generate() if sys.argv[1] == "generate" else verify(sys.argv[2])
