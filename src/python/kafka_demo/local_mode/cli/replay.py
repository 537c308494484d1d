"""`kafka-demo replay`: the local twin of the Message Viewer's Resend.

Each Kafka input whose processing ended in an error goes to its target again.
While `kafka-demo local` runs on the database, the replay goes through it (POST
/messages/replay, with the token of its claim), as IRIS resends through the
running production: one production writes the database. Otherwise the replay
claims the database itself and runs only what it needs: the BP and the
operations, not the services (the consumer and the REST door), and nothing at
all when nothing failed.

On a database several productions share (PostgreSQL, kafka_demo.local_mode.instances),
the replay goes through each running instance in turn, which resends its own failed
inputs and adopts those of instances no longer running; with none running, it registers
as an instance itself, adopts every block and resends here.
"""

import argparse
import json
import secrets
import socket
import urllib.error
import urllib.request
from typing import Any

from kafka_demo.local_mode.cli.common import CommandError, existing_database
from kafka_demo.local_mode.config import LocalConfig
from kafka_demo.local_mode.trace.vocabulary import error_gist
from kafka_demo.local_mode.viewer import TOKEN_HEADER

NOTHING_TO_REPLAY = "nothing to replay: no Kafka input ended in an error"
THROUGH_INSTANCE_TIMEOUT_S = 120.0


def run_replay(args: argparse.Namespace) -> int:
    # Deferred: SQLAlchemy, which every `kafka-demo` command would import otherwise.
    from kafka_demo.local_mode.claim import DatabaseClaim, DatabaseInUse
    from kafka_demo.local_mode.instances import shares_the_database

    db_url = existing_database(args.db)
    if shares_the_database(db_url):
        return _replay_shared(db_url, args.bootstrap)
    try:
        claim = DatabaseClaim.acquire(db_url, "replay", broker=args.bootstrap)
    except DatabaseInUse as in_use:
        holder = in_use.holder
        if holder is None or holder.url is None:
            raise CommandError(f"{in_use}; wait for it to end, then replay") from None
        print(f"through the running {holder.describe()}")
        return _report(_replay_through(holder.url, holder.token))
    try:
        return _replay_here(db_url, args.bootstrap)
    finally:
        claim.release()


def _replay_shared(db_url: str, bootstrap: str) -> int:
    """Through each running instance on this machine, or here when none runs."""
    # Deferred: SQLAlchemy, which every `kafka-demo` command would import otherwise.
    from sqlalchemy import create_engine

    from kafka_demo.local_mode.instances import (
        InstanceRegistration,
        adopt_orphans,
        running_instances,
    )

    engine = create_engine(db_url)
    try:
        running = [one for one in running_instances(engine) if one.url is not None]
    finally:
        engine.dispose()
    if running:
        outcomes: list[dict[str, Any]] = []
        for instance in running:
            if instance.host != socket.gethostname():
                print(f"{instance.describe()} runs on {instance.host}: replay its inputs there")
                continue
            assert instance.url is not None
            print(f"through the running {instance.describe()}")
            outcomes += _replay_through(instance.url, instance.token)
        return _report(outcomes)
    registration = InstanceRegistration.register(
        db_url, "replay", secrets.token_urlsafe(24), port=None, broker=bootstrap
    )
    try:
        engine = create_engine(db_url)
        try:
            adopt_orphans(engine, registration.instance.id)
        finally:
            engine.dispose()
        return _replay_here(db_url, bootstrap, owner=registration.instance.id)
    finally:
        registration.release()


def _replay_here(db_url: str, bootstrap: str, owner: int | None = None) -> int:
    # Deferred: the production (IoP, Kafka, SQLAlchemy), which only this path of a command runs.
    from kafka_demo.local_mode.iris.resend import replay_here

    config = LocalConfig(db_url=db_url, bootstrap=bootstrap, instance=owner)
    return _report([outcome.as_dict() for outcome in replay_here(config)])


def _replay_through(url: str, token: str) -> list[dict[str, Any]]:
    """POST /messages/replay of the running instance: what it resent, and how it went."""
    request = urllib.request.Request(
        f"{url}/messages/replay", data=b"", method="POST", headers={TOKEN_HEADER: token}
    )
    try:
        with urllib.request.urlopen(request, timeout=THROUGH_INSTANCE_TIMEOUT_S) as response:
            return list(json.loads(response.read())["resent"])
    except urllib.error.HTTPError as error:
        raise CommandError(
            f"the running instance at {url} refused the replay:"
            f" HTTP {error.code} {error.read().decode(errors='replace')[:200]}"
        ) from None
    except (OSError, ValueError, KeyError) as error:
        raise CommandError(
            f"the running instance at {url} did not answer the replay: {error}"
        ) from None


def _report(outcomes: list[dict[str, Any]]) -> int:
    if not outcomes:
        print(NOTHING_TO_REPLAY)
        return 0
    failures = 0
    for outcome in outcomes:
        what = f"message {outcome['message']} (session {outcome['session']})"
        if outcome["error"] is None:
            print(f"{what} resent to {outcome['target']} as session {outcome['resent_as']}")
            continue
        failures += 1
        again = f" as session {outcome['resent_as']}" if outcome["resent_as"] is not None else ""
        print(f"{what} failed again{again}: {_reason(outcome['error'])}")
    print(f"replayed {len(outcomes) - failures} of {len(outcomes)} failed input(s)")
    return 1 if failures else 0


def _reason(error: str) -> str:
    """The innermost cause, whole, on one line (as /messages shows it), however long."""
    return " ".join(error_gist(error).split())
