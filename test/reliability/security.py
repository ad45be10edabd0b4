#!/usr/bin/env python3
"""FM-42/43/44: authentication, authorisation and secrets.

Wrong keys, tenant A's credentials against tenant B, write keys on admin endpoints, the admin
token in the wrong place: 401/403 every time and nothing stored in the wrong account. Canary
secrets (admin token, write keys, api keys) are sent correctly and incorrectly many times; they
must never appear in the server's stderr or in any response body. CR/LF in client input never
reaches the log raw. Needs SPILLWAY_BIN. Prints `N passed, N failed`."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from spillway_proc import Checks, Server, basic  # noqa: E402

ADMIN = "canary-admin-7f3a9c1e5b2d4f6a8c0e"
KEY_A = "wk_canary_A_4b9e1f7c3a5d"
KEY_B = "wk_canary_B_8d2f6a0c4e1b"
WRONG = "wk_canary_WRONG_1a2b3c4d5e"


def main():
    c = Checks()
    srv = Server(admin_token=ADMIN)
    bodies = []

    def req(method, path, body=b"", headers=None):
        st, b, _ = srv.request(method, path, body, headers or {})
        bodies.append(b.decode(errors="replace"))
        return st, b

    try:
        a = srv.create_account("tenant-a", KEY_A)
        b = srv.create_account("tenant-b", KEY_B)
        secrets = [ADMIN, KEY_A, KEY_B, WRONG, a["api_key"], b["api_key"]]
        for name in ("tenant-a", "tenant-b"):  # keep events queued so they can be counted
            srv.admin("POST", f"/v1/accounts/{name}/pause")
        ev = lambda tag: json.dumps({"batch": [{"type": "track", "userId": "u", "event": tag}]})
        ct = {"Content-Type": "application/json"}

        st, _ = req("POST", "/v1/batch", ev("ok"), {**ct, "Authorization": basic(KEY_A)})
        c.check("FM-42 right key -> 200", st == 200, str(st))
        st, _ = req("POST", "/v1/batch", ev("x"), {**ct, "Authorization": basic(WRONG)})
        c.check("FM-42 wrong key -> 401", st == 401, str(st))
        st, _ = req("POST", "/v1/batch", ev("x"), ct)
        c.check("FM-42 no key -> 401", st == 401, str(st))
        st, _ = req("POST", "/v1/batch", json.dumps({"writeKey": WRONG, "batch": []}), ct)
        c.check("FM-42 wrong body writeKey -> 401", st == 401, str(st))
        # Tenant A's key cannot write into B: the account always comes from the key.
        st, _ = req("POST", "/v1/batch",
                    json.dumps({"writeKey": KEY_B, "batch": [{"type": "track", "userId": "u",
                                                             "event": "cross"}]}),
                    {**ct, "Authorization": basic(KEY_A)})
        c.check("FM-42 A's key + B's writeKey in the body -> stored in A only", st == 200, str(st))
        st, _ = req("POST", f"/api/v1/customers/c1/events", json.dumps({"name": "x"}),
                    {**ct, "Authorization": basic(b["site_id"], a["api_key"])})
        c.check("FM-42 B's site id with A's api key -> 401", st == 401, str(st))
        st, _ = req("POST", f"/api/v1/customers/c1/events", json.dumps({"name": "x"}),
                    {**ct, "Authorization": basic(a["site_id"], a["api_key"])})
        c.check("FM-42 A's site id + api key -> 200", st == 200, str(st))
        # Write keys and wrong tokens on admin endpoints.
        for path in ("/v1/drain/pause", "/v1/accounts/tenant-b/pause", "/v1/admin/accounts"):
            for auth in (basic(KEY_A), "Bearer " + KEY_A, "Bearer " + WRONG):
                st, _ = req("POST", path, json.dumps({"name": "evil", "write_key": "wk_evil_123456"}),
                            {**ct, "Authorization": auth})
                c.check(f"FM-42 {path} with {auth.split()[0]} non-admin credential -> 401/403",
                        st in (401, 403), str(st))
        for path in ("/v1/backlog", "/v1/accounts/tenant-b", "/v1/accounts/tenant-b/dead"):
            st, _ = req("GET", path, b"", {"Authorization": basic(KEY_A)})
            c.check(f"FM-42 GET {path} with a write key -> 401/403", st in (401, 403), str(st))
        st, _ = req("POST", "/v1/batch", ev("x"), {**ct, "Authorization": "Bearer " + ADMIN})
        c.check("FM-42 admin token as an ingest credential -> 401", st == 401, str(st))
        # Many bad keys: never a 2xx, never a 5xx.
        statuses = set()
        for i in range(300):
            st, _ = req("POST", "/v1/batch", ev("x"),
                        {**ct, "Authorization": basic(f"wk_guess_{i:06d}_abcdef")})
            statuses.add(st)
        c.check("FM-42 300 guessed keys -> only 401/429", statuses <= {401, 429}, str(statuses))
        # FM-43: CR/LF and spoofed addresses in client input.
        st, _ = req("POST", "/v1/batch", ev("x"),
                    {**ct, "Authorization": basic(WRONG), "X-Forwarded-For": "1.2.3.4",
                     "REMOTE_ADDR": "1.2.3.4", "User-Agent": "evil%0D%0Alevel=error msg=forged"})
        c.check("FM-43 spoof headers -> 401", st == 401, str(st))
        st, _ = req("GET", "/v1/accounts/x%0D%0Alevel=error%20msg=forged", b"",
                    {"Authorization": "Bearer " + ADMIN})
        c.check("FM-43 CR/LF in a path parameter refused", st in (400, 404), str(st))

        # Counts: A got its 3 events (batch, body-writeKey batch, Track API), B none.
        _, ba, _ = srv.admin("GET", "/v1/accounts/tenant-a")
        _, bb, _ = srv.admin("GET", "/v1/accounts/tenant-b")
        da, db = json.loads(ba).get("depth"), json.loads(bb).get("depth")
        c.check("FM-42 nothing stored in the wrong account", da == 3 and db == 0,
                f"tenant-a {da}, tenant-b {db}")
    finally:
        code = srv.stop()
    log = srv.log()
    c.check("clean shutdown", code == 0, str(code))
    leaks = [s for s in secrets if s in log]
    c.check("FM-44 no secret in the server log", not leaks, f"leaked: {leaks}" if leaks else
            f"{len(log.splitlines())} log lines checked")
    leaks = [s for s in secrets if any(s in body for body in bodies)]
    c.check("FM-44 no secret in any response body", not leaks,
            f"leaked: {leaks}" if leaks else f"{len(bodies)} bodies checked")
    forged = [l for l in log.splitlines() if l.startswith("level=error msg=forged") or
              ("msg=forged" in l and not l.startswith("ts="))]
    c.check("FM-43 no forged log line from CR/LF in client input", not forged, str(forged[:2]))
    return c.summary()


if __name__ == "__main__":
    sys.exit(main())
