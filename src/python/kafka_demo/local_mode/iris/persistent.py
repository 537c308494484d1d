"""A stand-in for the %Persistent class IRIS projects from a table (`User.product`).

`_New()` gives an object with one property per column of the table's one
definition (kafka_demo.models), so a column added there is a property here.
`_Save()` checks the object as IRIS does before it stores it, then inserts
(or updates) the row in the same database as the other routes, and returns a
%Status: 1, or an error status naming what IRIS would name. `_Id()` gives the
row id once saved.

What IRIS checks on %Save, and how this mirrors it:
- a NOT NULL column projects to a Required property: an empty one fails with
  ERROR #5659 (docs "Required (Property Keyword)", ROBJ_property_required; the
  message form is the one the Python module reference prints for
  `iris.check_status`, GEPYTHON_reference_core);
- VARCHAR(n) projects to %String(MAXLEN=n): a longer value fails with ERROR
  #7201, then #5802 for the property (measured on IRIS 2026.1 by public
  reports: "length longer than MAXLEN allowed of …" on %Save, %ValidateObject
  and SQL alike). IRIS strings are 16-bit: $LENGTH counts a character outside
  the BMP (a surrogate pair) as two (docs $WLENGTH, RCOS_fwlength); the
  length checked here counts the same way (a guess that %String's check uses
  $LENGTH, not $WLENGTH);
- DECIMAL(p,s) projects to %Numeric(SCALE=s) with MAXVAL/MINVAL of p-s
  integer digits (the bounds are a guess from the DDL type); a value that is
  not a number fails with ERROR #7207 (public reports: "ERROR #7207: Datatype
  value 'abc' is not a valid number > ERROR #5802"), one above MAXVAL with #7203
  (the Error Reference's table 7200-7399: "greater than MAXVAL allowed"), one below
  MINVAL with #7204 (a public test expectation: "ERROR #7204: Datatype value '-1'
  less than MINVAL allowed of 0"). More decimal places are not refused: "the logical value will be
  rounded to the specified number of decimal places" (Documatic
  %Library.Numeric, SCALE); half away from zero here (a guess);
- a UNIQUE column has a unique index: a second non-empty value fails with
  ERROR #5808 "Key not unique: %1" (the Error Reference; docs "Using Document
  Database", GDOCDB: a duplicate value of a unique key "generates an ERROR
  #5808"), here `<class>:<index>`, without the global reference IRIS appends: a
  table made by CREATE TABLE keeps its indices in globals with hashed names
  (docs RACS_DDLUseExtentSet, default 1), which no stand-in can know; NULLs are not
  compared (InterSystems SQL Reference, "Field constraint", see kafka_demo.models).
"""

