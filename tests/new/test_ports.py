"""scaffold.new.ports: the port a service's code listens on."""

from __future__ import annotations

import pytest

from scaffold.new.ports import is_code_file, scan
from tests.support.hang_guard import hang_guard


@pytest.mark.parametrize(
    ("path", "text", "port"),
    [
        ("index.js", "const app = express();\napp.listen(3000, () => {});\n", 3000),
        ("server.js", "const port = process.env.PORT || 4000;\n", 4000),
        ("server.ts", "const port = process.env.PORT ?? 4100;\n", 4100),
        ("app.py", 'PORT = int(os.getenv("PORT", "8000"))\n', 8000),
        ("app.py", "port = int(os.environ.get('PORT', 8001))\n", 8001),
        ("main.py", "uvicorn.run(app, host='0.0.0.0', port=8002)\n", 8002),
        ("main.go", 'log.Fatal(http.ListenAndServe(":8081", mux))\n', 8081),
        ("cmd/api/main.go", 'srv := &http.Server{Addr: "0.0.0.0:9090"}\n', 9090),
        ("application.properties", "spring.application.name=x\nserver.port=8082\n", 8082),
        ("application.yml", "server:\n  port: 8083\n", 8083),
    ],
)
def test_a_literal_listening_port_is_found(path: str, text: str, port: int) -> None:
    found = scan(path, text)
    assert found.ports[0][0] == port
    assert found.ports[0][1].startswith(f"{path}: ")


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("app.js", "app.listen(80)\n"),  # below 1024: a non-root container cannot listen there
        ("app.py", "port = 99999\n"),
        ("app.py", "if port == 8080:\n"),
        ("app.py", "report = 8080\n"),
        ("app.py", "timeout = 8080\n"),
        ("main.go", 'http.ListenAndServe(addr, nil) // ":8080"\n'),
        ("application.properties", "management.port=8085\n"),
    ],
)
def test_other_numbers_are_not_ports(path: str, text: str) -> None:
    assert scan(path, text).ports == []


def test_ports_come_in_the_order_the_file_names_them() -> None:
    found = scan("app.js", "const port = 3001;\napp.listen(3002);\n")
    assert [port for port, _ in found.ports] == [3001, 3002]


def test_which_files_are_code() -> None:
    assert all(is_code_file(name) for name in ("app.py", "index.mjs", "main.go", "application.yaml"))
    assert not any(is_code_file(name) for name in ("README.md", "values.yml", "app.pyc", "Dockerfile"))


@pytest.mark.parametrize(
    "text",
    [
        ".listen(" + " " * 100_000,
        "env.PORT" + " " * 100_000 + "||",
        'getenv("PORT"' + " " * 100_000,
        "port" + " " * 100_000 + "=",
        'ListenAndServe("' + "a" * 100_000,
        "port=1234" * 50_000,
    ],
)
def test_hostile_text_is_scanned_in_linear_time(text: str) -> None:
    with hang_guard():
        found = scan("app.js", text * 5)
    assert len(found.ports) <= 100 * 5
