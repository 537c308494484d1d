"""The copy of an image's files follows Docker's documented .dockerignore matching: the
examples of Docker's reference for the file, and the project's own lines."""

import pytest

from tests.static.image_files import compile_ignore_lines, ignore_patterns, is_ignored

DOCKER_EXAMPLES = ["*/temp*", "*/*/temp*", "temp?", "**/*.go", "*.md", "!README*.md"]


@pytest.mark.parametrize(
    ("path", "ignored"),
    [
        ("somedir/temporary.txt", True),
        ("somedir/temp", True),
        ("somedir/subdir/temporary.txt", True),
        ("tempa", True),
        ("temporary.txt", False),
        ("a/b/c/main.go", True),
        ("main.go", True),
        ("CHANGES.md", True),
        ("README-secret.md", False),
        ("docs/guide.md", False),
    ],
)
def test_docker_reference_examples(path: str, ignored: bool) -> None:
    assert is_ignored(path, compile_ignore_lines(DOCKER_EXAMPLES)) is ignored


@pytest.mark.parametrize(
    ("path", "ignored"),
    [
        ("src/python/kafka_demo/local_mode/server.py", True),
        ("src/python/kafka_demo/local_mode/viewer/static/viewer.css", True),
        ("src/python/kafka_demo/rest/iris/app.py", False),
        ("src/python/kafka_demo/__pycache__/bp.cpython-312.pyc", True),
        ("tests/static/test_image_files.py", True),
        ("misc/deploy/iris/probe.py", False),
        ("misc/bench/run.py", True),
    ],
)
def test_the_projects_dockerignore(path: str, ignored: bool) -> None:
    assert is_ignored(path, ignore_patterns()) is ignored
