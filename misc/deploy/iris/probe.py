"""The image build's proof that embedded Python works with what pip put into IRIS.

misc/deploy/iris/build.sh runs it once, with irispython (IRIS's own Python, with IRIS's
`iris` module and the packages pip installed), while IRIS runs during the build.
irispython is a process of its own, not one of the production's jobs, which run Python
inside the IRIS kernel: misc/deploy/iris/kernel_probe.py looks there, and the build's
three-route store runs in the jobs themselves (docs/iris-evidence.md#embedded-python-probe).

1. imports: every module the production imports, through the two files IRIS loads:
   settings.py (`iop --migrate`, and so every item's module) and app.py (IRIS WSGI
   and gunicorn);
2. iris module: where `iris` came from, and that the iris/__init__.py python3 processes
   import is the embedded-Python wrapper's (the native SDK ships one too);
3. storage URL: one statement through the production's storage URL
   (STORAGE_CONNECTION_STRING, by default iris+emb:///IRISAPP), as LocalStorageBO
   connects;
4. User.product: the product table as LocalStorageBO makes it, one `User.product`
   saved through the IRIS ORM route and read back by SQL, then deleted; the table is
   dropped again if this probe made it, so the BO still makes it when it starts.

Each step prints `probe: <step>` before it runs. A step that fails prints one
`probe-error: <step>: <what>` line (its traceback follows on stderr) and the probe
exits 1; a crash of the process leaves the last `probe: <step>` line to name the
step (probe_steps.py beside it, shared with kernel_probe.py). build.sh turns either
into the build's one ERROR line.
"""

import base64
import hashlib
import sys
from collections.abc import Callable
from decimal import Decimal
from importlib import import_module, metadata
from pathlib import Path

from probe_steps import Step, run_steps

ENTRY_MODULES = ("settings", "app")
"""What IRIS loads: settings.py for `iop --migrate` (every item's module through
kafka_demo.production), app.py for IRIS WSGI (merge.cpf WSGIAppName) and gunicorn."""

PROBE_PRODUCT_NAME = "image build probe"
WRAPPER = "iris-embedded-python-wrapper"
NATIVE_SDK = "intersystems-irispython"


class ProbeFailed(RuntimeError):
    """A step ran but did not give what the production needs."""


def import_entry_modules(source_dir: Path) -> list[str]:
    """Import the files IRIS loads; the names of the project's modules they pulled in."""
    if str(source_dir) not in sys.path:
        sys.path.insert(0, str(source_dir))
    for name in ENTRY_MODULES:
        import_module(name)
    return sorted(name for name in sys.modules if name.split(".")[0] == "kafka_demo")


def describe_iris_module() -> list[str]:
    """Where `iris` came from, whether it carries what iris+emb:// needs (`iris.dbapi`), and
    which package wrote the iris/__init__.py that python3 processes (iop, gunicorn) import."""
    import iris

    origin = getattr(iris, "__file__", None) or "built in (preloaded by IRIS)"
    lines = [f"iris module: {origin}", f"iris.dbapi present: {hasattr(iris, 'dbapi')}"]
    for distribution in (WRAPPER, NATIVE_SDK):
        try:
            lines.append(f"{distribution} {metadata.version(distribution)}")
        except metadata.PackageNotFoundError:
            lines.append(f"{distribution} not installed")
    owner = iris_init_owner()
    lines.append(f"iris/__init__.py written by: {owner}")
    if owner != WRAPPER:
        raise ProbeFailed(
            f"iris/__init__.py is {owner}'s, not {WRAPPER}'s: python3 processes would not get "
            "the embedded runtime's iris.dbapi (caretdev/sqlalchemy-iris #31); install "
            "requirements.txt in one pip run and nothing into IRIS's Python after it"
        )
    return lines


def iris_init_owner() -> str:
    """Who wrote the iris/__init__.py in the wrapper's folder, by the hash in pip's RECORD: the
    wrapper, the native SDK (both ship that file), or "an unknown package"."""
    try:
        init = metadata.distribution(WRAPPER).locate_file("iris/__init__.py")
        digest = _record_hash(Path(str(init)).read_bytes())
    except (metadata.PackageNotFoundError, OSError):
        return "no package (the wrapper is not installed)"
    for distribution in (WRAPPER, NATIVE_SDK):
        try:
            files = metadata.distribution(distribution).files or []
        except metadata.PackageNotFoundError:
            continue
        for file in files:
            if str(file) == "iris/__init__.py" and file.hash and file.hash.value == digest:
                return distribution
    return "an unknown package"


def _record_hash(content: bytes) -> str:
    """A file's hash as pip's RECORD writes it: sha256, urlsafe base64 without padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()


def storage_url() -> str:
    """The production's storage URL, as settings.py reads it."""
    from kafka_demo.defaults import Environment

    return Environment.read().connection_string


def run_one_statement(url: str) -> str:
    """`SELECT 1` through `url`; the URL, once it answered 1."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            answer = connection.execute(text("SELECT 1")).scalar()
    finally:
        engine.dispose()
    if answer != 1:
        raise ProbeFailed(f"SELECT 1 through {url} answered {answer!r}")
    return url


def save_and_delete_one_product(url: str) -> int:
    """Save one User.product through the IRIS ORM route, read it by SQL, delete it.

    Returns the id the save was given. The table is made by the BO's own code
    (storage.open_engine); if it was not there before, it is dropped again.
    """
    from sqlalchemy import bindparam, create_engine, inspect, text

    from kafka_demo import storage
    from kafka_demo.models import PRODUCT_TABLE
    from kafka_demo.product import Product

    looking = create_engine(url)
    try:
        made_here = not inspect(looking).has_table(PRODUCT_TABLE.name)
    finally:
        looking.dispose()
    product = Product(PROBE_PRODUCT_NAME, Decimal("0.01"))
    engine = storage.open_engine(url)
    try:
        row_id = storage.insert_with_iris_orm(engine, product)
        by_id = bindparam("id", type_=PRODUCT_TABLE.c.id.type)
        with engine.begin() as connection:
            read = connection.execute(
                text(f"SELECT name FROM {PRODUCT_TABLE.name} WHERE id = :id").bindparams(by_id),
                {"id": row_id},
            ).first()
            if read is None or read[0] != product.name:
                raise ProbeFailed(f"the saved User.product {row_id} is not in the table: {read}")
            deleted = connection.execute(
                text(f"DELETE FROM {PRODUCT_TABLE.name} WHERE id = :id").bindparams(by_id),
                {"id": row_id},
            ).rowcount
        if deleted != 1:
            raise ProbeFailed(f"deleting User.product {row_id} deleted {deleted} row(s)")
        if made_here:
            PRODUCT_TABLE.drop(engine)
        return row_id
    finally:
        engine.dispose()


def run(source_dir: Path, say: Callable[[str], None] = print) -> int:
    """Run every step in order; 0 when all passed, 1 at the first that failed."""
    steps: list[Step] = [
        (
            "imports",
            lambda: [f"{len(import_entry_modules(source_dir))} project modules imported"],
        ),
        ("iris module", describe_iris_module),
        ("storage URL", lambda: [f"SELECT 1 through {run_one_statement(storage_url())}"]),
        (
            "User.product",
            lambda: [
                f"User.product {save_and_delete_one_product(storage_url())} saved, "
                "read back by SQL and deleted"
            ],
        ),
    ]
    return run_steps("probe", steps, say)


if __name__ == "__main__":
    sys.exit(run(Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd()))
