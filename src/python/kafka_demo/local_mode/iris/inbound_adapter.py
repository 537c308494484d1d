"""Ens.InboundAdapter's call loop: how the local runtime calls KafkaDemoBS, as IRIS does.

IRIS runs a business service that has an adapter in a job of its own, which calls the
adapter's OnTask over and over. "Life Cycle of a Business Service and Adapter", Runtime
(Developing Productions, docs.intersystems.com) says:
- ProcessInput sets the service's %WaitForNextCallInterval to 0 and calls OnProcessInput;
- the base class Ens.InboundAdapter's OnTask "calls the internal ProcessInput() method,
  sets %WaitForNextCallInterval to 1, and returns";
- with %WaitForNextCallInterval at 1, the service "waits for the CallInterval to elapse"
  before calling OnTask again; at 0 it calls again at once.
Ens.InboundAdapter's class reference (IRIS 2024.1) calls CallInterval "the minimum interval
between invocations of the adapter" (default 5 s, at least 0.1 s). This loop reads that as
start to start, so a call that lasted longer than the interval is followed by the next one
at once; that reading is ours, the IRIS source was not seen.

What IRIS does with an error status from ProcessInput is not said there; here it is logged
and the loop goes on (a guess: the service is not stopped by one failed call).
A stop request is seen between calls only, as the same book's "Implementing the OnTask()
Method" says of IRIS.
"""

import logging
import threading
import time
from collections.abc import Callable

_log = logging.getLogger(__name__)


class InboundAdapterLoop:
    """Calls `process_input` (the service's ProcessInput) once per OnTask, on CallInterval."""

    def __init__(
        self,
        name: str,
        process_input: Callable[[], object],
        call_interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self._process_input = process_input
        self.call_interval = max(0.1, call_interval)  # CallInterval's MINVAL
        self._clock = clock

    def on_task(self) -> bool:
        """Ens.InboundAdapter.OnTask: one ProcessInput; returns %WaitForNextCallInterval."""
        try:
            self._process_input()
        except Exception as error:
            _log.error("%s: %s", self.name, error)
        return True

    def run(self, stopping: threading.Event) -> None:
        """The service job's loop, until `stopping` is set."""
        while not stopping.is_set():
            started = self._clock()
            if self.on_task():
                stopping.wait(max(0.0, self.call_interval - (self._clock() - started)))
