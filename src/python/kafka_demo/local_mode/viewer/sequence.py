"""A session's visual trace as a sequence diagram: one lifeline per item, one arrow per hop.

Only geometry and meaning live here (where each line goes, its colour and its
label); the page's template draws them as SVG, escaping every text.
"""

from dataclasses import dataclass

from kafka_demo.local_mode.trace.vocabulary import (
    DEAD_LETTER_CLASS,
    ERROR,
    REJECTED,
    REJECTED_CLASS,
    Hop,
    dead_letter_reason,
    error_gist,
    short_class,
)

LIFELINE_SPACING = 210
MARGIN = 12
HEAD_TOP = 8
HEAD_HEIGHT = 32
FIRST_ROW = HEAD_TOP + HEAD_HEIGHT + 40
ROW_HEIGHT = 52
BOTTOM = 24
ARROW_HEAD = 9
SELF_LOOP = 36
MAX_LABEL = 30
MAX_NOTE = 72

COLOURS = {
    "normal": "#1f4e79",
    "error": "#c62828",
    "rejected": "#e65100",
    "dead-letter": "#6a1b9a",
}
"""Errors red, as in IRIS's viewer; a rejected input orange; a dead letter purple."""

MARKS = {
    "error": "\u2716 Error",
    "rejected": "\u2298 Rejected",
    "dead-letter": "\u2709 Dead letter",
}


@dataclass(frozen=True)
class Lifeline:
    name: str
    x: int

    @property
    def label(self) -> str:
        return shorten(self.name, 28)


@dataclass(frozen=True)
class Arrow:
    """One hop: a request (solid line) or a response (dashed), from x1 to x2 at height y."""

    hop_id: int
    number: int
    x1: int
    x2: int
    y: int
    kind: str
    tone: str
    label: str
    note: str
    title: str

    @property
    def dashed(self) -> bool:
        return self.kind == "Response"

    @property
    def colour(self) -> str:
        return COLOURS[self.tone]

    @property
    def is_self(self) -> bool:
        return self.x1 == self.x2

    @property
    def path(self) -> str:
        """The line itself; a hop from an item to itself loops out to the right and back."""
        if self.is_self:
            right, low = self.x1 + SELF_LOOP, self.y + 16
            return f"M{self.x1},{self.y} H{right} V{low} H{self.x2 + ARROW_HEAD}"
        end = self.x2 - ARROW_HEAD if self.x2 > self.x1 else self.x2 + ARROW_HEAD
        return f"M{self.x1},{self.y} H{end}"

    @property
    def head(self) -> str:
        """The arrowhead's triangle, its tip on the target's lifeline."""
        tip_y = self.y + 16 if self.is_self else self.y
        back = ARROW_HEAD if self.x2 < self.x1 or self.is_self else -ARROW_HEAD
        base = self.x2 + back
        return f"{self.x2},{tip_y} {base},{tip_y - 5} {base},{tip_y + 5}"

    @property
    def label_x(self) -> int:
        return self.x1 + SELF_LOOP + 6 if self.is_self else (self.x1 + self.x2) // 2

    @property
    def label_anchor(self) -> str:
        return "start" if self.is_self else "middle"


@dataclass(frozen=True)
class Diagram:
    lifelines: list[Lifeline]
    arrows: list[Arrow]
    width: int
    height: int

    @property
    def lifeline_bottom(self) -> int:
        return self.height - BOTTOM // 2


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def hop_tone(hop: Hop) -> str:
    if hop.status == ERROR:
        return "error"
    if hop.status == REJECTED or short_class(hop.message_class) == REJECTED_CLASS:
        return "rejected"
    if short_class(hop.message_class) == DEAD_LETTER_CLASS:
        return "dead-letter"
    return "normal"


def hop_note(hop: Hop, tone: str) -> str:
    """What is written under an arrow that is not plain: its mark, and why."""
    if tone == "normal":
        return ""
    detail = dead_letter_reason(hop.body) if tone == "dead-letter" else error_gist(hop.error)
    note = f"{MARKS[tone]}: {detail}" if detail else MARKS[tone]
    return shorten(note, MAX_NOTE)


def lifeline_names(hops: list[Hop]) -> list[str]:
    """Each item once, in the order it first takes part in the session."""
    names: dict[str, None] = {}
    for hop in hops:
        names.setdefault(hop.source)
        names.setdefault(hop.target)
    return list(names)


def sequence_diagram(hops: list[Hop]) -> Diagram:
    names = lifeline_names(hops)
    x_of = {
        name: MARGIN + LIFELINE_SPACING // 2 + i * LIFELINE_SPACING for i, name in enumerate(names)
    }
    arrows = []
    for number, hop in enumerate(hops, start=1):
        tone = hop_tone(hop)
        arrows.append(
            Arrow(
                hop_id=hop.id,
                number=number,
                x1=x_of[hop.source],
                x2=x_of[hop.target],
                y=FIRST_ROW + (number - 1) * ROW_HEIGHT,
                kind=hop.kind,
                tone=tone,
                label=f"{number}. {shorten(short_class(hop.message_class), MAX_LABEL)}",
                note=hop_note(hop, tone),
                title=f"{hop.kind} {hop.source} \u2192 {hop.target}: "
                f"{hop.message_class} ({hop.status})",
            )
        )
    width = 2 * MARGIN + max(1, len(names)) * LIFELINE_SPACING
    height = FIRST_ROW + max(0, len(hops) - 1) * ROW_HEIGHT + BOTTOM + 16
    return Diagram([Lifeline(name, x_of[name]) for name in names], arrows, width, height)
