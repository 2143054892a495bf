"""A real container registry for the tests: Debian's ``docker-registry`` (the CNCF distribution registry) serving
on 127.0.0.1 with its storage in a temporary folder, and OCI image layouts built here by hand and pushed to it with
``skopeo``.

Every blob of a layout (a one-file tar layer, its config, its manifest and, for a multi-platform image, an index of
two manifests) is written and hashed by this module, so a test knows each digest before the registry serves it.
Pushes keep the digests (``skopeo copy --preserve-digests``): what the registry serves is the bytes built here.

A missing ``docker-registry`` or ``skopeo`` skips the test with the Debian package to install, except under
CI=true, where it fails.

``fake_registry`` is the other kind: an http.server on 127.0.0.1 whose every answer the test writes (a Bearer
challenge, a token, a redirect, a wrong digest), recording each request it gets.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import tarfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.packs.gitserver import stop

STARTUP_SECONDS = 30
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"


def _missing(message: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (CI=true: a missing tool fails the run)")
    pytest.skip(message)


def require(program: str, package: str) -> str:
    found = shutil.which(program)
    if found is None:
        _missing(f"{program} is not installed (Debian package: {package})")
    assert found is not None
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


# OCI layouts -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """An OCI image layout on disk holding one tagged image; ``digest`` is the digest of what the tag names (the
    index for a multi-platform image, else the manifest) and ``platforms`` the digests of the index's manifests."""

    path: Path
    tag: str
    digest: str
    platforms: tuple[str, ...] = ()


class _Blobs:
    def __init__(self, root: Path) -> None:
        self.folder = root / "blobs" / "sha256"
        self.folder.mkdir(parents=True, exist_ok=True)

    def put(self, data: bytes) -> dict[str, object]:
        digest = sha256(data)
        (self.folder / digest.removeprefix("sha256:")).write_bytes(data)
        return {"digest": digest, "size": len(data)}


def _layer(content: str) -> bytes:
    """An uncompressed tar holding one file, the same bytes for the same content."""
    body = content.encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size = len(body)
        info.mtime = 0
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(body))
    return buffer.getvalue()


def _image(blobs: _Blobs, content: str, architecture: str) -> dict[str, object]:
    """Write one platform image (layer, config, manifest); the manifest's descriptor."""
    layer_bytes = _layer(content)
    layer = {"mediaType": OCI_LAYER, **blobs.put(layer_bytes)}
    config = {
        "architecture": architecture,
        "os": "linux",
        "config": {"Cmd": ["/hello.txt"]},
        "rootfs": {"type": "layers", "diff_ids": [sha256(layer_bytes)]},
    }
    config_descriptor = {"mediaType": OCI_CONFIG, **blobs.put(_json(config))}
    manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config_descriptor, "layers": [layer]}
    return {"mediaType": OCI_MANIFEST, **blobs.put(_json(manifest))}


def _json(value: object) -> bytes:
    return json.dumps(value, indent=2, sort_keys=True).encode()


def oci_layout(folder: Path, tag: str, content: str, *, architectures: tuple[str, ...] = ()) -> Layout:
    """A layout in ``folder`` whose ``tag`` is a single-manifest image holding ``content``, or, when
    ``architectures`` are given, an index with one manifest per architecture."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    blobs = _Blobs(folder)
    if architectures:
        images = [
            {**_image(blobs, f"{content} on {arch}", arch), "platform": {"architecture": arch, "os": "linux"}}
            for arch in architectures
        ]
        index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": images}
        top = {"mediaType": OCI_INDEX, **blobs.put(_json(index))}
        platforms = tuple(str(image["digest"]) for image in images)
    else:
        top = _image(blobs, content, "amd64")
        platforms = ()
    top["annotations"] = {"org.opencontainers.image.ref.name": tag}
    (folder / "index.json").write_bytes(_json({"schemaVersion": 2, "manifests": [top]}))
    return Layout(folder, tag, str(top["digest"]), platforms)


# the registry ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Registry:
    """A running registry: ``host`` is ``127.0.0.1:<port>``, the registry part of an image reference."""

    port: int
    process: subprocess.Popen[bytes]
    work: Path

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def push(self, layout: Layout, name: str, tag: str | None = None) -> str:
        """Copy the layout's image (every platform of an index) to ``name:tag``; the reference pushed."""
        reference = f"{self.host}/{name}:{tag or layout.tag}"
        _skopeo(
            self.work,
            "copy",
            "--quiet",
            "--all",
            "--preserve-digests",
            "--dest-tls-verify=false",
            "--dest-no-creds",
            f"oci:{layout.path}:{layout.tag}",
            f"docker://{reference}",
        )
        return reference

    def served_digest(self, reference: str) -> str:
        """The digest of the manifest or index the registry serves for ``reference``, as skopeo reads it."""
        raw = _skopeo(self.work, "inspect", "--raw", "--tls-verify=false", "--no-creds", f"docker://{reference}")
        return sha256(raw)


