"""Values no real file has, which a rule must read without failing: the audit reports them or lets them be."""

from __future__ import annotations

from scaffold.audit.runner import audit_tree


def test_an_exposed_port_of_thousands_of_digits_is_no_port() -> None:
    report = audit_tree({"Dockerfile": "FROM scratch\nEXPOSE " + "9" * 5002 + " 22\n"})
    assert report.errors == []
    assert [finding.rule for finding in report.findings if finding.rule == "docker-expose-ssh"] == ["docker-expose-ssh"]
