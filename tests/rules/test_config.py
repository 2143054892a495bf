"""The ``audit:`` section: its settings, its exceptions (``scaffold.rules.exemptions``), and one-line errors."""

from __future__ import annotations

import datetime

import pytest

from scaffold.rules.config import AuditConfig, ConfigError, from_section
from scaffold.rules.exemptions import Exemption
from scaffold.rules.model import Severity

KNOWN = ["unpinned-uses", "missing-timeout"]
TODAY = datetime.date(2027, 1, 15)


def test_a_section_with_every_setting() -> None:
    section = {
        "disable": ["missing-timeout"],
        "min_severity": "medium",
        "exceptions": [{"rule": "unpinned-uses", "reason": "vendor", "expires": datetime.date(2027, 2, 1)}],
    }
    config = from_section(section, KNOWN, today=TODAY)
    assert config == AuditConfig(
        disabled=frozenset({"missing-timeout"}),
        min_severity=Severity.MEDIUM,
        exemptions=(Exemption("unpinned-uses", "vendor", datetime.date(2027, 2, 1)),),
        today=TODAY,
    )


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"colour": "red"}, ".scaffold.yml: audit.colour: is not a setting (disable, min_severity, exceptions)"),
        ({"exceptions": [{"rule": "nope"}]}, ".scaffold.yml: audit.exceptions[0].rule: 'nope' must be a rule id"),
        (
            {"exceptions": [{"rule": "unpinned-uses", "reason": "x", "expires": "2030-01-01"}]},
            ".scaffold.yml: audit.exceptions[0].expires: must be at most 366 days ahead",
        ),
    ],
)
def test_a_bad_setting_is_a_config_error_naming_it(section: object, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        from_section(section, KNOWN, today=TODAY)
    assert str(raised.value).startswith(message)


def test_an_enforced_rule_runs_whatever_is_disabled_or_selected() -> None:
    config = AuditConfig(
        disabled=frozenset({"unpinned-uses"}), selected=frozenset({"missing-timeout"}), enforced=frozenset({"x"})
    )
    assert config.runs("x") and config.runs("missing-timeout")
    assert not config.runs("unpinned-uses") and not config.runs("other")
