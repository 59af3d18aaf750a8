"""The simulator: one HTTPS listener per region, the request handler that speaks
Bedrock Runtime, and a plain-HTTP control endpoint on loopback.

Threads: one accept loop per listener, one thread per connection, one
supervisor that opens and closes listeners as ``down`` windows begin and end.
All are daemon threads that ``Simulator.stop`` joins (bounded).
"""

import datetime
import http.server
import json
import os
import random
import socket
import socketserver
import struct
import sys
import threading
import time
import uuid
from collections import Counter

from . import eventstream, identity, tls, wire
from .auth import Authenticator, AuthError
from .catalog import Catalog
from .control_plane import ControlPlane
from .faults import FaultTable, QuotaBook
from .wire import MESSAGES, ApiError
from .world import WorldError, parse_faults, parse_latency, parse_profile_destinations

HANDSHAKE_TIMEOUT_S = 10
IDLE_TIMEOUT_S = 60
MAX_BODY_BYTES = 25 * 1024 * 1024
JOIN_TIMEOUT_S = 5
SUPERVISOR_TICK_S = 0.05
ACCEPT_POLL_S = 0.05
REGION_HEADER = "x-edgeroute-sim-region"

#: Fault kinds answered with a modelled error: (error type, message key).
ERROR_FAULTS = {
    "throttling": ("ThrottlingException", "too_many_requests"),
    "unavailable": ("ServiceUnavailableException", "unavailable"),
    "internal": ("InternalServerException", "internal"),
    "model_not_ready": ("ModelNotReadyException", "model_not_ready"),
    "model_timeout": ("ModelTimeoutException", "model_timeout"),
}