def _skopeo(work: Path, *args: str) -> bytes:
    policy = work / "policy.json"
    if not policy.exists():
        policy.write_text('{"default": [{"type": "insecureAcceptAnything"}]}')
    home = work / "home"
    home.mkdir(exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_RUNTIME_DIR": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
    }
    command = [require("skopeo", "skopeo"), "--policy", str(policy), *args]
    result = subprocess.run(command, capture_output=True, env=env, timeout=120, check=False)
    if result.returncode != 0:
        raise AssertionError(f"skopeo {' '.join(args)} failed: {result.stderr.decode(errors='replace')[-2000:]}")
    return result.stdout


_CONFIG = """\
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {root}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
"""


@contextlib.contextmanager
def docker_registry(work: Path) -> Iterator[Registry]:
    """``docker-registry serve`` on 127.0.0.1 at a free port with its storage under ``work``, answering ``/v2/``
    when this yields, and stopped when the block exits, whatever happens inside it."""
    program = require("docker-registry", "docker-registry")
    require("skopeo", "skopeo")
    work.mkdir(parents=True, exist_ok=True)
    log = work / "registry.log"
    for attempt in range(5):
        port = free_port()
        config = work / f"config-{attempt}.yml"
        config.write_text(_CONFIG.format(root=work / "storage", port=port))
        with log.open("wb") as output:
            process = subprocess.Popen(
                [program, "serve", str(config)],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=output,
                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work)},
                start_new_session=True,
            )
        try:
            if _answering(port, process):
                yield Registry(port, process, work)
                return
        finally:
            stop(process)
    raise AssertionError(f"docker-registry did not start: {log.read_text(errors='replace')[-2000:]}")


def _answering(port: int, process: subprocess.Popen[bytes]) -> bool:
    """Wait until ``GET /v2/`` answers 200; False when the registry exited first (the port was taken)."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        with (
            contextlib.suppress(OSError, urllib.error.URLError),
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=2) as answer,
        ):
            if answer.status == 200:
                return True
        time.sleep(0.05)
    return False


@pytest.fixture(name="registry")
def registry_fixture(tmp_path: Path) -> Iterator[Registry]:
    """``registry``: a running, empty docker-registry. Import ``registry_fixture`` into a test module to use it."""
    with docker_registry(tmp_path / "registry") as running:
        yield running


# a registry written here ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class Fake:
    port: int
    requests: list[Request]

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"


@contextlib.contextmanager
def fake_registry(answer: Callable[[Request], Reply]) -> Iterator[Fake]:
    """An HTTP server on 127.0.0.1 that records every request and answers it with ``answer``."""
    requests: list[Request] = []

    class Handler(BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:
            self._reply(send_body=False)

        def do_GET(self) -> None:
            self._reply(send_body=True)

        def _reply(self, *, send_body: bool) -> None:
            parts = urlsplit(self.path)
            request = Request(self.command, parts.path, parse_qs(parts.query), dict(self.headers.items()))
            requests.append(request)
            reply = answer(request)
            self.send_response(reply.status)
            for key, value in reply.headers.items():
                self.send_header(key, value)
            if "Content-Length" not in reply.headers:
                self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if send_body:
                self.wfile.write(reply.body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Fake(server.server_address[1], requests)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@dataclass
class RawServer:
    """A TCP server on loopback; ``received`` holds the first read of each connection (the request's head)."""

    port: int
    received: list[bytes]


@contextlib.contextmanager
def raw_server(behaviour: Callable[[socket.socket, threading.Event], None]) -> Iterator[RawServer]:
    """A TCP server on 127.0.0.1 that reads each request's first bytes and then runs ``behaviour`` on the
    connection (sending whatever a hostile server sends) until the block exits."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    done = threading.Event()
    workers: list[threading.Thread] = []
    received: list[bytes] = []

    def serve(connection: socket.socket) -> None:
        with contextlib.suppress(OSError), connection:
            received.append(connection.recv(65536))
            behaviour(connection, done)

    def accept() -> None:
        while not done.is_set():
            with contextlib.suppress(OSError):
                worker = threading.Thread(target=serve, args=(listener.accept()[0],), daemon=True)
                worker.start()
                workers.append(worker)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield RawServer(listener.getsockname()[1], received)
    finally:
        done.set()
        thread.join(timeout=10)
        for worker in workers:
            worker.join(timeout=10)
        listener.close()
