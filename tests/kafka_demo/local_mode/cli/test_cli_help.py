"""`kafka-demo --help`, each command's --help, a wrong flag, and --version."""

from importlib.metadata import version

import pytest

from tests.support.local_process import kafka_demo

COMMANDS = ["local", "produce", "products", "trace", "dlq", "replay"]


def test_version_comes_from_the_installed_package() -> None:
    result = kafka_demo("--version")
    assert result.returncode == 0
    assert result.stdout == f"kafka-demo {version('iris-kafka-demo')}\n"


def test_the_top_level_help_lists_every_command() -> None:
    result = kafka_demo("--help")
    assert result.returncode == 0
    for command in COMMANDS:
        assert f"\n    {command} " in result.stdout


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        ("local", ["Start the embedded Kafka broker", "SIGHUP stops it", "(default: 5000)",
                   "(default: 29092)", "(default: sqlite:///kafka_demo.db)"]),
        ("produce", ["through the real KafkaDemoBO", "--raw TEXT", "(default: 1)",
                     "(default: 127.0.0.1:29092)"]),
        ("products", ["Print the product table", "(default: sqlite:///kafka_demo.db)"]),
        ("trace", ["newest first as /messages lists them", "(default: 10)"]),
        ("dlq", ["dead-letter topic", "dlq.reason", "(default: 10)"]),
        ("replay", ["Message Viewer's Resend", "(default: 127.0.0.1:29092)"]),
    ],
)  # fmt: skip
def test_each_command_help_has_a_description_and_its_defaults(
    command: str, shown: list[str]
) -> None:
    result = kafka_demo(command, "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())  # argparse wraps lines
    assert text.startswith(f"usage: kafka-demo {command} ")
    for words in shown:
        assert " ".join(words.split()) in text, words


@pytest.mark.parametrize("command", COMMANDS)
def test_a_wrong_flag_shows_that_commands_usage(command: str) -> None:
    result = kafka_demo(command, "--no-such-flag")
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"usage: kafka-demo {command} ")
    assert lines[-1] == f"kafka-demo {command}: error: unrecognized arguments: --no-such-flag"


def test_local_help_states_one_default_for_the_pool_size_and_none_for_disable() -> None:
    text = " ".join(kafka_demo("local", "--help").stdout.split())
    pool_size = text[text.index("--pool-size N ") : text.index("--disable ITEM do")]
    assert pool_size.count("(default:") == 1, pool_size
    assert pool_size.endswith("(default: the production's, 1) ")
    disable = text[text.index("--disable ITEM do") : text.index("--bootstrap HOST:PORT use")]
    assert "(default:" not in disable, disable
    assert "Python.KafkaDemoBS or EnsLib.Kafka.Service" in disable


def test_kafka_demo_alone_prints_the_help() -> None:
    result = kafka_demo()
    assert result.returncode == 2
    assert result.stdout.startswith("usage: kafka-demo [-h] [--version] COMMAND ...")
    assert "\n    local " in result.stdout and "\n    replay " in result.stdout
    assert result.stderr == ""
