#!/usr/bin/env python3
"""TLS-terminating TCP front for the local stack: Python's stdlib only (asyncio + ssl).

Each listener accepts TLS 1.2+ on 127.0.0.1, optionally requires a client certificate signed
by a given CA (mTLS), and pipes the decrypted bytes both ways to a plain TCP target. It works
below HTTP, so Keystone, Glance and Barbican see exactly the requests they see without it.

    tlsfront.py [--pidfile FILE] [--log FILE] LISTENER...

A listener is either one argument
    --front LISTEN,TARGET,CERT,KEY[,CLIENT_CA]
or a group that starts with --listen
    --listen LISTEN --to TARGET --cert CERT --key KEY [--client-ca CLIENT_CA]
LISTEN and TARGET are 127.0.0.1:PORT (or just PORT). LISTEN must be on 127.0.0.1.

Behaviour worth knowing:
- TLS runs on ssl.SSLObject over memory BIOs rather than asyncio's SSL transport, so each
  direction can end on its own: a client's close_notify (or bare TCP FIN) becomes a FIN to the
  target while the target's answer still flows back; the target's FIN becomes close_notify
  (+ FIN), and the client's remaining bytes are still read until it closes (no RST that could
  eat the tail of the answer). Once one direction has ended, 120 s without traffic ends both.
- Flow control: each side's write buffer pauses reading on the other (high-water 1 MiB), so
  memory stays bounded whatever the transfer size.
- ALPN offers only http/1.1, so browsers never try HTTP/2 against the HTTP/1.1 backends.
- A refused handshake sends the alert, then FIN, and drains the client for up to 2 s, so the
  client reads why ("certificate required") instead of a broken pipe.
- Handshake failures (with OpenSSL's reason), unreachable targets and TLS errors go to the log;
  the pidfile is written once every listener is bound; SIGTERM/SIGINT close the listeners and
  connections, remove the pidfile and exit 0.
"""

import argparse
import asyncio
import logging
import os
import signal
import ssl
import sys

HOST = "127.0.0.1"
HANDSHAKE_TIMEOUT = 30.0
REFUSAL_LINGER = 2.0
LINGER_TIMEOUT = 120.0
READ_CHUNK = 256 * 1024
HIGH_WATER = 1024 * 1024

log = logging.getLogger("tlsfront")


# ---------------------------------------------------------------------------------------------
# Arguments


def address(text, what, loopback_only):
    host, sep, port = text.rpartition(":")
    if not sep:
        host = HOST
    host = host.strip("[]") or HOST
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{what} {text!r}: not HOST:PORT")
    if loopback_only and host != HOST:
        raise ValueError(f"{what} {text!r}: this front only ever listens on {HOST}")
    return host, int(port)


class Front:
    def __init__(self, listen, to, cert, key, client_ca=None):
        self.listen = address(listen, "listen address", loopback_only=True)
        self.target = address(to, "target", loopback_only=False)
        self.cert, self.key, self.client_ca = cert, key, client_ca or None
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(cert, key)
        ctx.set_alpn_protocols(["http/1.1"])
        if self.client_ca:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(cafile=self.client_ca)
        self.context = ctx

    def __str__(self):
        mtls = f", client certificate required ({self.client_ca})" if self.client_ca else ""
        return f"{HOST}:{self.listen[1]} -> {self.target[0]}:{self.target[1]} ({self.cert}{mtls})"


GROUP_KEYS = {"--to": "to", "--cert": "cert", "--key": "key", "--client-ca": "client_ca"}


class StartGroup(argparse.Action):
    def __call__(self, parser, namespace, value, option=None):
        namespace.groups.append({"listen": value})


