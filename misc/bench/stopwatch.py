"""Per-hop timing by wrapping callables: each label gets its exclusive time."""

import functools
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any


class Stopwatch:
    """Exclusive seconds per label; nested timed calls are charged to their own label only.

    Nesting is followed per thread, and time spent on a thread other than the one that
    made the stopwatch (the trace's background writer) gets its own label, since it runs
    beside the timed path rather than in it."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._local = threading.local()
        self._owner = threading.get_ident()

    @property
    def _children(self) -> list[float]:
        if not hasattr(self._local, "children"):
            self._local.children = []
        return self._local.children

    def wrap(
        self,
        function: Callable[..., Any],
        label: str | Callable[..., str],
        after: Callable[[str, Any], str] | None = None,
    ) -> Any:
        """`after(label, result)`, if given, names the label once the call returned."""

        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            name = label(*args, **kwargs) if callable(label) else label
            if threading.get_ident() != self._owner:
                name += " (other thread)"
            self._children.append(0.0)
            started = time.perf_counter()
            try:
                result = function(*args, **kwargs)
                if after is not None:
                    name = after(name, result)
                return result
            finally:
                elapsed = time.perf_counter() - started
                children = self._children.pop()
                self.seconds[name] += elapsed - children
                self.calls[name] += 1
                if self._children:
                    self._children[-1] += elapsed

        return timed

    def patch(
        self,
        owner: Any,
        attribute: str,
        label: str | Callable[..., str],
        after: Callable[[str, Any], str] | None = None,
    ) -> None:
        """Replace owner.attribute (a class, module or instance attribute) by its timed wrapper."""
        setattr(owner, attribute, self.wrap(getattr(owner, attribute), label, after))
