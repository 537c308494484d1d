"""The step loop of the build's two Python probes, in the form misc/deploy/iris/build.sh reads.

probe.py runs in irispython and kernel_probe.py inside the IRIS kernel; both report each step
the same way: `<prefix>: <step>` before it runs, `<prefix>:   <line>` for each thing it found,
one `<prefix>-error: <step>: <what>` when it fails (its traceback on stderr, and the probe
stops), `<prefix>: ok` once every step has passed.

Standard library only: kernel_probe.py imports this before anything that could patch `iris`.
probe.py finds it beside itself (a script's folder is first on sys.path); the kernel's Python,
fed kernel_probe.py on its input, finds it on the PYTHONPATH that build.sh gives it.
"""

import sys
import traceback
from collections.abc import Callable, Sequence

Step = tuple[str, Callable[[], list[str]]]
"""A step's name, and what runs it: the lines it found, or an exception."""


def run_steps(prefix: str, steps: Sequence[Step], say: Callable[[str], None] = print) -> int:
    """Run the steps in order; 0 when every one passed, 1 at the first that raised."""
    for step, action in steps:
        say(f"{prefix}: {step}")
        sys.stdout.flush()
        try:
            report = action()
        except Exception as error:
            traceback.print_exc()
            say(f"{prefix}-error: {step}: {type(error).__name__}: {error}")
            return 1
        for line in report:
            say(f"{prefix}:   {line}")
    say(f"{prefix}: ok")
    return 0
