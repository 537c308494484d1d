"""mutmut's command line, with the mutated copies of a method hidden from IoP's dispatch.

mutmut 3 keeps each mutated copy of a method, and a copy of the original, as attributes of the
method's class, with the original's annotations. IoP maps a message class to every method of a
component whose first parameter is annotated with it, so it would find the copies of a handler
too, warn about the duplicates, and dispatch to the copy of the original: a handler's mutants
would never run through IoP. Here each copy of a plain method is removed from its class once
mutmut has put it in its table of mutants, through which its trampoline calls it. Class and
static methods keep theirs: the trampoline finds a class method's copy by name.

Run by misc/scripts/mutation.sh with mutmut's own arguments.
"""

import sys
from collections.abc import Sequence
from typing import Any

import libcst as cst
from mutmut.__main__ import cli
from mutmut.mutation import file_mutation

_arrange = file_mutation.function_trampoline_arrangement


def _arrange_and_hide_copies(
    function: cst.FunctionDef, mutants: Any, class_name: str | None
) -> tuple[Sequence[Any], Sequence[Any], Sequence[Any], Sequence[str]]:
    declarations, methods, assignments, names = _arrange(function, mutants, class_name)
    if class_name is None or function.decorators:
        return declarations, methods, assignments, names
    mangled = file_mutation.mangle_function_name(name=function.name.value, class_name=class_name)
    copies = [*names, f"{mangled}__mutmut_orig"]
    removal = "\n".join(f"del {class_name}.{copy}" for copy in copies)
    return declarations, methods, [*assignments, *cst.parse_module(removal).body], names


file_mutation.function_trampoline_arrangement = _arrange_and_hide_copies

if __name__ == "__main__":
    sys.exit(cli())
