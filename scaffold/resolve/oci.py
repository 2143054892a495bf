"""Image tags to digests, live, with the OCI distribution API.

``resolve_image("python:3.13", settings)`` asks the registry ``HEAD /v2/library/python/manifests/3.13`` with every
manifest type in ``Accept`` (so a multi-platform image answers with its index, whose digest is the one to pin) and
reads the ``Docker-Content-Digest`` header. When the registry sends no digest, the manifest itself is fetched (at
most 4 MiB) and hashed; when it sends both, they must agree. A registry that wants a token gets the anonymous
token flow (``WWW-Authenticate: Bearer realm=...``); scaffold never sends a password.

Image references follow Docker's rules: no registry means Docker Hub (whose API is ``registry-1.docker.io``), a
one-component name there is under ``library/``, and the first component is a registry when it has a '.' or a ':'
or is ``localhost``. A reference with no tag is refused (``latest`` is not assumed), and so is one that already has
a digest or is built from variables.

Plain http is used only for a loopback registry; see ``bounded_http`` for the limits on every request. A registry
(or a token realm, or a redirect) on loopback, link-local or another address a file may not send scaffold to is
asked only when the user named its host (``urls.host_problem``: ``--allow-host``).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
import threading
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlunsplit

from scaffold.errors import UsageError
from scaffold.resolve.bounded_http import Answer, HttpError, checked_url, fetch
from scaffold.resolve.model import Origin, Pinned, Refused, Resolution, Settings
from scaffold.resolve.urls import DEFAULT_PORTS, host_problem, is_loopback
from scaffold.untrusted.text import shown

MANIFEST_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
MANIFEST_CAP = 4 * 1024 * 1024
TOKEN_CAP = 256 * 1024
ERROR_CAP = 64 * 1024
DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"

_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_PATH_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_DOMAIN_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"(?:{_DOMAIN_LABEL}(?:\.{_DOMAIN_LABEL})*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{{1,5}})?")
_MAX_REFERENCE = 512
_MAX_NAME = 255


@dataclass(frozen=True)
class ImageReference:
    """A tagged image: ``registry`` as Docker names it (``docker.io``, ``ghcr.io``, ``127.0.0.1:5000``), the
    ``repository`` path on it (``library/python``) and the ``tag``."""

    registry: str
    repository: str
    tag: str

    @property
    def api_host(self) -> str:
        """Where the registry's API answers: Docker Hub's is ``registry-1.docker.io``."""
        return DOCKER_HUB_API if self.registry == DOCKER_HUB else self.registry

    @property
    def loopback(self) -> bool:
        host = self.registry.rsplit(":", 1)[0] if not self.registry.endswith("]") else self.registry
        return is_loopback(host.strip("[]"))

    @property
    def api_port(self) -> int:
        """The port the registry's API answers on: the one written, else http's or https's."""
        host = self.api_host
        written = "" if host.endswith("]") or ":" not in host else host.rsplit(":", 1)[1]
        return int(written) if written else DEFAULT_PORTS["http" if self.loopback else "https"]

    @property
    def api_hostname(self) -> str:
        """The host part of ``api_host``, without port or brackets."""
        host = self.api_host
        name = host if host.endswith("]") or ":" not in host else host.rsplit(":", 1)[0]
        return name.strip("[]")

    @property
    def manifest_url(self) -> str:
        scheme = "http" if self.loopback else "https"
        return f"{scheme}://{self.api_host}/v2/{self.repository}/manifests/{self.tag}"

    def __str__(self) -> str:
        return f"{self.registry}/{self.repository}:{self.tag}"


def parse_reference(reference: str) -> ImageReference:
    """``[registry/]name:tag`` split by Docker's rules; ``UsageError`` naming the rule when it is not one."""
    said = f"image reference {shown(reference, 120)}"
    if len(reference) > _MAX_REFERENCE:
        raise UsageError(f"{said}: longer than {_MAX_REFERENCE} characters")
    if any(not char.isprintable() or char.isspace() for char in reference):
        raise UsageError(f"{said}: contains a space or control character")
    if "$" in reference or "{" in reference or "}" in reference:
        raise UsageError(f"{said}: is built from variables or expressions, known only when the pipeline runs")
    if "@" in reference:
        raise UsageError(f"{said}: already has a digest (@...); there is nothing to resolve")
    if ".." in reference:
        raise UsageError(f"{said}: contains '..'")
    name, tag = _split_tag(reference)
    if tag is None:
        raise UsageError(f"{said}: has no tag to resolve (latest is not assumed)")
    if not _TAG.fullmatch(tag):
        raise UsageError(f"{said}: the tag is not 1-128 letters, digits, '_', '.' or '-' (not starting '.' or '-')")
    registry, path = _split_registry(name)
    if not _DOMAIN.fullmatch(registry) or not _port_ok(registry):
        raise UsageError(f"{said}: the registry {shown(registry)} is not a host name or IP with an optional port")
    components = path.split("/")
    bad = next((part for part in components if not _PATH_COMPONENT.fullmatch(part)), None)
    if bad is not None:
        rule = "lowercase letters and digits, joined by '.', '_', '__' or '-'"
        raise UsageError(f"{said}: the name component {shown(bad)} is not {rule}")
    registry = registry.lower()
    if registry in (DOCKER_HUB, "index.docker.io"):
        registry = DOCKER_HUB
        if len(components) == 1:
            path = f"library/{path}"
    if len(path) > _MAX_NAME:
        raise UsageError(f"{said}: the name is longer than {_MAX_NAME} characters")
    return ImageReference(registry, path, tag)