class GroupValue(argparse.Action):
    def __call__(self, parser, namespace, value, option=None):
        if not namespace.groups:
            parser.error(f"{option} before any --listen")
        group = namespace.groups[-1]
        if GROUP_KEYS[option] in group:
            parser.error(f"{option} given twice for --listen {group['listen']}")
        group[GROUP_KEYS[option]] = value


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n\n".join(__doc__.split("\n\n")[1:]),
    )
    parser.set_defaults(groups=[])
    parser.add_argument(
        "--front", action="append", default=[], metavar="LISTEN,TARGET,CERT,KEY[,CLIENT_CA]"
    )
    parser.add_argument("--listen", action=StartGroup, metavar="LISTEN")
    for option in GROUP_KEYS:
        parser.add_argument(option, action=GroupValue, metavar="FILE" if option != "--to" else "TARGET")
    parser.add_argument("--pidfile", help="written once all listeners are bound, removed at exit")
    parser.add_argument("--log", help="log file (appended); default stderr")
    args = parser.parse_args(argv)

    specs = []
    for text in args.front:
        parts = text.split(",")
        if len(parts) not in (4, 5) or not all(parts[:4]):
            parser.error(f"--front {text!r}: want LISTEN,TARGET,CERT,KEY[,CLIENT_CA]")
        specs.append(dict(zip(("listen", "to", "cert", "key", "client_ca"), parts)))
    for group in args.groups:
        missing = [k for k in ("to", "cert", "key") if k not in group]
        if missing:
            parser.error(f"--listen {group['listen']}: missing " + ", ".join("--" + m for m in missing))
        specs.append(group)
    if not specs:
        parser.error("no listener (--front or --listen ...)")
    fronts = []
    for spec in specs:
        try:
            fronts.append(Front(**spec))
        except (ValueError, OSError, ssl.SSLError) as error:
            parser.error(f"listener {spec['listen']}: {error}")
    ports = [f.listen[1] for f in fronts]
    if len(set(ports)) != len(ports):
        parser.error(f"a port is listed twice: {ports}")
    return args, fronts


# ---------------------------------------------------------------------------------------------
# One connection


def describe(error):
    """OpenSSL's reason, without the _ssl.c line noise."""
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"client certificate rejected: {error.verify_message} ({error.reason})"
    if isinstance(error, ssl.SSLError):
        return str(error).split(" (_ssl.c:")[0]
    return f"{error.__class__.__name__}: {error}"


