"""Signs requests with botocore's SigV4Auth, for the cross-check in Tests/AWSTests.

Reads a JSON array of requests on stdin:
  {"method", "url" (scheme://host[:port]/path, path as on the wire, no query),
   "query": [[name, value], ...] (not encoded), "headers": [[name, value], ...],
   "body": hex, "accessKey", "secretKey", "token"?, "region", "service", "timestamp" (YYYYMMDDTHHMMSSZ)}
and writes a JSON array of {"authorization", "canonicalRequest"} in the same order.
"""
import json
import sys

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials


def sign(case):
    request = AWSRequest(method=case["method"], url=case["url"], data=bytes.fromhex(case["body"]))
    request.params = [(name, value) for name, value in case["query"]]
    request.headers = HTTPHeaders()
    for name, value in case["headers"]:
        request.headers[name] = value  # HTTPHeaders keeps repeated names
    auth = SigV4Auth(Credentials(case["accessKey"], case["secretKey"], case.get("token")), case["service"], case["region"])
    # add_auth() with the clock fixed: the same steps, with the case's timestamp.
    request.context["timestamp"] = case["timestamp"]
    auth._modify_request_before_signing(request)
    canonical_request = auth.canonical_request(request)
    string_to_sign = auth.string_to_sign(request, canonical_request)
    signature = auth.signature(string_to_sign, request)
    auth._inject_signature_to_request(request, signature)
    return {"authorization": request.headers["Authorization"], "canonicalRequest": canonical_request}


json.dump([sign(case) for case in json.load(sys.stdin)], sys.stdout)
