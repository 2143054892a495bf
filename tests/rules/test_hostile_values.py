"""Values no real file has, which a rule must read without failing: the audit reports them or lets them be."""

from __future__ import annotations

from scaffold.rules.runner import audit_tree


def test_an_exposed_port_of_thousands_of_digits_is_no_port() -> None:
    report = audit_tree({"Dockerfile": "FROM scratch\nEXPOSE " + "9" * 5002 + " 22\n"})
    assert report.errors == []
    assert [finding.rule for finding in report.findings if finding.rule == "docker-expose-ssh"] == ["docker-expose-ssh"]


def test_a_script_that_spells_the_expression_placeholder_itself_is_read() -> None:
    workflow = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: pip install foo @@99@@ ${{ x }}\n"
    report = audit_tree({".github/workflows/ci.yml": workflow})
    assert report.errors == []
    assert "adhoc-install" in {finding.rule for finding in report.findings}


def test_a_jenkinsfile_nesting_blocks_deeper_than_any_real_one_is_a_file_error() -> None:
    report = audit_tree({"Jenkinsfile": "environment { X = credentials('a')\n" * 5000})
    assert [error.message for error in report.errors] == [
        "cannot be parsed: GroovyNestingError: blocks nested deeper than 200 levels at line 201"
    ]
    assert audit_tree({"Jenkinsfile": "environment { X = credentials('a')\n" * 150}).errors == []