class Simulator:
    """Owns the listeners, shared state and threads of one simulator run."""

    def __init__(self, world, state_dir: str, plain_http: bool = False):
        self.world = world
        self.state_dir = os.path.abspath(state_dir)
        self.plain_http = plain_http
        self.wire = wire.ServiceWire()
        self.auth = Authenticator(world)
        self.catalog = Catalog(world)
        self.control_plane = ControlPlane(world)
        self.faults = FaultTable(world.regions, world.seed)
        self.quotas = QuotaBook(world.regions)
        self.stopping = threading.Event()
        self.request_counts = Counter()
        self._jitter = random.Random(world.seed)
        # region name -> [latency_ms, jitter_ms]; POST /latency changes them at run time.
        self._latency = {r.name: [r.latency_ms, r.jitter_ms] for r in world.regions}
        self._lock = threading.Lock()
        self._listener_lock = threading.Lock()
        self._threads = set()
        self._connections = {}  # open socket -> region name (None: control endpoint)
        self._serving = {}  # region name -> (listener, accept thread)
        self._ports = {}
        self._tls_contexts = {}
        self._control = None
        self._supervisor = None
        self._t0 = time.monotonic()
        self._ready_file = os.path.join(self.state_dir, "ready.json")
        self._log_file = None
        self.identity = None  # identity.Identity when the world has an identity section
        self._identity_listeners = {}  # "iot" / "container" -> _Listener
        self._iot_contexts = {}

    # -- life cycle ---------------------------------------------------------

    def start(self, control_port: int = 0) -> dict:
        """Open every listener, write ready.json, and return its content."""
        os.makedirs(self.state_dir, exist_ok=True)
        if os.path.exists(self._ready_file):
            os.remove(self._ready_file)
        self._log_file = open(os.path.join(self.state_dir, "requests.jsonl"), "a", encoding="utf-8")
        ca_file = None
        if not self.plain_http:
            ca = tls.create_ca(self.state_dir)
            ca_file = ca[0]
            for region in self.world.regions:
                self._tls_contexts[region.name] = tls.create_server_context(
                    self.state_dir, ca, region.hostname, region.host, (region.control_hostname,))
        for region in self.world.regions:
            self._ports[region.name] = region.port
            self._open_listener(region, reopening=False)
        self._control = _Listener(("127.0.0.1", control_port), ControlHandler, self)
        self.spawn(self._control.serve_forever, ACCEPT_POLL_S)
        if self.world.identity is not None:
            self._start_identity(ca if not self.plain_http else None)

        self._t0 = time.monotonic()
        self.sync_listeners()
        self._supervisor = self.spawn(self._supervise)
        ready = self._ready_info(ca_file)
        tmp = self._ready_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(ready, f, indent=2)
        os.replace(tmp, self._ready_file)
        return ready

    def stop(self) -> None:
        """Close listeners and connections, join threads, remove ready.json."""
        self.stopping.set()
        if self._supervisor is not None:
            self._supervisor.join(JOIN_TIMEOUT_S)
        with self._listener_lock:
            for name in list(self._serving):
                self._close_listener(name)
        if self._control is not None:
            self._control.shutdown()
            self._control.server_close()
        for listener in self._identity_listeners.values():
            listener.shutdown()
            listener.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            _shutdown_socket(connection)
        deadline = time.monotonic() + JOIN_TIMEOUT_S
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        if self._log_file is not None:
            with self._lock:
                self._log_file.close()
        if os.path.exists(self._ready_file):
            os.remove(self._ready_file)

    def _ready_info(self, ca_file) -> dict:
        scheme = "http" if self.plain_http else "https"
        regions = {}
        for region in self.world.regions:
            port = self._ports[region.name]
            regions[region.name] = {"host": region.host, "port": port, "hostname": region.hostname,
                                    "control_hostname": region.control_hostname,
                                    "endpoint": f"{scheme}://{region.host}:{port}"}
        control_host, control_port = self._control.server_address[:2]
        return {
            "pid": os.getpid(),
            "started_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "scheme": scheme,
            "regions": regions,
            "ca_file": ca_file,
            "credentials": sorted(self.world.credentials),
            "control": {"host": control_host, "port": control_port,
                        "url": f"http://{control_host}:{control_port}"},
            "requests_log": os.path.join(self.state_dir, "requests.jsonl"),
            **({"identity": self._identity_info()} if self.identity is not None else {}),
        }

    # -- the identity side ----------------------------------------------------

    def _start_identity(self, server_ca) -> None:
        """The IoT credentials endpoint (mutual TLS), IAM Roles Anywhere (HTTPS, when
        the world has ``identity.rolesanywhere``) and the container credentials
        endpoint (plain HTTP, as on 169.254.170.2), all on loopback."""
        self.identity = identity.Identity(self.world, self.world.identity, self.state_dir)
        if server_ca is not None:
            self._iot_contexts = self.identity.setup_pki(server_ca)
            iot = _Listener(("127.0.0.1", 0), IdentityHandler, self, None, self._iot_contexts["normal"])
            iot.kind = "iot"
            self._identity_listeners["iot"] = iot
            self.spawn(iot.serve_forever, ACCEPT_POLL_S)
        ra = self.world.identity.rolesanywhere
        if server_ca is not None and ra is not None:
            context = tls.create_server_context(self.state_dir, server_ca, f"rolesanywhere.{ra.region}.amazonaws.com",
                                                "127.0.0.1")
            listener = _Listener(("127.0.0.1", 0), IdentityHandler, self, None, context)
            listener.kind = "rolesanywhere"
            self._identity_listeners["rolesanywhere"] = listener
            self.spawn(listener.serve_forever, ACCEPT_POLL_S)
        container = _Listener(("127.0.0.1", 0), IdentityHandler, self)
        container.kind = "container"
        self._identity_listeners["container"] = container
        self.spawn(container.serve_forever, ACCEPT_POLL_S)

    def _identity_info(self) -> dict:
        info = {}
        iot = self._identity_listeners.get("iot")
        if iot is not None:
            info["iot"] = {"endpoint": f"https://127.0.0.1:{iot.server_address[1]}",
                           "hostname": identity.IOT_HOSTNAME, "device_ca": self.identity.device_ca,
                           "role_aliases": sorted(self.world.identity.role_aliases),
                           "devices": self.identity.device_files, "rogue_device": self.identity.rogue_files}
        ra_listener = self._identity_listeners.get("rolesanywhere")
        if ra_listener is not None:
            ra = self.world.identity.rolesanywhere
            info["rolesanywhere"] = {"endpoint": f"https://127.0.0.1:{ra_listener.server_address[1]}",
                                     "hostname": f"rolesanywhere.{ra.region}.amazonaws.com", "region": ra.region,
                                     "trust_anchor_arn": ra.trust_anchor_arn, "profile_arn": ra.profile_arn,
                                     "role_arns": sorted(ra.role_arns), "trust_anchor_ca": self.identity.device_ca,
                                     "devices": self.identity.device_files,
                                     "rogue_device": self.identity.rogue_files}
        container = self._identity_listeners["container"]
        info["container"] = {"full_uri": f"http://127.0.0.1:{container.server_address[1]}/v2/credentials"}
        return info

    def control_identity(self, request) -> dict:
        """POST /identity: take an endpoint down, refuse certificates, change the duration."""
        state = self.identity.control(request)
        iot = self._identity_listeners.get("iot")
        if iot is not None:
            iot.tls_context = self._iot_contexts["refusing" if self.identity.refuse_certificates else "normal"]
        # Kept-alive connections would carry on as before: the change applies to every
        # request from now on.
        with self._lock:
            doomed = [c for c, name in self._connections.items() if name and name.startswith("identity:")]
        for connection in doomed:
            _shutdown_socket(connection)
        return state

    def identity_admits(self, kind: str) -> bool:
        return not getattr(self.identity, f"{kind}_down")

    # -- threads and time ---------------------------------------------------

    def now_s(self) -> float:
        """Seconds since the simulator became ready (the fault-schedule clock)."""
        return time.monotonic() - self._t0

    def spawn(self, target, *args) -> threading.Thread:
        """Start a tracked daemon thread (joined by stop)."""
        def run():
            try:
                target(*args)
            finally:
                with self._lock:
                    self._threads.discard(threading.current_thread())
        thread = threading.Thread(target=run, daemon=True)
        with self._lock:
            self._threads.add(thread)
        thread.start()
        return thread

    def pause(self, seconds: float) -> None:
        """Sleep, but return at once when the simulator stops."""
        if seconds > 0:
            self.stopping.wait(seconds)

    def region_delay_s(self, region) -> float:
        """One delay of the region's current latency plus jitter: before each TLS
        handshake and before the first byte of every answer (an API call, or an
        unauthenticated probe such as GET /, alike)."""
        with self._lock:
            latency_ms, jitter_ms = self._latency[region.name]
            extra_ms = self._jitter.uniform(0, jitter_ms) if jitter_ms else 0.0
        return (latency_ms + extra_ms) / 1000.0

    def set_latency(self, region_name: str, latency_ms: float, jitter_ms=None) -> dict:
        """Change a region's delay for every later handshake and answer; a
        ``jitter_ms`` of None keeps the current jitter."""
        with self._lock:
            current = self._latency[region_name]
            current[0] = latency_ms
            if jitter_ms is not None:
                current[1] = jitter_ms
            return {"latency_ms": current[0], "jitter_ms": current[1]}

    def track(self, connection, region_name) -> None:
        with self._lock:
            self._connections[connection] = region_name

    def untrack(self, connection) -> None:
        with self._lock:
            self._connections.pop(connection, None)

    # -- listeners and the down fault ---------------------------------------

    def _supervise(self) -> None:
        while not self.stopping.wait(SUPERVISOR_TICK_S):
            self.sync_listeners()

    def sync_listeners(self) -> None:
        """Close the listener of each region inside a ``down`` window (and drop its
        open connections); reopen it, on the same port, when the window ends."""
        with self._listener_lock:
            if self.stopping.is_set():
                return
            now_s = self.now_s()
            for region in self.world.regions:
                down = self.faults.is_down(region.name, now_s)
                if down and region.name in self._serving:
                    self._close_listener(region.name)
                    with self._lock:
                        doomed = [c for c, name in self._connections.items() if name == region.name]
                    for connection in doomed:
                        _shutdown_socket(connection)
                elif not down and region.name not in self._serving:
                    self._open_listener(region, reopening=True)

    def _open_listener(self, region, reopening: bool) -> None:
        """Listen for a region; at start-up a failure is fatal, when reopening after
        a ``down`` window it is reported and retried on the next tick."""
        try:
            listener = _Listener((region.host, self._ports[region.name]), RegionHandler, self,
                                 region, self._tls_contexts.get(region.name))
        except OSError as e:
            if not reopening:
                raise
            print(f"bedrock_sim: {region.name}: cannot listen again on port {self._ports[region.name]}: "
                  f"{e.strerror}; retrying", file=sys.stderr)
            return
        self._ports[region.name] = listener.server_address[1]
        self._serving[region.name] = (listener, self.spawn(listener.serve_forever, ACCEPT_POLL_S))

    def _close_listener(self, name: str) -> None:
        listener, thread = self._serving.pop(name)
        listener.shutdown()
        listener.server_close()
        thread.join(JOIN_TIMEOUT_S)

    def status(self) -> dict:
        """What GET /status on the control endpoint reports."""
        with self._listener_lock:
            listening = set(self._serving)
        with self._lock:
            counts = dict(self.request_counts)
            latency = {name: tuple(value) for name, value in self._latency.items()}
        return {"now_s": round(self.now_s(), 3),
                "regions": {r.name: {"listening": r.name in listening, "requests": counts.get(r.name, 0),
                                     "latency_ms": latency[r.name][0], "jitter_ms": latency[r.name][1]}
                            for r in self.world.regions}}

    # -- the request log ----------------------------------------------------

    def log_request(self, record: dict) -> None:
        """Append one line to requests.jsonl. Records never hold secrets, tokens or signatures."""
        line = json.dumps(record, separators=(",", ":"))
        with self._lock:
            self.request_counts[record["region"]] += 1
            if not self._log_file.closed:
                self._log_file.write(line + "\n")
                self._log_file.flush()


