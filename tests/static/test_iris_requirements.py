"""requirements.txt, what the Dockerfile installs into IRIS's Python: only what IRIS runs."""

import re

from packaging.requirements import Requirement

from tests.static.repo import text


def _requirements(relative: str) -> dict[str, Requirement]:
    lines = [line.split("#")[0].strip() for line in text(relative).splitlines()]
    found = [Requirement(line) for line in lines if line]
    return {re.sub(r"[-_.]+", "-", r.name).lower(): r for r in found}


def test_sqlalchemy_stays_on_the_series_sqlalchemy_iris_is_shown_with() -> None:
    sqlalchemy = _requirements("requirements.txt")["sqlalchemy"].specifier
    assert "2.0.58" in sqlalchemy
    assert "2.1.0" not in sqlalchemy
    assert "2.1.9" not in sqlalchemy


def test_the_native_sdk_is_not_asked_for_in_iris_but_is_in_the_standalone_image() -> None:
    assert "intersystems-irispython" not in _requirements("requirements.txt")
    assert "intersystems-irispython" in _requirements("requirements-standalone.txt")
    assert "iris-pex-embedded-python" not in _requirements("requirements-standalone.txt")


def test_irissqlcli_comes_only_from_releases_without_their_own_iris_package() -> None:
    irissqlcli = _requirements("requirements.txt")["irissqlcli"].specifier
    assert "0.5.5" not in irissqlcli
    assert "0.6.0" in irissqlcli
