#!/usr/bin/env python3
"""A Fleetward out-of-process driver in Python, standard library only.

It speaks the driver protocol (docs/driver-protocol.openapi.yaml) for a small in-memory fleet, so it is
both a starting point for a driver of your own back end (replace the `Backend` class with calls to your
device-management service or CMDB) and the proof, run by Fleetward's tests, that the protocol is
language-neutral: `fleetward driver conformance` passes against it, and `fleetward run --driver remote`
keeps its fleet up to date.

    python3 driver.py --token-file TOKEN [--port 8090] [--host 127.0.0.1] [--fleet FLEET.json] [--sandbox]

--sandbox serves /v1/test/scenario and /v1/test/advance: the conformance kit sets up a known fleet and moves
time with them. Never enable it in front of a real back end. The first line printed is
`listening on http://HOST:PORT` (with --port 0, the port the system chose).
"""
import argparse
import json
import re
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

PROTOCOL = "fleetward.dev/driver/v1"
COMPONENTS = ["teamsClient", "firmware", "adminAgent", "companyPortal", "operatingSystem", "partnerAgent"]
VERSION_RE = re.compile(r"^\d+(\.\d+)*$")
MAC_RE = re.compile(r"^[0-9A-F]{2}(-[0-9A-F]{2}){5}$")
VERIFIER_RE = re.compile(r"^scrypt\$\d{1,7}\$\d{1,2}\$\d{1,2}\$[A-Za-z0-9_-]{16,64}\$[A-Za-z0-9_-]{32,128}$")
INSTALL_MS = 20 * 60_000
DIAGNOSTICS_MS = 5 * 60_000
MAX_BODY = 1 << 20


def iso(ms):
    return datetime.fromtimestamp(ms / 1000, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text):
    try:
        return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)
    except (AttributeError, ValueError):
        return None


def version_key(v):
    return [int(p) for p in v.split(".")]


class ProtocolError(Exception):
    """An answer other than 2xx: status, error code, message, and extra body fields."""

    def __init__(self, status, code, message, **extra):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


