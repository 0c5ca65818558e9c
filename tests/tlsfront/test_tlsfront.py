"""Tests of scripts/cloud/tlsfront.py against plain TCP backends made here (stdlib only).

Each test starts the front as a subprocess on free ports, with keys and certificates made by
the openssl CLI, and talks TLS to it through ssl.SSLObject over memory BIOs, so the client can
half-close (close_notify, or a bare FIN) exactly as it wants. Runs under pytest (scripts/test.sh)
or `python3 -m unittest tests/tlsfront/test_tlsfront.py`.
"""

import hashlib
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import warnings
from pathlib import Path

FRONT = Path(__file__).resolve().parents[2] / "scripts" / "cloud" / "tlsfront.py"
MiB = 1024 * 1024


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_pki(d):
    """ca.pem, server.pem (127.0.0.1), client-ca.pem, client.pem, other.pem (another CA)."""
    ext = Path(d, "ext.cnf")
    ext.write_text(
        "[ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n"
        "[server]\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
        "[client]\nextendedKeyUsage=clientAuth\n"
    )
    for name in ("ca", "client-ca", "other-ca"):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", f"{name}-key.pem", "-out", f"{name}.pem", "-days", "2", "-subj", f"/CN={name}",
                "-addext", "keyUsage=critical,keyCertSign", cwd=d)
    for name, ca, section in (("server", "ca", "server"), ("client", "client-ca", "client"),
                              ("other", "other-ca", "client")):
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", f"{name}-key.pem", "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=d)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}-key.pem",
                "-set_serial", str(int.from_bytes(os.urandom(8), "big")), "-days", "2",
                "-extfile", "ext.cnf", "-extensions", section, "-out", f"{name}.pem", cwd=d)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Backend:
    """A plain TCP server on 127.0.0.1 that runs `handler(conn)` per connection, in a thread."""

    def __init__(self, handler):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.handler = handler
        self.errors = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn):
        try:
            with conn:
                self.handler(conn)
        except Exception as error:  # reported by the test that checks self.errors
            self.errors.append(error)

    def close(self):
        self.sock.close()


def read_all(conn):
    digest, n = hashlib.sha256(), 0
    while chunk := conn.recv(1 << 20):
        digest.update(chunk)
        n += len(chunk)
    return n, digest.hexdigest()


class TlsClient:
    """TLS over a blocking socket through memory BIOs: sends and half-closes at will."""

    def __init__(self, port, cafile, cert=None, key=None):
        ctx = ssl.create_default_context(cafile=cafile)
        if cert:
            ctx.load_cert_chain(cert, key)
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = ctx.wrap_bio(self.inc, self.out, server_hostname="127.0.0.1")
        self.tcp_eof = False
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._flush()
                self._fill()
            except ssl.SSLError:
                self._flush()  # the alert, as a real client sends it
                raise
        self._flush()

    def _flush(self):
        data = self.out.read()
        if data:
            self.sock.sendall(data)

    def _fill(self):
        data = self.sock.recv(1 << 18)
        if data:
            self.inc.write(data)
        else:
            self.tcp_eof = True
            self.inc.write_eof()

    def send(self, data):
        view = memoryview(data)
        for i in range(0, len(view), 1 << 18):
            self.tls.write(view[i:i + (1 << 18)])
            self._flush()

    def close_notify(self):
        try:
            self.tls.unwrap()
        except ssl.SSLWantReadError:
            pass
        self._flush()

    def shutdown_write(self):
        self.sock.shutdown(socket.SHUT_WR)

    def recv(self):
        """Next plaintext; b"" at close_notify. Raises on TCP EOF without close_notify."""
        while True:
            try:
                return self.tls.read(1 << 18)
            except ssl.SSLWantReadError:
                self._fill()
            except ssl.SSLZeroReturnError:
                return b""

    def recv_all(self):
        chunks = []
        while chunk := self.recv():
            chunks.append(chunk)
        return b"".join(chunks)

    def close(self):
        self.sock.close()


class FrontTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.d = Path(cls.tmp.name)
        make_pki(cls.d)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def setUp(self):
        self.procs, self.backends = [], []

    def tearDown(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        for backend in self.backends:
            backend.close()

    def f(self, name):
        return str(self.d / name)

    def backend(self, handler):
        backend = Backend(handler)
        self.backends.append(backend)
        return backend

    def front(self, target_port, client_ca=None, extra=()):
        port = free_port()
        spec = f"127.0.0.1:{port},127.0.0.1:{target_port},{self.f('server.pem')},{self.f('server-key.pem')}"
        if client_ca:
            spec += "," + self.f(client_ca)
        self.pidfile = self.d / f"front-{port}.pid"
        self.log = self.d / f"front-{port}.log"
        proc = subprocess.Popen([sys.executable, str(FRONT), "--front", spec, *extra,
                                 "--pidfile", str(self.pidfile), "--log", str(self.log)])
        self.procs.append(proc)
        for _ in range(100):
            if self.pidfile.exists():
                return port, proc
            self.assertIsNone(proc.poll(), "the front exited at start")
            time.sleep(0.05)
        self.fail("no pidfile after 5 s")

    def client(self, port, **kw):
        return TlsClient(port, self.f("ca.pem"), **kw)

    def log_text(self):
        return self.log.read_text()

    def peak_rss_mib(self, proc):
        for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmHWM")

    # --- the tests ---

    def test_request_then_close_notify_still_gets_the_answer(self):
        def handler(conn):
            n, digest = read_all(conn)  # until the FIN the front passes on
            conn.sendall(f"{n} {digest}".encode())

        port, _ = self.front(self.backend(handler).port)
        data = os.urandom(3 * MiB + 17)
        c = self.client(port)
        self.assertIn(c.tls.version(), ("TLSv1.2", "TLSv1.3"))
        self.assertEqual(c.tls.selected_alpn_protocol(), None)  # this client offered none
        c.send(data)
        c.close_notify()
        self.assertEqual(c.recv_all().decode(), f"{len(data)} {hashlib.sha256(data).hexdigest()}")
        c.close()

    def test_bare_fin_without_close_notify_is_a_half_close_too(self):
        def handler(conn):
            n, _ = read_all(conn)
            conn.sendall(b"got %d" % n)

        port, _ = self.front(self.backend(handler).port)
        c = self.client(port)
        c.send(b"x" * 100000)
        c.shutdown_write()
        self.assertEqual(c.recv_all(), b"got 100000")
        c.close()

    def test_backend_closing_first_gives_close_notify_after_all_its_bytes(self):
        answer = os.urandom(5 * MiB)

        def handler(conn):
            conn.recv(100)  # the request (unread bytes would make the kernel send a reset)
            conn.sendall(answer)
            # and close, while the client has not half-closed

        port, _ = self.front(self.backend(handler).port)
        c = self.client(port)
        c.send(b"ignored request")
        self.assertEqual(c.recv_all(), answer)  # recv_all ends at close_notify, not at a bare EOF
        c.close()

    def test_upload_of_256_mib_to_a_slow_reader_keeps_memory_bounded(self):
        received = {}

        def handler(conn):
            time.sleep(2)  # the front must stop reading from the client meanwhile
            received["n"], received["digest"] = read_all(conn)
            conn.sendall(b"done")

        port, proc = self.front(self.backend(handler).port)
        c = self.client(port)
        block = os.urandom(MiB)
        digest = hashlib.sha256()
        start = time.monotonic()
        for _ in range(256):
            c.send(block)
            digest.update(block)
        c.close_notify()
        self.assertEqual(c.recv_all(), b"done")
        elapsed = time.monotonic() - start
        self.assertEqual(received, {"n": 256 * MiB, "digest": digest.hexdigest()})
        peak = self.peak_rss_mib(proc)
        print(f"\n  256 MiB upload through the front in {elapsed:.1f} s (2 s of it stalled); front peak RSS {peak:.0f} MiB")
        self.assertLess(peak, 120, "the front buffered the stalled upload instead of pausing")
        c.close()

    def test_download_of_256_mib_to_a_slow_client_keeps_memory_bounded(self):
        block = os.urandom(MiB)

        def handler(conn):
            for _ in range(256):
                conn.sendall(block)

        port, proc = self.front(self.backend(handler).port)
        c = self.client(port)
        time.sleep(2)  # the front must stop reading from the backend meanwhile
        n = 0
        while chunk := c.recv():
            n += len(chunk)
        self.assertEqual(n, 256 * MiB)
        self.assertLess(self.peak_rss_mib(proc), 120)
        c.close()

    def test_client_certificate_required(self):
        port, _ = self.front(self.backend(lambda conn: conn.sendall(b"hello mtls")).port, client_ca="client-ca.pem")
        c = self.client(port, cert=self.f("client.pem"), key=self.f("client-key.pem"))
        self.assertEqual(c.recv_all(), b"hello mtls")
        c.close()
        for kw, reason in (({}, "PEER_DID_NOT_RETURN_A_CERTIFICATE"),
                           ({"cert": self.f("other.pem"), "key": self.f("other-key.pem")}, "client certificate rejected")):
            with self.assertRaises((ssl.SSLError, ConnectionError)):
                # TLS 1.3: the client's handshake completes; the refusal comes as an alert.
                c = self.client(port, **kw)
                c.recv_all()
            for _ in range(50):
                if reason in self.log_text():
                    break
                time.sleep(0.05)
            self.assertIn(reason, self.log_text())

    def test_a_refused_client_reads_the_alert_not_a_reset(self):
        # TLS 1.3: the client's handshake completes before the server checks its certificate,
        # so it sends its request after the refusal. Had the server closed, its kernel would
        # answer with a reset and the client's next write would fail (broken pipe) before it
        # ever read the alert that says why.
        port, _ = self.front(self.backend(lambda conn: None).port, client_ca="client-ca.pem")
        for _ in range(3):
            c = self.client(port)
            time.sleep(0.2)  # the server has refused by now; the request comes after that,
            c.send(b"POST /v3/auth/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n")
            time.sleep(0.2)
            c.send(b"{}")  # in two writes, as requests sends headers and body
            with self.assertRaises(ssl.SSLError) as refused:
                c.recv_all()
            self.assertEqual(refused.exception.reason, "TLSV13_ALERT_CERTIFICATE_REQUIRED")
            c.close()

    def test_untrusted_client_is_logged_with_the_reason(self):
        port, _ = self.front(self.backend(lambda conn: None).port)
        with self.assertRaises(ssl.SSLCertVerificationError):
            TlsClient(port, self.f("other-ca.pem"))
        for _ in range(50):
            if "handshake failed" in self.log_text():
                break
            time.sleep(0.05)
        self.assertRegex(self.log_text(), r"handshake failed: \[SSL: TLSV1_ALERT_UNKNOWN_CA\]")

    def test_unreachable_target_ends_the_connection_cleanly(self):
        port, _ = self.front(free_port())
        c = self.client(port)
        c.send(b"GET / HTTP/1.1\r\n\r\n")
        self.assertEqual(c.recv_all(), b"")  # close_notify, not a reset
        c.close()
        time.sleep(0.2)
        self.assertIn("unreachable", self.log_text())

    def test_sigterm_with_open_connections_exits_0_and_removes_the_pidfile(self):
        port, proc = self.front(self.backend(lambda conn: time.sleep(30)).port)
        c = self.client(port)
        c.send(b"hanging")
        time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(timeout=5), 0)
        self.assertFalse(self.pidfile.exists())
        self.assertIn("stopped", self.log_text())
        c.close()

    def test_listens_only_on_127_0_0_1(self):
        for spec in ("0.0.0.0:4443,127.0.0.1:1,a,b", "[::1]:4443,127.0.0.1:1,a,b"):
            run = subprocess.run([sys.executable, str(FRONT), "--front", spec], capture_output=True, text=True)
            self.assertEqual(run.returncode, 2, run.stderr)
            self.assertIn("only ever listens on 127.0.0.1", run.stderr)

    def test_listen_group_form_and_tls_1_2_floor(self):
        port = free_port()
        backend = self.backend(lambda conn: conn.sendall(b"group form"))
        pidfile = self.d / "group.pid"
        proc = subprocess.Popen([sys.executable, str(FRONT), "--listen", f"127.0.0.1:{port}", "--to", str(backend.port),
                                 "--cert", self.f("server.pem"), "--key", self.f("server-key.pem"),
                                 "--pidfile", str(pidfile), "--log", str(self.d / "group.log")])
        self.procs.append(proc)
        for _ in range(100):
            if pidfile.exists():
                break
            time.sleep(0.05)
        c = self.client(port)
        self.assertEqual(c.recv_all(), b"group form")
        c.close()
        # A TLS 1.1 client is refused by the server whatever the client's OpenSSL would allow.
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(self.f("ca.pem"))
        with warnings.catch_warnings():  # TLSv1_1 is deprecated: that is the point
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        ctx.set_ciphers("ALL:@SECLEVEL=0")
        with socket.create_connection(("127.0.0.1", port)) as raw:
            with self.assertRaises(ssl.SSLError):
                ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        time.sleep(0.2)
        # The server's refusal (a client that refused by itself would not get this far).
        self.assertIn("UNSUPPORTED_PROTOCOL", (self.d / "group.log").read_text())


if __name__ == "__main__":
    unittest.main()