class Relay(asyncio.Protocol):
    """The client's TCP connection (TLS inside) and its plain connection to the target."""

    def __init__(self, front, active):
        self.front, self.active = front, active
        self.loop = asyncio.get_running_loop()
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = front.context.wrap_bio(self.incoming, self.outgoing, server_side=True)
        self.client = self.upstream = None
        self.peer = "?"
        self.handshaking = True
        self.refused = False  # the handshake failed: only draining until the client closes
        self.client_eof = False  # no more bytes will come from the client
        self.client_tcp_eof = False  # its FIN came (with or without close_notify)
        self.upstream_eof = False  # no more bytes will come from the target
        self.upstream_gone = False  # the target connection is closed (or never came)
        self.upstream_paused = False  # the target's write buffer is full
        self.client_reading_paused = False
        self.closed = False
        self.timer = None
        self.connecting = None
        self.last_activity = self.loop.time()

    # --- the client side (asyncio calls these) ---

    def connection_made(self, transport):
        self.client = transport
        transport.set_write_buffer_limits(high=HIGH_WATER)
        peer = transport.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if peer else "?"
        self.active.add(self)
        self.timer = self.loop.call_later(HANDSHAKE_TIMEOUT, self._handshake_timeout)

    def data_received(self, data):
        if self.refused:
            return
        self.last_activity = self.loop.time()
        self.incoming.write(data)
        if self.handshaking:
            self._handshake()
        else:
            self._from_client()

    def eof_received(self):
        if self.refused:
            return False  # the alert went out first; now close
        if self.handshaking:
            self._fail("handshake failed: the client closed the connection before it completed")
            return False
        # A bare FIN without close_notify (many clients send one) ends the client's data like a
        # close_notify would. Not passed to OpenSSL as EOF: OpenSSL 3 takes that as a fatal
        # error (alert, no more writing) and the target's answer could no longer go back.
        self.client_tcp_eof = True
        self._from_client()
        return True  # keep our sending half open: the target's answer may still come

    def pause_writing(self):
        if self.upstream and not self.upstream.is_closing():
            self.upstream.pause_reading()

    def resume_writing(self):
        if self.upstream and not self.upstream.is_closing():
            self.upstream.resume_reading()

    def connection_lost(self, exc):
        if self.handshaking and not self.closed and not self.refused:
            self._fail(f"handshake failed: connection lost ({exc or 'closed'})")
        self.closed = True
        self.active.discard(self)
        if self.timer:
            self.timer.cancel()
        if self.upstream:
            self.upstream.close()

    # --- handshake ---

    def _handshake(self):
        try:
            self.tls.do_handshake()
        except ssl.SSLWantReadError:
            self._flush()
            return
        except ssl.SSLError as error:
            self._refuse(f"handshake failed: {describe(error)}")
            return
        self.handshaking = False
        self.timer.cancel()
        self.timer = None
        self._flush()
        self._update_client_reading()  # nothing is read until the target is connected
        self.connecting = self.loop.create_task(self._connect())  # kept: tasks are weakly held

    def _refuse(self, message):
        """The alert, then FIN, then drop what the client still sends until it closes. A TLS 1.3
        client sends its request right after its Finished: had we closed, our kernel would
        answer it with a reset, and the client's next write would fail (broken pipe) before it
        read the alert that says why ("certificate required")."""
        self._log(message)
        self.refused = True
        self._flush()
        if self.client.can_write_eof():
            self.client.write_eof()
        self.timer.cancel()
        self.timer = self.loop.call_later(REFUSAL_LINGER, self._close_both)

    def _handshake_timeout(self):
        self._fail(f"handshake failed: no complete handshake within {HANDSHAKE_TIMEOUT:.0f} s")

    def _log(self, message):
        log.warning("%s from %s: %s", self.front.listen[1], self.peer, message)

    def _fail(self, message):
        self._log(message)
        self._close_both()
        self.closed = True

    async def _connect(self):
        host, port = self.front.target
        try:
            transport, _ = await self.loop.create_connection(lambda: Upstream(self), host, port)
        except OSError as error:
            self._log(f"target {host}:{port} unreachable: {error}")
            self.upstream_ended(gone=True)  # close_notify to the client, drop what it sends
            return
        if self.closed:
            transport.close()
            return
        self.upstream = transport
        transport.set_write_buffer_limits(high=HIGH_WATER)
        self._update_client_reading()
        self._from_client()  # what arrived while connecting

    # --- client -> target ---

    def _from_client(self):
        if self.closed or self.client_eof or (self.upstream is None and not self.upstream_gone):
            return
        chunks, size = [], 0
        while not self.upstream_paused:
            try:
                data = self.tls.read(READ_CHUNK)
            except ssl.SSLWantReadError:
                if not self.client_tcp_eof:
                    break
                data = b""  # all decrypted; a partial record left over is dropped
            except ssl.SSLZeroReturnError:
                data = b""
            except ssl.SSLError as error:
                self._fail(f"TLS error: {describe(error)}")
                return
            if not data:
                self.client_eof = True
                break
            if self.upstream_gone:
                continue  # the target is gone: drain and drop
            chunks.append(data)
            size += len(data)
            if size >= READ_CHUNK:
                self.upstream.write(b"".join(chunks))  # may call Upstream.pause_writing
                chunks, size = [], 0
        if chunks:
            self.upstream.write(b"".join(chunks))
        self._flush()  # reading can produce TLS output (TLS 1.3 key update)
        if self.client_eof:
            if self.upstream and not self.upstream.is_closing() and self.upstream.can_write_eof():
                self.upstream.write_eof()
            self._one_side_done()

    # --- target -> client ---

    def to_client(self, data):
        self.last_activity = self.loop.time()
        if self.closed:
            return
        try:
            self.tls.write(data)
        except ssl.SSLError as error:
            self._fail(f"TLS error: {describe(error)}")
            return
        self._flush()

    def upstream_ended(self, gone):
        if gone:
            self.upstream_gone = True
            self.upstream = None
        if not self.upstream_eof:
            self.upstream_eof = True
            self._end_to_client()
        if gone:
            # Nobody reads what the client still sends: drain it (see _from_client).
            self.upstream_paused = False
            self._update_client_reading()
            self._from_client()
        self._one_side_done()

    def _end_to_client(self):
        """close_notify and FIN: the client has everything the target sent."""
        if self.closed:
            return
        try:
            self.tls.unwrap()
        except ssl.SSLWantReadError:
            pass  # sent; the client's close_notify comes (or not) later
        except ssl.SSLError:
            pass
        self._flush()
        if self.client.can_write_eof():
            self.client.write_eof()

    def set_upstream_paused(self, paused):
        self.upstream_paused = paused
        self._update_client_reading()
        if not paused:
            self._from_client()

    # --- plumbing ---

    def _flush(self):
        data = self.outgoing.read()
        if data and not self.client.is_closing():
            self.client.write(data)

    def _update_client_reading(self):
        want_paused = self.upstream_paused or (self.upstream is None and not self.upstream_gone)
        if want_paused == self.client_reading_paused or self.client.is_closing():
            return
        self.client_reading_paused = want_paused
        if want_paused:
            self.client.pause_reading()
        else:
            self.client.resume_reading()

    def _one_side_done(self):
        if self.client_eof and self.upstream_eof:
            self._close_both()
        elif self.timer is None and not self.closed:
            self.timer = self.loop.call_later(LINGER_TIMEOUT / 4, self._linger_check)

    def _linger_check(self):
        idle = self.loop.time() - self.last_activity
        if idle >= LINGER_TIMEOUT:
            self._log(f"half-closed and idle for {idle:.0f} s: closing")
            self._close_both()
        else:
            self.timer = self.loop.call_later(LINGER_TIMEOUT / 4, self._linger_check)

    def _close_both(self):
        if self.timer:
            self.timer.cancel()
            self.timer = None
        if self.client:
            self.client.close()  # sends what is buffered first
        if self.upstream:
            self.upstream.close()

    def abort(self):
        for transport in (self.client, self.upstream):
            if transport:
                transport.abort()