class Backend:
    """The device back end. Everything is derived from `now` when asked, so time can jump (sandbox)."""

    def __init__(self, fleet, failing=(), queue_ms=60_000, start_ms=None):
        self.devices = {d["id"]: json.loads(json.dumps(d)) for d in fleet.get("devices", [])}
        self.releases = json.loads(json.dumps(fleet.get("releases", [])))
        self.failing = set(failing)
        self.queue_ms = queue_ms
        self.ops = []  # oldest first; each a dict with the public operation under "op"
        self.provisioning = {}  # MAC -> record (+ codeHash, kept private)
        self.start_ms = start_ms
        self.offset_ms = 0
        self.seq = 0

    def now(self):
        # The sandbox's time stands still between advances; otherwise it is the wall clock.
        return self.start_ms + self.offset_ms if self.start_ms is not None else int(time.time() * 1000)

    # ---- time passes ------------------------------------------------------------------------------
    def settle(self):
        now = self.now()
        for s in self.ops:
            op = s["op"]
            if op["status"] == "queued":
                deadline = s.get("start_by_ms")
                if deadline is not None and deadline < s["ready_at"] and now >= deadline:
                    op["status"] = "cancelled"
                    op["completedAt"] = iso(deadline)
                    op["error"] = {"code": "WindowMissed", "message": f"the update had not started when its maintenance window ended at {op['startBy']}: cancelled, to be planned again for the next window"}
                    continue
                if now >= s["ready_at"]:
                    op["status"] = "inProgress"
                    op["startedAt"] = iso(s["ready_at"])
            if op["status"] == "inProgress" and now >= s["done_at"]:
                op["completedAt"] = iso(s["done_at"])
                if op["operationType"] == "softwareUpdate" and op["deviceId"] in self.failing:
                    op["status"] = "failed"
                    op["error"] = {"code": "InstallFailed", "message": f"{op['component']} {op['toVersion']} failed to install on {op['deviceId']}"}
                else:
                    op["status"] = "successful"
                    if op["operationType"] == "softwareUpdate":
                        self.devices[op["deviceId"]]["software"][op["component"]] = op["toVersion"]

    def device(self, device_id):
        d = self.devices.get(device_id)
        if d is None:
            raise ProtocolError(404, "DeviceNotFound", f"no device {device_id!r}")
        return d

    def in_flight(self, device_id, kind):
        for s in self.ops:
            op = s["op"]
            if op["deviceId"] == device_id and op["operationType"] == kind and op["status"] in ("queued", "scheduled", "inProgress"):
                return op
        return None

    def new_op(self, device_id, kind, duration_ms, **fields):
        self.seq += 1
        now = self.now()
        op = {"id": f"op-{self.seq:06d}", "deviceId": device_id, "operationType": kind, "status": "queued", "createdAt": iso(now), **fields}
        s = {"op": op, "ready_at": now + self.queue_ms, "done_at": now + self.queue_ms + duration_ms}
        self.ops.append(s)
        return s

    # ---- the protocol's operations ------------------------------------------------------------------
    def refusal(self, d, component, version):
        maker, model = d["manufacturer"], d["model"]
        for_model = [r for r in self.releases if r["component"] == component
                     and (not r.get("manufacturer") or r["manufacturer"].lower() == maker.lower())
                     and (not r.get("models") or model in r["models"])]
        release = next((r for r in for_model if r["version"] == version), None)
        if release and release.get("blocked"):
            return "VersionBlocked", f"{component} {version} is blocked for {maker} {model}: {release['blocked']['reason']}"
        if release is None:
            offered = sorted((r["version"] for r in for_model if not r.get("blocked")), key=version_key)[-5:]
            listed = f"released versions: {', '.join(offered)}" if offered else "no version of it is released for this model"
            return "VersionNotReleased", f"{component} {version} is not released for {maker} {model}; {listed}"
        current = d["software"].get(component)
        if current and VERSION_RE.match(current) and version_key(version) < version_key(current):
            return "DowngradeRefused", f"{component} {version} is older than the installed {current} on {d['id']}: updates never downgrade"
        return None

    def start_update(self, device_id, body):
        d = self.device(device_id)
        component, version, start_by = body.get("component"), body.get("version"), body.get("startBy")
        if component not in COMPONENTS:
            raise ProtocolError(400, "InvalidRequest", f"unknown component {component!r}; valid components are {', '.join(COMPONENTS)}")
        if not isinstance(version, str) or not VERSION_RE.match(version):
            raise ProtocolError(400, "InvalidRequest", f"version {version!r} is not a version such as 1.0.96.22")
        start_by_ms = None
        if start_by is not None:
            start_by_ms = parse_iso(start_by) if isinstance(start_by, str) else None
            if start_by_ms is None:
                raise ProtocolError(400, "InvalidRequest", f"startBy {start_by!r} is not an ISO date-time")
        refused = self.refusal(d, component, version)
        if refused:
            raise ProtocolError(400, refused[0], refused[1])
        busy = self.in_flight(device_id, "softwareUpdate")
        if busy:
            raise ProtocolError(409, "AlreadyInFlight", f"a software update is already queued or running on {device_id}", operation=busy)
        extra = {"component": component, "fromVersion": d["software"].get(component), "toVersion": version}
        if extra["fromVersion"] is None:
            del extra["fromVersion"]
        if body.get("forced"):
            extra["forced"] = True
        if start_by is not None:
            extra["startBy"] = start_by
        s = self.new_op(device_id, "softwareUpdate", INSTALL_MS, **extra)
        if start_by_ms is not None:
            s["start_by_ms"] = start_by_ms
        return s["op"]

    def run_diagnostics(self, device_id):
        self.device(device_id)
        running = self.in_flight(device_id, "deviceDiagnostics")
        if running:
            return running
        s = self.new_op(device_id, "deviceDiagnostics", DIAGNOSTICS_MS)
        s["op"]["logsUrl"] = f"/v1/operations/{s['op']['id']}/logs"
        return s["op"]

    def operation(self, device_id, op_id):
        self.device(device_id)
        for s in self.ops:
            if s["op"]["id"] == op_id and s["op"]["deviceId"] == device_id:
                return s
        raise ProtocolError(404, "OperationNotFound", f"device {device_id} has no operation {op_id}")

    def cancel(self, device_id, op_id):
        s = self.operation(device_id, op_id)
        op = s["op"]
        if op["status"] == "cancelled":
            return op
        if op["status"] != "queued":
            raise ProtocolError(409, "NotCancellable", f"operation {op_id} is {op['status']}: only a queued operation can be cancelled", operation=op)
        op["status"] = "cancelled"
        op["completedAt"] = iso(self.now())
        op["error"] = {"code": "CancelledByRequest", "message": "cancelled before it started"}
        return op

    def logs(self, op_id):
        for s in self.ops:
            op = s["op"]
            if op["id"] == op_id and op["operationType"] == "deviceDiagnostics":
                d = self.devices[op["deviceId"]]
                lines = [f"diagnostics {op_id} of {d['id']} ({d['manufacturer']} {d['model']}), {op['status']}"]
                lines += [f"{c} {v}" for c, v in sorted(d["software"].items())]
                return "\n".join(lines) + "\n"
        raise ProtocolError(404, "OperationNotFound", f"no diagnostics operation {op_id}")

    # ---- provisioning (seed 004): code verifiers only, never codes ---------------------------------
    def public_record(self, r):
        return {k: v for k, v in r.items() if k != "codeHash"}

    def register(self, mac, body):
        if not MAC_RE.match(mac):
            raise ProtocolError(400, "InvalidRequest", f"{mac!r} is not a MAC address such as AA-BB-CC-DD-EE-FF")
        if not isinstance(body.get("codeHash"), str) or not VERIFIER_RE.match(body["codeHash"]):
            raise ProtocolError(400, "InvalidRequest", "codeHash is not a code verifier (scrypt$N$r$p$salt$hash)")
        if not isinstance(body.get("codeExpiresAt"), str) or parse_iso(body["codeExpiresAt"]) is None:
            raise ProtocolError(400, "InvalidRequest", "codeExpiresAt is not an ISO date-time")
        r = self.provisioning.get(mac)
        if r and r["state"] != "AwaitingActivation":
            if "location" in body:
                r["location"] = body["location"]
        else:
            r = {"macAddress": mac, "state": "AwaitingActivation", "codeHash": body["codeHash"], "codeExpiresAt": body["codeExpiresAt"]}
            if "location" in body:
                r["location"] = body["location"]
            self.provisioning[mac] = r
        return self.public_record(r)

    def sign_in(self, mac, user):
        r = self.provisioning.get(mac)
        if r is None:
            raise ProtocolError(409, "UnknownDevice", f"{mac} is not registered for provisioning")
        if r["state"] != "AwaitingSignIn":
            raise ProtocolError(409, "NotAwaitingSignIn", f"{mac} is {r['state']}, not AwaitingSignIn", record=self.public_record(r))
        r["state"], r["user"] = "SignedIn", user
        return self.public_record(r)


