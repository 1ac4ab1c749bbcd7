"""Names packages load on first access (``escalate._lazy.on_first_use``)."""

from __future__ import annotations

import importlib

import pytest

from escalate._lazy import on_first_use


@pytest.mark.parametrize(
    ("package", "name", "home"),
    [
        ("escalate", "Escalator", "escalate.engine"),
        ("escalate.state", "RedisStore", "escalate.state._redis"),
        ("escalate.server", "protocol_with_header_timeout", "escalate.server._protocol"),
    ],
)
def test_a_late_name_is_its_modules_object_and_is_kept(package: str, name: str, home: str) -> None:
    module = importlib.import_module(package)
    value = getattr(module, name)
    assert value is getattr(importlib.import_module(home), name)
    assert vars(module)[name] is value  # kept: the next read skips __getattr__


@pytest.mark.parametrize("package", ["escalate", "escalate.state", "escalate.server"])
def test_an_unknown_name_is_an_attribute_error_naming_the_package(package: str) -> None:
    module = importlib.import_module(package)
    with pytest.raises(AttributeError, match=rf"module '{package}' has no attribute 'nope'"):
        module.nope  # noqa: B018


def test_the_table_decides_and_nothing_is_kept_for_a_miss() -> None:
    namespace: dict[str, object] = {}
    assert (
        on_first_use("pkg", "dumps", {"dumps": "json"}, namespace)
        is importlib.import_module("json").dumps
    )
    assert set(namespace) == {"dumps"}
    with pytest.raises(AttributeError, match="'pkg' has no attribute 'loads'"):
        on_first_use("pkg", "loads", {"dumps": "json"}, namespace)
    assert set(namespace) == {"dumps"}