def _split_tag(reference: str) -> tuple[str, str | None]:
    slash = reference.rfind("/")
    colon = reference.rfind(":")
    if colon <= slash:
        return reference, None
    return reference[:colon], reference[colon + 1 :]


def _split_registry(name: str) -> tuple[str, str]:
    first, slash, rest = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        return first, rest
    return DOCKER_HUB, name


def _port_ok(registry: str) -> bool:
    """The port, when there is one, is 1-65535; an IPv6 literal in brackets is a valid address."""
    host, port = (registry, "") if registry.endswith("]") or ":" not in registry else registry.rsplit(":", 1)
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return False
    return not port or 0 < int(port) < 65536


# Resolution ----------------------------------------------------------------------------------------------------------


class _Memo:
    """Answers already given in this process, per (settings, time limit, reference); bounded."""

    LIMIT = 4096

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answers: dict[tuple[Settings, float, str], Resolution] = {}

    def get(self, key: tuple[Settings, float, str]) -> Resolution | None:
        with self._lock:
            return self._answers.get(key)

    def put(self, key: tuple[Settings, float, str], answer: Resolution) -> None:
        with self._lock:
            if len(self._answers) >= self.LIMIT:
                self._answers.clear()
            self._answers[key] = answer

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()


_MEMO = _Memo()


def forget() -> None:
    """Drop every remembered answer (a long-lived process that wants to ask the registries again)."""
    _MEMO.clear()


def resolve_image(reference: str, settings: Settings, *, timeout: float = 20.0) -> Resolution:
    """The digest the registry serves now for ``reference`` (``[registry/]name:tag``), or why there is none.

    ``timeout`` bounds the whole lookup, token included. Nothing is asked unless ``settings.online``; the same
    reference asked again with the same settings gets the first answer.
    """
    if not settings.online:
        return Refused(f"live resolution of {shown(reference, 120)} is off (--online turns it on)")
    key = (settings, timeout, reference)
    known = _MEMO.get(key)
    if known is not None:
        return known
    answer = _resolve(reference, settings, timeout)
    _MEMO.put(key, answer)
    return answer


def _resolve(reference: str, settings: Settings, timeout: float) -> Resolution:
    try:
        image = parse_reference(reference)
    except UsageError as error:
        return Refused(str(error))
    problem = host_problem(image.api_hostname, image.api_port, settings)
    if problem is not None:
        return Refused(f"{shown(reference, 120)}: the registry {problem}")
    lookup = _Lookup(image, time.monotonic() + timeout, settings)
    try:
        method, digest = lookup.digest()
    except _RegistryError as failure:
        return Refused(f"could not resolve {shown(reference, 120)} at {image.registry}: {failure}", unreachable=True)
    return Pinned(digest, image.tag, Origin.LIVE, f"{method} {image.manifest_url}", at=settings.now)


class _RegistryError(Exception):
    """One line saying why the registry gave no digest."""