def page(items, query, key):
    try:
        size = min(max(int(query.get("pageSize", ["100"])[0]), 1), 1000)
        offset = int(query.get("pageToken", ["0"])[0])
    except ValueError:
        raise ProtocolError(400, "InvalidRequest", "pageSize and pageToken must be the numbers this driver hands out")
    body = {key: items[offset:offset + size]}
    if offset + size < len(items):
        body["nextPageToken"] = str(offset + size)
    return body


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Fleetward's client expects
    server_version = "fleetward-python-driver/1"

    def log_message(self, *args):  # quiet: tests read stdout for the address only
        pass

    def answer(self, status, body=None, content_type="application/json", headers=None):
        data = b"" if body is None else (body.encode() if isinstance(body, str) else json.dumps(body).encode())
        self.send_response(status)
        if data:
            self.send_header("Content-Type", content_type)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self, method):
        app = self.server.app
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if 0 < length <= MAX_BODY else b""
        if length > MAX_BODY:
            return self.answer(413, {"error": {"code": "RequestEntityTooLarge", "message": "bodies are at most 1 MiB"}})
        if self.headers.get("Authorization") != f"Bearer {app.token}":
            return self.answer(401, {"error": {"code": "Unauthorized", "message": "missing or wrong bearer token"}})
        key = (method, self.path, self.headers.get("Client-Request-Id")) if method == "POST" and self.headers.get("Client-Request-Id") else None
        with app.lock:
            if key and key in app.answered:
                return self.answer(*app.answered[key])
            try:
                body = json.loads(raw) if raw else {}
                if not isinstance(body, dict):
                    raise ValueError
            except ValueError:
                return self.answer(400, {"error": {"code": "InvalidRequest", "message": "the body is not a JSON object"}})
            try:
                status, out, ctype = self.route(app, method, body)
            except ProtocolError as e:
                status, out, ctype = e.status, {"error": {"code": e.code, "message": e.message}, **e.extra}, "application/json"
            if key:
                app.answered[key] = (status, out, ctype)
            return self.answer(status, out, ctype)

    def route(self, app, method, body):
        url = urlsplit(self.path)
        parts = [unquote(p) for p in url.path.strip("/").split("/")]
        query = parse_qs(url.query)
        json_ = "application/json"
        if parts[:2] == ["v1", "test"] and app.sandbox:
            if method == "POST" and parts[2:] == ["scenario"]:
                now = parse_iso(body["now"]) if isinstance(body.get("now"), str) else None
                now = now if now is not None else int(time.time() * 1000)
                app.backend = Backend(body.get("fleet", {}), body.get("failing", []), int(body.get("queueMs", 60_000)), start_ms=now)
                app.answered.clear()
                return 200, {"now": iso(app.backend.now())}, json_
            if method == "POST" and parts[2:] == ["advance"]:
                app.backend.offset_ms += max(0, int(body.get("ms", 0)))
                return 200, {"now": iso(app.backend.now())}, json_
        b = app.backend
        b.settle()
        if method == "GET" and parts == ["v1", "driver"]:
            return 200, {"protocol": PROTOCOL, "name": app.name, "capabilities": {"cancel": True, "startDeadline": True, "provisioning": True, "test": app.sandbox}}, json_
        if method == "GET" and parts == ["v1", "devices"]:
            return 200, page(list(b.devices.values()), query, "devices"), json_
        if method == "GET" and parts == ["v1", "releases"]:
            return 200, {"releases": b.releases}, json_
        if method == "GET" and parts == ["v1", "operations"]:
            ops = [s["op"] for s in b.ops]
            if "deviceId" in query:
                b.device(query["deviceId"][0])
                ops = [o for o in ops if o["deviceId"] == query["deviceId"][0]]
            return 200, page(ops, query, "operations"), json_
        if len(parts) == 4 and parts[:2] == ["v1", "operations"] and parts[3] == "logs" and method == "GET":
            return 200, b.logs(parts[2]), "text/plain; charset=utf-8"
        if len(parts) >= 4 and parts[:2] == ["v1", "devices"]:
            device_id, rest = parts[2], parts[3:]
            if method == "POST" and rest == ["updates"]:
                return 202, b.start_update(device_id, body), json_
            if method == "POST" and rest == ["diagnostics"]:
                return 202, b.run_diagnostics(device_id), json_
            if method == "GET" and len(rest) == 2 and rest[0] == "operations":
                return 200, b.operation(device_id, rest[1])["op"], json_
            if method == "POST" and len(rest) == 3 and rest[0] == "operations" and rest[2] == "cancel":
                return 200, b.cancel(device_id, rest[1]), json_
        if parts[:3] == ["v1", "provisioning", "devices"]:
            if method == "GET" and len(parts) == 3:
                return 200, page([b.public_record(b.provisioning[m]) for m in sorted(b.provisioning)], query, "devices"), json_
            if len(parts) == 4 and method == "PUT":
                return 200, b.register(parts[3], body), json_
            if len(parts) == 4 and method == "DELETE":
                b.provisioning.pop(parts[3], None)
                return 204, None, json_
            if len(parts) == 5 and parts[4] == "signIn" and method == "POST":
                return 200, b.sign_in(parts[3], body.get("user")), json_
        raise ProtocolError(404, "NotFound", f"no route {method} {url.path}")

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_DELETE(self):
        self.handle_any("DELETE")


class App:
    def __init__(self, token, backend, sandbox, name):
        self.token, self.backend, self.sandbox, self.name = token, backend, sandbox, name
        self.lock = threading.Lock()
        self.answered = {}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8090)
    ap.add_argument("--token-file", required=True, help="file holding the bearer token clients must send")
    ap.add_argument("--fleet", help="JSON file {devices: [...], releases: [...]} to start from")
    ap.add_argument("--sandbox", action="store_true", help="serve /v1/test/* (conformance kit); never in front of a real back end")
    ap.add_argument("--name", default="python-example")
    args = ap.parse_args()
    with open(args.token_file, encoding="utf-8") as f:
        token = f.read().strip()
    if not token:
        sys.exit(f"{args.token_file}: empty token")
    fleet = {"devices": [], "releases": []}
    if args.fleet:
        with open(args.fleet, encoding="utf-8") as f:
            fleet = json.load(f)
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    server.app = App(token, Backend(fleet), args.sandbox, args.name)
    print(f"listening on http://{args.host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