class Upstream(asyncio.Protocol):
    """The plain connection to the target; everything is decided by its Relay."""

    def __init__(self, relay):
        self.relay = relay

    def data_received(self, data):
        self.relay.to_client(data)

    def eof_received(self):
        self.relay.upstream_ended(gone=False)
        return True  # the target only stopped sending; it may still read

    def pause_writing(self):
        self.relay.set_upstream_paused(True)

    def resume_writing(self):
        self.relay.set_upstream_paused(False)

    def connection_lost(self, exc):
        self.relay.upstream_ended(gone=True)


# ---------------------------------------------------------------------------------------------
# Main


def write_pidfile(path):
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        f.write(f"{os.getpid()}\n")
    os.replace(tmp, path)


def remove_pidfile(path):
    try:
        with open(path) as f:
            if f.read().strip() == str(os.getpid()):
                os.unlink(path)
    except OSError:
        pass


async def serve(args, fronts):
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(
        lambda loop, context: log.error("%s", context.get("message"), exc_info=context.get("exception"))
    )
    active = set()
    servers = []
    for front in fronts:
        server = await loop.create_server(
            lambda front=front: Relay(front, active),
            HOST,
            front.listen[1],
            reuse_address=True,
            backlog=256,
        )
        servers.append(server)
        log.info("listening %s", front)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if args.pidfile:
        write_pidfile(args.pidfile)
    log.info("ready, pid %d", os.getpid())
    try:
        await stop.wait()
        log.info("stopping: %d connection(s) open", len(active))
        for server in servers:
            server.close()
        for relay in list(active):
            relay._close_both()
        for _ in range(20):  # up to 2 s for buffered bytes to go out
            if not active:
                break
            await asyncio.sleep(0.1)
        for relay in list(active):
            relay.abort()
    finally:
        if args.pidfile:
            remove_pidfile(args.pidfile)
    log.info("stopped")


def main(argv=None):
    args, fronts = parse_args(sys.argv[1:] if argv is None else argv)
    handler = logging.FileHandler(args.log) if args.log else logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s tlsfront[%(process)d] %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        asyncio.run(serve(args, fronts))
    except OSError as error:  # a port already taken, mostly
        log.error("cannot start: %s", error)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