@dataclass
class _Lookup:
    image: ImageReference
    deadline: float
    settings: Settings
    token: str | None = None
    challenged: bool = False

    def digest(self) -> tuple[str, str]:
        """(the method that gave it, the digest) for the image's tag."""
        head = self._ask("HEAD")
        if head.status == 200:
            sent = head.header("Docker-Content-Digest")
            if sent is not None:
                _check_type(head)
                return "HEAD", _checked_digest(sent.strip())
        elif head.status not in (405, 501):
            raise _RegistryError(self._status(head))
        got = self._ask("GET")
        if got.status != 200:
            raise _RegistryError(self._status(got))
        _check_type(got)
        _check_manifest(got.body)
        computed = "sha256:" + hashlib.sha256(got.body).hexdigest()
        sent = got.header("Docker-Content-Digest")
        if sent is not None and _checked_digest(sent.strip()) != computed:
            raise _RegistryError(f"the registry's digest {shown(sent, 80)} is not the digest of the manifest it sent")
        return "GET", computed

    def _ask(self, method: str) -> Answer:
        answer = self._send(method)
        if answer.status != 401:
            return answer
        if self.challenged:
            raise _RegistryError("the registry refused the anonymous token it issued (401 again)")
        self.challenged = True
        self.token = self._anonymous_token(answer)
        answer = self._send(method)
        if answer.status == 401:
            raise _RegistryError("the registry refused the anonymous token it issued (401 again)")
        return answer

    def _send(self, method: str) -> Answer:
        headers = {"Accept": ", ".join(MANIFEST_TYPES)}
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        cap = MANIFEST_CAP if method == "GET" else ERROR_CAP
        try:
            return fetch(
                method,
                self.image.manifest_url,
                headers=headers,
                deadline=self.deadline,
                cap=cap,
                settings=self.settings,
            )
        except HttpError as failure:
            raise _RegistryError(str(failure)) from None

    def _anonymous_token(self, challenge: Answer) -> str:
        offered = [value for value in challenge.headers_named("WWW-Authenticate") if value.strip()]
        bearer = next((value for value in offered if _scheme(value) == "bearer"), None)
        if bearer is None:
            wanted = _scheme(offered[0]) if offered else "no"
            raise _RegistryError(
                f"the registry asks for {shown(wanted, 20)} authentication; scaffold asks anonymously only"
            )
        params = _auth_params(bearer)
        realm = params.get("realm")
        if not realm:
            raise _RegistryError("the registry's Bearer challenge names no realm")
        try:
            url = token_url(self.image, realm, params.get("service"), self.settings)
        except HttpError as failure:
            raise _RegistryError(f"token realm refused: {failure}") from None
        try:
            answer = fetch(
                "GET",
                url,
                headers={"Accept": "application/json"},
                deadline=self.deadline,
                cap=TOKEN_CAP,
                settings=self.settings,
            )
        except HttpError as failure:
            raise _RegistryError(f"token service: {failure}") from None
        if answer.status != 200:
            raise _RegistryError(f"the token service answered HTTP {answer.status}")
        return _token_from(answer.body)

    def _status(self, answer: Answer) -> str:
        if answer.status == 404:
            return f"no tag {self.image.tag!r} in repository {self.image.repository!r} (404: tag or repository unknown)"
        if answer.status == 429:
            return "the registry is rate-limiting requests (429); try again later"
        if answer.status == 403:
            return f"access to repository {self.image.repository!r} is denied (403)"
        return f"the registry answered HTTP {answer.status}"


def token_url(image: ImageReference, realm: str, service: str | None, settings: Settings | None = None) -> str:
    """Where to ask an anonymous pull token for ``image``, from a registry's Bearer challenge; ``HttpError`` when
    the realm breaks a rule: https, or http only when it and the registry are both on loopback; a registry that is
    not on loopback may not send scaffold to a loopback realm; and the realm's host, like any host a file or a
    server names, is not on loopback, link-local (the cloud metadata service) or multicast unless the user named
    it in ``settings`` (none when no settings are given). The scope asked is always pull on this repository,
    whatever the challenge says."""
    parts = checked_url(realm)
    if is_loopback(parts.hostname or "") and not image.loopback:
        raise HttpError(f"{shown(realm, 120)} is on loopback but the registry is not")
    judged = Settings(action_forge="", gitlab_url="") if settings is None else settings
    problem = host_problem(parts.hostname or "", parts.port or DEFAULT_PORTS[parts.scheme], judged)
    if problem is not None:
        raise HttpError(problem)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if service:
        query.append(("service", service))
    query.append(("scope", f"repository:{image.repository}:pull"))
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", urlencode(query), ""))


def _scheme(challenge: str) -> str:
    return challenge.strip().split(" ", 1)[0].lower()


_PARAM = re.compile(r'\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s"]*))\s*(?:,|$)')


def _auth_params(challenge: str) -> dict[str, str]:
    """The ``key=value`` parameters of one ``WWW-Authenticate`` challenge (quoted or not)."""
    rest = challenge.strip().split(" ", 1)[1] if " " in challenge.strip() else ""
    params: dict[str, str] = {}
    position = 0
    while position < len(rest):
        match = _PARAM.match(rest, position)
        if match is None or match.end() == position:
            break
        quoted, bare = match.group(2), match.group(3)
        value = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare or ""
        params.setdefault(match.group(1).lower(), value)
        position = match.end()
    return params


def _token_from(body: bytes) -> str:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise _RegistryError("the token service did not answer JSON") from None
    token = None
    if isinstance(document, dict):
        token = document.get("token") or document.get("access_token")
    if not isinstance(token, str) or not token:
        raise _RegistryError("the token service's answer has no token")
    if not all("!" <= char <= "~" for char in token):
        raise _RegistryError("the token service's token has characters a header cannot carry")
    return token


def _checked_digest(sent: str) -> str:
    if not _DIGEST.fullmatch(sent):
        raise _RegistryError(f"the registry sent the digest {shown(sent, 80)}, not sha256:<64 hex>")
    return sent


def _check_type(answer: Answer) -> None:
    declared = answer.header("Content-Type")
    if declared is None:
        return
    kind = declared.split(";", 1)[0].strip().lower()
    if kind not in MANIFEST_TYPES:
        raise _RegistryError(f"the registry served {shown(kind, 80)}, not an image index or manifest")


def _check_manifest(body: bytes) -> None:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise _RegistryError("the manifest the registry sent is not JSON") from None
    if not isinstance(document, dict) or document.get("schemaVersion") != 2:
        raise _RegistryError("the manifest the registry sent is not a schema 2 manifest or index")
    kind = document.get("mediaType")
    if kind is not None and kind not in MANIFEST_TYPES:
        raise _RegistryError(f"the manifest the registry sent is a {shown(str(kind), 80)}")