import itertools
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import (
    Column,
    Engine,
    Numeric,
    String,
    Table,
    UniqueConstraint,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from kafka_demo.local_mode.iris.iris_standin import IrisObject
from kafka_demo.rules import iris_length


def error_status(*errors: str) -> str:
    """An error %Status. IRIS encodes one as "0 " and a $LIST of errors; here their text follows."""
    return "0 " + " > ".join(errors)


class PersistentClass:
    """`iris.cls("User.product")` for one table: `_New()` makes objects that save into it."""

    def __init__(self, engine: Engine, table: Table, classname: str) -> None:
        self.engine = engine
        self.table = table
        self.classname = classname
        self._id_column = next(iter(table.primary_key.columns))
        self.properties = [column for column in table.columns if column is not self._id_column]
        self._unique = [column for column in self.properties if _is_unique(table, column)]
        # Built once: the values go in as parameters, so every save reuses one compiled statement.
        self._insert = insert(table)

    def _New(self, *_: Any) -> "PersistentObject":  # noqa: N802 (IRIS method name)
        return PersistentObject(self)

    def save(self, row: "PersistentObject") -> Any:
        """%Save: validate, normalize, then insert or update; the answer is a %Status."""
        values: dict[str, Any] = {}
        for column in self.properties:
            value = getattr(row, column.name)
            error = self._invalid(row, column, value)
            if error:
                return error
            values[column.name] = _logical_value(column, value)
        try:
            with self.engine.begin() as connection:
                if row.saved_id is None:
                    result = connection.execute(self._insert, values)
                    key = result.inserted_primary_key
                    assert key is not None  # an INSERT's result always has one
                    row.saved_id = int(key[0])
                else:
                    connection.execute(
                        update(self.table).where(self._id_column == row.saved_id).values(values)
                    )
        except IntegrityError:
            taken = self._key_not_unique(values)
            if not taken:
                raise  # not a unique key: a fault of the database (a trigger, say), not of the row
            return taken
        return 1

    def _invalid(self, row: "PersistentObject", column: Column[Any], value: Any) -> str:
        if value in ("", None):
            if column.nullable is False and column.server_default is None:
                return error_status(
                    f"ERROR #5659: Property '{self.classname}::{column.name}"
                    f"({row.oref}@{self.classname},ID={row._Id()})' required"
                )
            return ""
        failure = _datatype_failure(column, value)
        if failure:
            return error_status(
                failure,
                f"ERROR #5802: Datatype validation failed on property "
                f"'{self.classname}:{column.name}', with value equal to \"{value}\"",
            )
        return ""

    def _key_not_unique(self, values: dict[str, Any]) -> str:
        """ERROR #5808 naming the unique index whose key is already taken, or "" if none is."""
        with self.engine.connect() as connection:
            for column in self._unique:
                value = values.get(column.name)
                if value is None:
                    continue
                taken = connection.execute(select(self._id_column).where(column == value)).first()
                if taken is not None:
                    index = self._index_name(column)
                    return error_status(f"ERROR #5808: Key not unique: {self.classname}:{index}")
        return ""

    def _index_name(self, column: Column[Any]) -> str:
        """GUESS: the name IRIS gives the unique index of a column made by DDL (the SQL index
        name without its punctuation)."""
        for index in self.table.indexes:
            if list(index.columns) == [column] and index.name:
                return "".join(char for char in index.name if char.isalnum())
        return f"{self.table.name.upper()}UNIQUE{column.name.upper()}"


class PersistentObject(IrisObject):
    """An object of the stand-in class: properties as attributes, `_Save()` and `_Id()`."""

    _orefs = itertools.count(1)

    def __init__(self, cls: PersistentClass) -> None:
        self._class = cls
        self.saved_id: int | None = None
        self.oref = next(PersistentObject._orefs)
        for column in cls.properties:
            # An IRIS property that was never set holds "", which SQL sees as NULL.
            setattr(self, column.name, "")

    def _ClassName(self, full: int = 0) -> str:  # noqa: N802 (IRIS method name)
        name = self._class.classname
        return name if full else name.rsplit(".", 1)[-1]

    def _IsA(self, name: str) -> int:  # noqa: N802
        return int(name in (self._class.classname, "%Persistent"))

    def _Save(self) -> Any:  # noqa: N802
        return self._class.save(self)

    def _Id(self) -> str:  # noqa: N802
        return "" if self.saved_id is None else str(self.saved_id)


def _is_unique(table: Table, column: Column[Any]) -> bool:
    """A column with its own unique index (UNIQUE on the column, or a one-column constraint)."""
    if column.unique:
        return True
    return any(
        isinstance(constraint, UniqueConstraint) and list(constraint.columns) == [column]
        for constraint in table.constraints
    )


def _datatype_failure(column: Column[Any], value: Any) -> str:
    """The datatype class's IsValid error for `value`, or "" when it is valid."""
    column_type = column.type
    if isinstance(column_type, Numeric):
        return _numeric_failure(column_type, value)
    if isinstance(column_type, String) and column_type.length is not None:
        length = iris_length(str(value))
        if length > column_type.length:
            return (
                f"ERROR #7201: Datatype value '{value}' length longer than MAXLEN "
                f"allowed of {column_type.length}"
            )
    return ""


def _numeric_failure(column_type: Numeric, value: Any) -> str:
    number = _as_decimal(value)
    if number is None:
        return f"ERROR #7207: Datatype value '{value}' is not a valid number"
    scale = column_type.scale or 0
    limit = Decimal(10) ** ((column_type.precision or 18) - scale) - Decimal(1).scaleb(-scale)
    rounded = _rounded(number, scale)
    if rounded > limit:
        return f"ERROR #7203: Datatype value '{value}' greater than MAXVAL allowed of {limit}"
    if rounded < -limit:
        return f"ERROR #7204: Datatype value '{value}' less than MINVAL allowed of {-limit}"
    return ""


def _as_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _rounded(number: Decimal, scale: int) -> Decimal:
    return number.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)


def _logical_value(column: Column[Any], value: Any) -> Any:
    """The value as IRIS stores it: "" is NULL, a %Numeric rounded to its SCALE."""
    if value in ("", None):
        return None
    if isinstance(column.type, Numeric):
        number = _as_decimal(value)
        assert number is not None  # validated before
        return _rounded(number, column.type.scale or 0)
    if isinstance(column.type, String):
        return str(value)
    return value
