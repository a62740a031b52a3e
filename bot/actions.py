"""The button protocol: every action id and button value the bot puts in a message, defined once.

A renderer builds a button with `SomeClick(...).button(text)`; the handler registers
`SomeClick.matcher()` and reads the click back with `read_click(SomeClick, body, action)`, which also
says whether the clicker owns the message (messages get shared and forwarded). Wire keys stay the
short ones of the first version (`l`, `u`, ...): messages already posted in Slack carry them, and
their buttons must keep working after an upgrade.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields
from typing import ClassVar, TypeVar

from bot import blocks

C = TypeVar("C", bound="Click")


@dataclass(frozen=True)
class Click:
    """A button's payload. Subclasses set ACTION (the action id, or its prefix when INDEXED: Block Kit
    wants unique action ids within a block, so the n-th choice is `<ACTION>_<n>`) and WIRE (field →
    key in the JSON value). WIRE = None: the value is the single field's plain string."""

    ACTION: ClassVar[str]
    INDEXED: ClassVar[bool] = False
    WIRE: ClassVar[dict[str, str] | None] = {}

    @classmethod
    def matcher(cls) -> str | re.Pattern:
        """What `app.action(...)` listens to."""
        return re.compile(rf"^{re.escape(cls.ACTION)}_\d+$") if cls.INDEXED else cls.ACTION

    def action_id(self, index: int | None = None) -> str:
        if self.INDEXED != (index is not None):
            raise ValueError(f"{type(self).__name__}: index {'required' if self.INDEXED else 'not allowed'}")
        return f"{self.ACTION}_{index}" if self.INDEXED else self.ACTION

    def value(self) -> str:
        if self.WIRE is None:
            (only,) = fields(self)
            return str(getattr(self, only.name))
        return json.dumps({key: getattr(self, name) for name, key in self.WIRE.items()},
                          separators=(",", ":"), ensure_ascii=False)

    def button(self, text: str, *, style: str | None = None, index: int | None = None) -> dict:
        return blocks.button(text, self.action_id(index), self.value(), style)

    @classmethod
    def decode(cls: type[C], action: dict) -> C | None:
        """The click's payload, or None when the value is not one this button could carry (forged or
        from an unknown version): every field present and of its declared type."""
        raw = action.get("value") or ""
        if cls.WIRE is None:
            (only,) = fields(cls)
            return _build(cls, {only.name: raw})
        try:
            data = json.loads(raw or "{}")
        except (TypeError, ValueError):
            return None
        if not isinstance(data, dict):
            return None
        return _build(cls, {name: data.get(key) for name, key in cls.WIRE.items()})

    def valid(self) -> bool:
        """Subclasses reject values outside their set."""
        return True


def _build(cls: type[C], values: dict) -> C | None:
    kinds = {f.name: f.type for f in fields(cls)}
    converted = {}
    for name, value in values.items():
        kind = kinds[name]
        if kind == "int":
            if isinstance(value, bool) or not isinstance(value, (int, str)):
                return None
            try:
                value = int(value)
            except ValueError:
                return None
        elif kind == "str":
            if not isinstance(value, str):
                return None
        converted[name] = value
    try:
        click = cls(**converted)
    except (TypeError, ValueError):
        return None
    return click if click.valid() else None


@dataclass(frozen=True)
class OwnedClick(Click):
    """A button on one learner's message: only they may use it."""

    owner: str


@dataclass(frozen=True)
class ContinueLesson(OwnedClick):
    ACTION: ClassVar[str] = "lesson_continue"
    WIRE: ClassVar[dict] = {"lesson": "l", "page": "p", "owner": "u"}
    lesson: str = ""
    page: int = 0


@dataclass(frozen=True)
class NextLesson(OwnedClick):
    ACTION: ClassVar[str] = "lesson_next"
    WIRE: ClassVar[dict] = {"lesson": "l", "owner": "u"}
    lesson: str = ""