class _Listener(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """A listening socket whose connections each get a tracked thread. TLS is
    negotiated in that thread (after one region delay, standing in for the
    handshake round trip), so a slow client never blocks accepting."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, address, handler_class, simulator, region=None, tls_context=None):
        self.simulator = simulator
        self.region = region
        self.tls_context = tls_context
        super().__init__(address, handler_class)

    def server_bind(self):
        socketserver.TCPServer.server_bind(self)  # skips HTTPServer's reverse DNS lookup
        self.server_name, self.server_port = self.server_address[:2]

    def process_request(self, request, client_address):
        self.simulator.spawn(self._serve_connection, request, client_address)

    def _serve_connection(self, sock, client_address):
        connection = sock
        handler = None
        try:
            kind = getattr(self, "kind", None)
            if kind is not None and not self.simulator.identity_admits(kind):
                # "Down": the connection is dropped before a byte is exchanged.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.close()
                return
            if self.tls_context is not None:
                connection = self.tls_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
            # Tracked before the handshake, so that stop() can interrupt it.
            self.simulator.track(connection, self.region.name if self.region else (
                f"identity:{kind}" if kind is not None else None))
            if self.tls_context is not None and self.region is not None:
                self.simulator.pause(self.simulator.region_delay_s(self.region))
            if self.tls_context is not None:
                connection.settimeout(HANDSHAKE_TIMEOUT_S)
                connection.do_handshake()
            handler = self.RequestHandlerClass(connection, client_address, self)
        except OSError:
            pass  # handshake failed or the peer went away: nothing to answer
        finally:
            self.simulator.untrack(connection)
            if handler is not None and getattr(handler, "reset_on_close", False):
                connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                _shutdown_socket(connection, socket.SHUT_WR)
            connection.close()


def _shutdown_socket(connection, how=socket.SHUT_RDWR) -> None:
    try:
        connection.shutdown(how)
    except OSError:
        pass


class _BaseHandler(http.server.BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive, no Server header, no stderr access log."""

    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT_S

    def log_message(self, format, *args):  # noqa: A002 (signature fixed by the base class)
        pass

    def send_response(self, code, message=None):
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    def _read_body(self) -> bytes:
        """The request body (Content-Length or chunked); raises ValueError if it is too large or malformed."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass  # trailers
                    return body
                if len(body) + size > MAX_BODY_BYTES:
                    raise ValueError("request body too large")
                body += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 <= length <= MAX_BODY_BYTES:
            raise ValueError("request body too large")
        return self.rfile.read(length)

    def _send_json(self, status: int, payload, headers=()) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class RegionHandler(_BaseHandler):
    """Answers Bedrock Runtime requests for one region."""

    reset_on_close = False

    def do_POST(self):
        self._serve()

    do_GET = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_POST

    def _serve(self):
        sim, region = self.server.simulator, self.server.region
        started = time.monotonic()
        self._delay_s = sim.region_delay_s(region)
        self._request_id = str(uuid.uuid4())
        self._served_region = region.name
        record = {
            "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds"),
            "region": region.name, "operation": None, "identifier": None, "served_region": None,
            "status": None, "error_type": None, "fault": None, "auth": None, "access_key_id": None,
            "account_id": None, "signature_verified": False, "request_id": self._request_id,
        }
        try:
            if sim.faults.is_down(region.name, sim.now_s()):
                record["fault"] = "down"
                self._reset()
                return
            self._answer(sim, region, record)
        except OSError:
            self.close_connection = True  # the client went away mid-response
        finally:
            record["latency_ms"] = round(self._delay_s * 1000, 1)
            record["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
            sim.log_request(record)

    def _answer(self, sim, region, record):
        try:
            body = self._read_body()
        except ValueError:
            self.close_connection = True
            self._send_error(record, ApiError("ValidationException",
                                              MESSAGES["malformed"].format(detail="unreadable request body")))
            return
        raw_path, _, raw_query = self.path.partition("?")
        control = sim.control_plane.route(self.command, raw_path)
        if control is not None:
            self._answer_control_plane(sim, region, record, control, raw_query, body)
            return
        route = sim.wire.route(self.command, raw_path)
        try:
            if route is None:
                raise ApiError("UnknownOperationException", None)
            record["operation"], record["identifier"] = route.operation, route.identifier
            identity = sim.auth.authenticate(region.name, self.command, self.path, self.headers, body)
            self._note_identity(record, identity)
            model_id, served_region, profile_id = sim.catalog.resolve(region.name, route.identifier)
            request, input_tokens = self._parse_request(sim, route.operation, body)
            streaming = route.operation in wire.STREAMING_OPERATIONS
            fault = sim.faults.pick(region.name, sim.now_s(), streaming)
            record["fault"] = fault.kind if fault else None
            if fault is not None and fault.kind in ERROR_FAULTS:
                error_type, message_key = ERROR_FAULTS[fault.kind]
                retry_after = getattr(fault, "retry_after_ms", None)
                raise ApiError(error_type, MESSAGES[message_key],
                               headers=[("x-amz-retry-after", str(retry_after))] if retry_after is not None else [])
            if route.operation != "CountTokens":
                exhausted = sim.quotas.admit(region.name, identity.account_id,
                                             input_tokens + _max_output_tokens(request), sim.now_s())
                if exhausted:
                    record["fault"] = f"quota_{exhausted}"
                    raise ApiError("ThrottlingException", MESSAGES[f"too_many_{exhausted}"])
        except AuthError as e:
            self._note_identity(record, e.identity)
            self._send_error(record, e, namespace=wire.AUTH_ERROR_NAMESPACE)
            return
        except ApiError as e:
            self._send_error(record, e)
            return

        self._served_region = record["served_region"] = served_region
        answer = wire.make_answer(served_region, region.name, profile_id, model_id, input_tokens,
                                  round(self._delay_s * 1000))
        record["status"] = 200
        if route.operation in ("ConverseStream", "InvokeModelWithResponseStream"):
            events = (wire.converse_stream_events(sim.wire, answer) if route.operation == "ConverseStream"
                      else wire.invoke_stream_events(sim.wire, answer))
            extra = [("X-Amzn-Bedrock-Content-Type", "application/json")] \
                if route.operation == "InvokeModelWithResponseStream" else []
            self._send_stream(sim, region, events, fault, record, extra)
            return
        if route.operation == "Converse":
            payload, extra = wire.converse_body(sim.wire, answer), []
        elif route.operation == "CountTokens":
            payload, extra = wire.count_tokens_body(sim.wire, input_tokens), []
        else:
            payload = wire.anthropic_message(answer)
            extra = [("X-Amzn-Bedrock-Input-Token-Count", str(answer.input_tokens)),
                     ("X-Amzn-Bedrock-Output-Token-Count", str(answer.output_tokens)),
                     ("X-Amzn-Bedrock-Invocation-Latency", str(answer.latency_ms))]
        if fault is not None and fault.kind == "stall":
            sim.pause(fault.stall_s)
        self._send_body(200, "application/json", json.dumps(payload).encode(), extra,
                        reset_midway=fault is not None and fault.kind == "reset")

    def _answer_control_plane(self, sim, region, record, route, raw_query, body):
        """ListInferenceProfiles / GetInferenceProfile (the ``bedrock`` control
        plane, host bedrock.REGION.amazonaws.com), on the region's listener: the
        paths never overlap Bedrock Runtime's. Signed for service ``bedrock`` like
        runtime calls; of the faults, only errors the operation models apply."""
        record["operation"], record["identifier"] = route.operation, route.identifier or None
        try:
            identity = sim.auth.authenticate(region.name, self.command, self.path, self.headers, body)
            self._note_identity(record, identity)
            fault = sim.faults.pick(region.name, sim.now_s(), False)
            if fault is not None and fault.kind in ERROR_FAULTS:
                error_type, message_key = ERROR_FAULTS[fault.kind]
                if error_type in sim.control_plane.errors_of(route.operation):
                    record["fault"] = fault.kind
                    raise ApiError(error_type, MESSAGES[message_key])
            payload = sim.control_plane.answer(route, region.name, identity.account_id, raw_query)
        except AuthError as e:
            self._note_identity(record, e.identity)
            self._send_error(record, e, namespace=wire.AUTH_ERROR_NAMESPACE)
            return
        except ApiError as e:
            self._send_error(record, e, status=sim.control_plane.error_status[e.error_type])
            return
        record["status"] = 200
        self._send_body(200, "application/json", json.dumps(payload).encode())

    @staticmethod
    def _note_identity(record, identity):
        if identity is not None:
            record.update(auth=identity.scheme, access_key_id=identity.access_key_id,
                          account_id=identity.account_id, signature_verified=identity.verified)

    @staticmethod
    def _parse_request(sim, operation, body):
        """Decode and check the request; returns (request JSON, input tokens)."""
        request = wire.parse_json_body(body)
        if operation in ("Converse", "ConverseStream"):
            wire.check_converse_request(sim.wire, operation, request)
        elif operation == "CountTokens":
            return request, wire.count_input_tokens(wire.check_count_tokens_request(request))
        else:
            wire.check_invoke_request(request)
        return request, wire.count_input_tokens(request)

    # -- writing responses --------------------------------------------------

    def _send_head(self, status: int, headers) -> None:
        """Status line and headers, after the region's latency (applied before the first byte)."""
        self.server.simulator.pause(self._delay_s)
        self.send_response(status)
        self.send_header("x-amzn-RequestId", self._request_id)
        self.send_header(REGION_HEADER, self._served_region)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()

    def _send_body(self, status, content_type, body, extra=(), reset_midway=False):
        self._send_head(status, [("Content-Type", content_type), ("Content-Length", str(len(body))), *extra])
        if self.command == "HEAD":
            return
        if reset_midway:
            self.wfile.write(body[:len(body) // 2])
            self._reset()
            return
        self.wfile.write(body)

    def _send_error(self, record, error, namespace=wire.ERROR_NAMESPACE, status=None):
        status = status if status is not None else 403 if isinstance(error, AuthError) else (
            404 if error.error_type == "UnknownOperationException" else self.server.simulator.wire.status_of(
                error.error_type))
        record.update(status=status, error_type=error.error_type)
        body = json.dumps({"message": error.message}).encode()
        self._send_body(status, "application/json", body,
                        [("x-amzn-ErrorType", f"{error.error_type}:{namespace}"), *getattr(error, "headers", [])])

    def _send_stream(self, sim, region, events, fault, record, extra):
        """Send the events as chunked transfer encoding, placing a stream fault
        before the delta number ``fault.after_deltas`` (counting from 0)."""
        self._send_head(200, [("Content-Type", wire.EVENTSTREAM_CONTENT_TYPE),
                              ("Transfer-Encoding", "chunked"), *extra])
        delta_positions = [i for i, event in enumerate(events) if event.is_delta]
        fault_at = None
        if fault is not None:
            after = fault.after_deltas
            fault_at = delta_positions[after] if after < len(delta_positions) else delta_positions[-1] + 1
        for index, event in enumerate(events):
            frame = event.frame
            if index == fault_at:
                frame = self._stream_fault(sim, record, fault, frame)
                if frame is None:
                    return
            self._write_chunk(frame)
            if event.is_delta:
                sim.pause(region.delta_interval_ms / 1000.0)
        self._write_chunk(b"")

    def _stream_fault(self, sim, record, fault, frame):
        """Apply a mid-stream fault; returns the frame to send next, or None when
        the response ends here."""
        if fault.kind == "stall":
            sim.pause(fault.stall_s)
            return frame
        if fault.kind == "corrupt_crc":
            return eventstream.corrupt_message_crc(frame)
        if fault.kind == "midstream_throttle":
            name = sim.wire.stream_event_name(record["operation"], "ThrottlingException")
            record["error_type"] = name
            self._write_chunk(eventstream.exception_message(name, MESSAGES["too_many_requests"]))
            self._write_chunk(b"")
            return None
        if fault.kind == "truncated_stream":
            self._write_chunk(frame[:len(frame) // 2])
            self.close_connection = True  # ends without the final chunk
            return None
        self._reset()  # "reset"
        return None

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def _reset(self) -> None:
        """Drop the connection with a TCP reset once this handler returns."""
        self.reset_on_close = True
        self.close_connection = True


def _max_output_tokens(request: dict) -> int:
    """What Bedrock reserves against the tokens-per-minute quota for the answer."""
    limit = request.get("max_tokens")
    if limit is None:
        limit = (request.get("inferenceConfig") or {}).get("maxTokens")
    return limit if isinstance(limit, int) and limit > 0 else 0


class IdentityHandler(_BaseHandler):
    """The IoT credentials endpoint, IAM Roles Anywhere or the container credentials endpoint."""

    def do_POST(self):
        if self.server.kind != "rolesanywhere":
            self.send_error(501, "Unsupported method ('POST')")
            return
        self._create_session()

    def _create_session(self):
        """IAM Roles Anywhere: POST /sessions (any other method or path: 404)."""
        sim = self.server.simulator
        record = {"time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds"),
                  "region": "identity:rolesanywhere", "operation": "CreateSession", "status": None,
                  "access_key_id": None, "account_id": None}
        try:
            try:
                body = self._read_body()
            except ValueError:
                self.close_connection = True
                record["status"] = 400
                self._send_json(400, {"message": "unreadable request body"},
                                [("x-amzn-ErrorType", "ValidationException")])
                return
            status, payload, fields, headers = identity.rolesanywhere_answer(
                sim.identity, self.command, self.path, self.headers, body)
            record.update(fields, status=status)
            self._send_json(status, payload, [("x-amzn-RequestId", str(uuid.uuid4())), *headers])
        finally:
            sim.log_request(record)

    def do_GET(self):
        sim, kind = self.server.simulator, self.server.kind
        if kind == "rolesanywhere":
            self._create_session()
            return
        record = {"time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds"),
                  "region": f"identity:{kind}", "operation": None, "status": None, "access_key_id": None,
                  "account_id": None}
        try:
            if kind == "iot":
                record["operation"] = "GetCredentialsForRoleAlias"
                parts = self.path.split("?")[0].split("/")
                thing = self.headers.get("x-amzn-iot-thingname")
                record["thing_name"] = thing
                if len(parts) != 4 or parts[1] != "role-aliases" or parts[3] != "credentials":
                    status, payload, fields = 404, {"message": "Not Found"}, {}
                else:
                    record["role_alias"] = parts[2]
                    client_cn = identity.peer_common_name(self.connection)
                    record["client_certificate"] = client_cn
                    status, payload, fields = identity.iot_answer(sim.identity, parts[2], thing, client_cn)
            else:
                record["operation"] = "ContainerCredentials"
                status, payload, fields = identity.container_answer(sim.identity, self.headers.get("Authorization"))
            record.update(fields, status=status)
            self._send_json(status, payload)
        finally:
            sim.log_request(record)


class ControlHandler(_BaseHandler):
    """GET /status, GET /faults, POST /faults {"region": R, "faults": [...]},
    POST /latency {"region": R, "latency_ms": N, "jitter_ms": M},
    POST /profiles {"id": P, "destination_regions": [...]}."""

    def do_GET(self):
        sim = self.server.simulator
        if self.path == "/status":
            self._send_json(200, sim.status())
        elif self.path == "/faults":
            self._send_json(200, {"now_s": round(sim.now_s(), 3), "faults": sim.faults.snapshot()})
        else:
            self._send_json(404, {"message": "unknown path; try GET /status, GET /faults, POST /faults, "
                                             "POST /latency"})

    def do_POST(self):
        sim = self.server.simulator
        if self.path == "/identity" and sim.identity is not None:
            try:
                state = sim.control_identity(json.loads(self._read_body() or b"null"))
            except (ValueError, WorldError) as e:
                self._send_json(400, {"message": str(e)})
                return
            self._send_json(200, state)
            return
        if self.path == "/profiles":
            try:
                profile = parse_profile_destinations(json.loads(self._read_body() or b"null"), sim.world.profiles)
            except (ValueError, WorldError) as e:
                self._send_json(400, {"message": str(e)})
                return
            # One assignment: the data and control planes share this dict and see
            # either the old profile or the new one.
            sim.world.profiles[profile.id] = profile
            self._send_json(200, {"now_s": round(sim.now_s(), 3), "id": profile.id,
                                  "destination_regions": list(profile.destination_regions)})
            return
        if self.path not in ("/faults", "/latency"):
            self._send_json(404, {"message": "unknown path; try POST /faults, POST /latency, POST /profiles"})
            return
        try:
            request = json.loads(self._read_body() or b"null")
            regions = {r.name for r in sim.world.regions}
            if self.path == "/latency":
                region, latency_ms, jitter_ms = parse_latency(request, regions)
            else:
                if not isinstance(request, dict) or set(request) != {"region", "faults"}:
                    raise WorldError('expected {"region": NAME, "faults": [...]}')
                region = request["region"]
                if region not in regions:
                    raise WorldError(f"region: no region {region!r} in this world")
                faults = parse_faults(request["faults"], "faults")
        except (ValueError, WorldError) as e:
            self._send_json(400, {"message": str(e)})
            return
        if self.path == "/latency":
            self._send_json(200, {"now_s": round(sim.now_s(), 3), "region": region,
                                  **sim.set_latency(region, latency_ms, jitter_ms)})
            return
        sim.faults.replace(region, faults)
        sim.sync_listeners()
        self._send_json(200, {"now_s": round(sim.now_s(), 3), "region": region,
                              "faults": [f.to_json() for f in faults]})
