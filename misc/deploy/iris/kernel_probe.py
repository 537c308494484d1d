"""The image build's look at Python inside the IRIS kernel, where the production's jobs run it.

misc/deploy/iris/build.sh feeds this file to `iris python <instance>` (the kernel's own
Python, "embedded-kernel" in the wrapper's README; its CI runs its kernel test that way),
with src/python ahead on PYTHONPATH and this folder after it. Standard library, this folder's
probe_steps.py (the step loop it shares with probe.py), and kafka_demo.storage_driver (with
SQLAlchemy) for the last step.

1. start-up hook: whether iris_ep.pth ran when the kernel's Python started;
2. iris module: sys.path, where `iris` came from and where `iris_ep` and the wrapper's
   `_iris_ep` would come from, what `iris.dbapi` is and `iris.runtime.get().state` where
   the wrapper provides it, before anything is patched;
3. storage DB-API: LocalStorageBO's start-up check (kafka_demo.storage_driver) on the
   production's storage URL, and what `iris.dbapi` is after it.

Each step prints `kernel-probe: <step>` before it runs; a step that fails prints one
`kernel-probe-error: <step>: <what>` line and ends the probe. build.sh turns either, or a
crash, into the build's one ERROR line.
"""

import importlib.util
import os
import sys
from collections.abc import Callable
from typing import Any

try:
    from probe_steps import Step, run_steps
except ImportError as missing:
    # The kernel did not take build.sh's PYTHONPATH: say so with the path it has, as a step would.
    print(f"kernel-probe-error: start: {type(missing).__name__}: {missing}; sys.path: {sys.path}")
    sys.exit(1)

HOOK_MODULE = "_iris_ep_sitehook"
HOOK_RAN_AT_START = HOOK_MODULE in sys.modules
"""Read before anything here imports the wrapper: only the start-up hook could have."""
DEFAULT_URL = "iris+emb:///IRISAPP"


def _origin(module: Any) -> str:
    if module is None:
        return "not imported"
    return getattr(module, "__file__", None) or "built into the IRIS kernel (no file)"


def _kind(value: Any) -> str:
    kind = type(value)
    return f"{kind.__module__}.{kind.__qualname__}"


def start_up_hook() -> list[str]:
    ran = "yes" if HOOK_RAN_AT_START else "no (LocalStorageBO runs the wrapper's installer)"
    return [f"iris_ep.pth ran at start: {ran}"]


def iris_module() -> list[str]:
    lines = [f"sys.path: {sys.path}"]
    import iris

    lines.append(f"iris.__file__: {_origin(iris)}")
    lines.append(f"iris.dbapi before any patch: {_dbapi_kind(iris)}")
    lines.append(f"iris.runtime.get().state: {_runtime_state(iris)}")
    for name in ("iris_ep", "_iris_ep"):
        lines.append(f"{name}.__file__: {_would_import(name)}")
    return lines


def _would_import(name: str) -> str:
    """The file `import <name>` loads here, found without importing it: importing the
    wrapper's modules patches `iris`, which is the next step's business."""
    try:
        spec = importlib.util.find_spec(name)
    except Exception as error:
        return f"not found ({type(error).__name__}: {error})"
    if spec is None:
        return "not found"
    return spec.origin or "no file"


def _dbapi_kind(iris: Any) -> str:
    try:
        return _kind(iris.dbapi)
    except Exception as error:
        return f"absent ({type(error).__name__}: {error})"


def _runtime_state(iris: Any) -> str:
    try:
        return str(iris.runtime.get().state)
    except Exception as error:
        return f"not provided ({type(error).__name__}: {error})"


def storage_dbapi() -> list[str]:
    from kafka_demo.storage_driver import require_dbapi

    url = os.environ.get("STORAGE_CONNECTION_STRING", DEFAULT_URL)
    require_dbapi(url)
    import iris

    return [f"{url.split(':', 1)[0]}: a DB-API; iris.dbapi now: {_dbapi_kind(iris)}"]


def run(say: Callable[[str], None] = print) -> int:
    steps: list[Step] = [
        ("start-up hook", start_up_hook),
        ("iris module", iris_module),
        ("storage DB-API", storage_dbapi),
    ]
    return run_steps("kernel-probe", steps, say)


if __name__ == "__main__":
    sys.exit(run())