@dataclass(frozen=True)
class QuizAnswer(OwnedClick):
    ACTION: ClassVar[str] = "quiz_answer"
    INDEXED: ClassVar[bool] = True
    WIRE: ClassVar[dict] = {"lesson": "l", "question": "q", "choice": "c", "owner": "u"}
    lesson: str = ""
    question: str = ""
    choice: int = 0


@dataclass(frozen=True)
class ReviewAnswer(OwnedClick):
    ACTION: ClassVar[str] = "review_answer"
    INDEXED: ClassVar[bool] = True
    WIRE: ClassVar[dict] = {"review": "r", "stage": "s", "choice": "c", "owner": "u"}
    review: int = 0
    stage: int = 0
    choice: int = 0


@dataclass(frozen=True)
class RunExercise(OwnedClick):
    ACTION: ClassVar[str] = "exercise_run"
    INDEXED: ClassVar[bool] = True
    WIRE: ClassVar[dict] = {"lesson": "l", "args": "args", "owner": "u"}
    lesson: str = ""
    args: str = ""


@dataclass(frozen=True)
class CancelRun(OwnedClick):
    ACTION: ClassVar[str] = "finetune_cancel"
    WIRE: ClassVar[dict] = {"job": "j", "owner": "u"}
    job: int = 0


@dataclass(frozen=True)
class TryModel(OwnedClick):
    ACTION: ClassVar[str] = "finetune_try"
    WIRE: ClassVar[dict] = {"job": "j", "owner": "u"}
    job: int = 0


@dataclass(frozen=True)
class CheckUpload(OwnedClick):
    ACTION: ClassVar[str] = "finetune_upload_check"
    WIRE: ClassVar[dict] = {"file": "f", "owner": "u"}
    file: str = ""


@dataclass(frozen=True)
class TrainOnUpload(CheckUpload):
    ACTION: ClassVar[str] = "finetune_upload_train"


@dataclass(frozen=True)
class RunsPage(OwnedClick):
    """Newer/older runs in the runs list: a message (`where` "msg", redrawn through its response_url)
    or App Home ("home", republished)."""

    ACTION: ClassVar[str] = "runs_page"
    WIRE: ClassVar[dict] = {"page": "p", "where": "w", "owner": "u"}
    page: int = 0
    where: str = "msg"

    def valid(self) -> bool:
        return self.page >= 0 and self.where in ("msg", "home")


@dataclass(frozen=True)
class PickRuns(OwnedClick):
    """"Compare runs…" under the runs list: opens the modal that picks two to four of them."""

    ACTION: ClassVar[str] = "runs_compare_pick"
    WIRE: ClassVar[dict] = {"owner": "u"}


@dataclass(frozen=True)
class RunQuestionAnswer(OwnedClick):
    """A choice on a question about the learner's own run (`question` is the run_questions row id)."""

    ACTION: ClassVar[str] = "run_question_answer"
    INDEXED: ClassVar[bool] = True
    WIRE: ClassVar[dict] = {"question": "q", "choice": "c", "owner": "u"}
    question: int = 0
    choice: int = 0

    def valid(self) -> bool:
        return self.question > 0 and self.choice >= 0


@dataclass(frozen=True)
class StartCourse(Click):
    """App Home's "Start the course" / "Continue learning"; Home is the clicker's own."""

    ACTION: ClassVar[str] = "home_start"
    WIRE: ClassVar[None] = None
    tag: str = ""


@dataclass(frozen=True)
class ShowSyllabus(StartCourse):
    ACTION: ClassVar[str] = "home_syllabus"


@dataclass(frozen=True)
class ExportTeam(StartCourse):
    """Admins only: the handler checks the clicker, since a click can be forged."""

    ACTION: ClassVar[str] = "team_export"


@dataclass(frozen=True)
class ToggleDrip(Click):
    ACTION: ClassVar[str] = "drip_toggle"
    WIRE: ClassVar[None] = None
    state: str = "on"

    def valid(self) -> bool:
        return self.state in ("on", "off")


