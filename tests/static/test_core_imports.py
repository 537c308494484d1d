"""The core imports nothing of Flask: the imports run upward only from the doors to the core.

A fresh interpreter imports the core modules one after another and reports, after each,
whether Flask or Werkzeug has been loaded, so a failure names the module that pulled it in.
"""

import json
import subprocess
import sys

from tests.static.repo import ROOT, SRC_PYTHON

CORE = (
    "kafka_demo.rules",
    "kafka_demo.msg",
    "kafka_demo.storage",
    "kafka_demo.rest.replies",
    "kafka_demo.rest.gateway",
    "kafka_demo.rest.iris_errors",
    "kafka_demo.bp",
    "kafka_demo.bo",
    "kafka_demo.bs",
)

REPORT_WEB_MODULES = """
import importlib, json, sys
loaded = {}
for name in sys.argv[1:]:
    importlib.import_module(name)
    loaded[name] = sorted(m for m in sys.modules if m.split(".")[0] in ("flask", "werkzeug"))
print(json.dumps(loaded))
"""


def test_the_core_modules_do_not_import_flask() -> None:
    run = subprocess.run(
        [sys.executable, "-c", REPORT_WEB_MODULES, *CORE],
        cwd=ROOT,
        env={"PYTHONPATH": str(SRC_PYTHON), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )

    assert json.loads(run.stdout) == {name: [] for name in CORE}
