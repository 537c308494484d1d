"""The local mode's processes die with the one that started them (Linux's PR_SET_PDEATHSIG).

`kafka-demo local` starts the broker (Tansu or Apache Kafka) and gunicorn forks the worker
that runs the production. When `kafka-demo local` is killed (kill -9, out of memory), a
broker left running would go on acknowledging records that no production will store, and
Tansu keeps them in memory only; a worker left running would keep the REST port and the
database. So each child asks the kernel for SIGKILL the moment its parent dies.
"""

import contextlib
import ctypes
import os
import signal
import sys
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1


def die_with(parent_pid: int) -> Callable[[], None]:
    """A preexec_fn: the child is SIGKILLed the moment `parent_pid` dies (Linux).

    SIGKILL, not SIGTERM: on SIGTERM Tansu keeps serving for a grace of about 5 s, and a
    broker whose production is gone must not acknowledge another record. If the parent
    died before the child asked (between fork and prctl), the child is an orphan already
    and exits at once instead of starting.
    """

    def preexec() -> None:
        if sys.platform.startswith("linux"):
            with contextlib.suppress(OSError, AttributeError):
                ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent_pid:
            os._exit(1)

    return preexec