@dataclass(frozen=True)
class PauseDrip(Click):
    ACTION: ClassVar[str] = "drip_pause"
    WIRE: ClassVar[None] = None
    state: str = "pause"

    def valid(self) -> bool:
        return self.state in ("pause", "resume")


# Inputs that are not buttons: their action ids, with the values Slack sends for them.
DRIP_TIME = "drip_time"  # a timepicker: `selected_time` "HH:MM"
DRIP_WEEKDAYS = "drip_weekdays"  # checkboxes: `selected_options`, value "weekdays"
WEEKDAYS_OPTION = "weekdays"

# Modals: callback ids of views.open, and the block ids of their inputs.
REQUEST_MODAL = "finetune_request"
TRY_MODAL = "finetune_try_modal"
COMPARE_MODAL = "runs_compare"  # its one input's block id is COMPARE_PICK
COMPARE_PICK = "runs"
INPUT_ACTION = "value"  # every modal input's element action id; the block id names the field


@dataclass(frozen=True)
class ClickRead:
    """A click read back: who clicked, and the payload (None when the value was not ours)."""

    team_id: str
    user_id: str
    click: Click | None

    @property
    def mine(self) -> bool:
        """The clicker may act on it: the payload is valid and, for an owned button, theirs."""
        return self.click is not None and (not isinstance(self.click, OwnedClick) or self.click.owner == self.user_id)

    @property
    def foreign(self) -> bool:
        """Someone else's message (shared or forwarded): the clicker is told, nothing changes."""
        return self.click is not None and not self.mine


def read_click(kind: type[C], body: dict, action: dict) -> ClickRead:
    """The one owner check: decode the button's value and compare its owner with the clicker."""
    from bot.slack import team_and_user

    team_id, user_id = team_and_user(body)
    return ClickRead(team_id, user_id, kind.decode(action))


@dataclass(frozen=True)
class TutorFeedback(OwnedClick):
    """👍/👎 under a tutor's answer: `helpful` is "up" or "down"."""

    ACTION: ClassVar[str] = "tutor_feedback"
    INDEXED: ClassVar[bool] = True
    WIRE: ClassVar[dict] = {"question": "q", "helpful": "h", "owner": "u"}
    question: int = 0
    helpful: str = "up"

    def valid(self) -> bool:
        return self.helpful in ("up", "down")


@dataclass(frozen=True)
class OpenLesson(OwnedClick):
    """"Open Lesson 3.2" under a tutor's answer: the lesson comes to the learner's DM."""

    ACTION: ClassVar[str] = "tutor_open_lesson"
    INDEXED: ClassVar[bool] = True
    WIRE: ClassVar[dict] = {"lesson": "l", "owner": "u"}
    lesson: str = ""


@dataclass(frozen=True)
class AskAdmins(OwnedClick):
    """"Ask the team's admins" under a question the course does not cover."""

    ACTION: ClassVar[str] = "tutor_ask_admins"
    WIRE: ClassVar[dict] = {"question": "q", "owner": "u"}
    question: int = 0


@dataclass(frozen=True)
class AskAbout(OwnedClick):
    """"Ask about this" under a lesson page (`lesson`) or a fine-tune result (`job`): opens ASK_MODAL,
    whose answer comes as a threaded reply to that message. The button also tells a question typed in
    the message's thread what it is about (`bot.services.tutor.TutorService.context_of`)."""

    ACTION: ClassVar[str] = "tutor_ask_about"
    WIRE: ClassVar[dict] = {"lesson": "l", "job": "j", "owner": "u"}
    lesson: str = ""
    job: int = 0

    def valid(self) -> bool:
        return self.job >= 0 and len(self.lesson) <= 16


ASK_MODAL = "tutor_ask_modal"  # the question's input block id is ASK_QUESTION
ASK_QUESTION = "question"
