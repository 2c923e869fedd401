"""Request and response shapes of the decline API."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from service.declines import strict, validation
from service.declines.greeting import Greeting, leading_title
from service.declines.language import Language
from service.declines.strict import RequestModel
from service.declines.wording import SignOff


class Reason(StrEnum):
    none = "none"
    accepted_offer = "accepted_offer"
    not_a_fit = "not_a_fit"
    timing = "timing"
    other_opportunities = "other_opportunities"


class Round(StrEnum):
    first = "first"
    follow_up = "follow_up"


class Role(StrEnum):
    recruiter = "recruiter"
    hiring_manager = "hiring_manager"
    interviewer = "interviewer"
    other = "other"


Line = Annotated[str, StringConstraints(max_length=200), AfterValidator(validation.single_line)]
# Lines that reach a header (a display name or a Subject): no encoded-word-like text.
HeaderLine = Annotated[Line, AfterValidator(validation.header_text)]
HeaderShortLine = Annotated[
    str,
    StringConstraints(max_length=100),
    AfterValidator(validation.single_line),
    AfterValidator(validation.header_text),
]
Email = Annotated[
    str,
    StringConstraints(max_length=320),
    AfterValidator(validation.email_address),
    AfterValidator(validation.header_text),
]
Phone = Annotated[str, StringConstraints(max_length=40), AfterValidator(validation.phone_number)]
TimeZone = Annotated[str, StringConstraints(max_length=64), AfterValidator(validation.time_zone)]
MessageId = Annotated[str, StringConstraints(max_length=250), AfterValidator(validation.message_id)]
ShortLine = Annotated[str, StringConstraints(max_length=80), AfterValidator(validation.single_line)]
Subject = Annotated[
    str,
    StringConstraints(max_length=300),
    AfterValidator(validation.single_line),
    AfterValidator(validation.header_text),
]
Note = Annotated[str, AfterValidator(validation.paragraph)]


def _as_utc(value: datetime | None) -> datetime | None:
    """Times without an offset are taken as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Candidate(RequestModel):
    name: HeaderLine
    email: Email
    phone: Phone | None = None
    timezone: TimeZone | None = None


class ContactIn(RequestModel):
    name: HeaderLine
    email: Email
    phone: Phone | None = None
    role: Role = Field(
        default=Role.other,
        description="Who they are in the process; each role is thanked for its own part: "
        "the recruiter for handling the process, the hiring manager for considering you for "
        "their team, an interviewer for their time; `other` neutrally",
    )
    timezone: TimeZone | None = None
    language: Language | None = Field(
        default=None,
        description="This contact's email, call and voicemail language; "
        "default: the request's `language`",
    )
    greeting: Greeting | None = Field(
        default=None,
        description="`first_name` (Dear Priya,), `title_surname` (Dear Dr. Raman, / Sehr "
        "geehrte Frau Raman, / Bonjour Madame Raman, / Estimada Sra. Raman:; needs `title`), "
        "`full_name`, `team` (no name: Hello,). Default: `team` for a name that is an address "
        "or a group (Recruiting Team), `title_surname` when a title is given or written "
        "before the name, else the first name in English and the full name in German, "
        "French and Spanish (whose formal greetings need a title to name the surname)",
    )
    title: ShortLine | None = Field(
        default=None,
        description="As you would write it before the surname: Dr., Ms., Mr., Prof., Frau, "
        "Herr, Frau Dr., Mme, M., Sra., Dr.; each language writes it its own way",
    )
    greeting_name: Line | None = Field(
        default=None,
        description="The name the greeting uses, when it is not the one read from `name`: the "
        "first name for `first_name` (Bob), the surname for `title_surname` (García Márquez)",
    )

    @model_validator(mode="after")
    def _title_for_title_greeting(self) -> ContactIn:
        if self.greeting is Greeting.title_surname and not self.title:
            if leading_title(self.name) is None:
                raise ValueError(
                    "greeting title_surname needs a title (e.g. Dr., Ms., Frau, Mme, Sra.); "
                    "give `title`, or choose another greeting"
                )
        return self


class Referral(RequestModel):
    name: Line
    email: Email
    phone: Phone | None = None
    permission_confirmed: bool = Field(default=False, validate_default=True)
    relationship: ShortLine | None = Field(
        default=None,
        description="Who they are to you, as it reads before their name in the contact's "
        'language: "my former colleague", "meine frühere Kollegin" (German: the accusative, '
        '"meinen früheren Kollegen"), "mon ancienne collègue", "mi antigua compañera"',
    )
    share_with: list[int] = Field(
        default_factory=lambda: [0],
        max_length=20,
        description="Which contacts' messages pass the referral on (indexes into `contacts`); "
        "default: the primary contact only. The others' messages do not mention it",
    )

    @field_validator("share_with")
    @classmethod
    def _someone_to_share_with(cls, value: list[int]) -> list[int]:
        if not value:
            raise ValueError(
                "names no contact to pass the referral on to; list at least one, or leave "
                "share_with out for the primary contact"
            )
        return value

    @field_validator("permission_confirmed")
    @classmethod
    def _needs_permission(cls, value: bool) -> bool:
        if value is not True:
            raise ValueError(
                "a referral needs that person's permission first; ask them, then send "
                "permission_confirmed: true"
            )
        return value


class FutureInterest(RequestModel):
    functional_area: Line | None = Field(
        default=None,
        description='The area the open door line names ("future roles in data engineering")',
    )


class DeclineCreate(RequestModel):
    candidate: Candidate
    company: HeaderLine  # in the call reminder's Subject
    job_title: HeaderLine
    requisition_id: HeaderShortLine | None = None
    reason: Reason = Field(
        default=Reason.none,
        description="`none` (recommended) gives no reason; the others a vague, true line, "
        "and the call script a consistent one for when the contact presses",
    )
    round: Round = Round.first
    language: Language = Field(
        default=Language.en,
        description="The language of every contact's email, call and voicemail (each "
        "contact may have its own): en, de (Sie), fr (vous), es (usted)",
    )
    contacts: list[ContactIn] = Field(min_length=1, max_length=20)
    referral: Referral | None = None
    future_interest: FutureInterest | None = None
    open_door: bool = Field(
        default=True,
        description="Close with the hope that the timing suits better another time, and "
        "interest in future roles (naming `future_interest.functional_area`); false leaves "
        "the line out",
    )
    they_approached_me: bool = Field(
        default=False,
        description="They reached out first: the thanks do not mention your application",
    )
    personal_note: Note | None = Field(
        default=None,
        description=f"A short paragraph of your own, in plain text, placed before the open "
        f"door line (at most {validation.PERSONAL_NOTE_MAX} characters, one paragraph)",
    )
    sign_off: SignOff = Field(
        default=SignOff.best_regards,
        description="kind_regards, best_regards, with_thanks or sincerely, each written as "
        "the contact's language closes a letter",
    )
    invitation_received_at: datetime | None = None
    interview_at: datetime | None = Field(
        default=None,
        description="When known, the email names the interview's date and time (in the "
        "contact's time zone, else yours), with an apology for the short notice when it is "
        "less than 48 hours away",
    )
    invitation_message_id: MessageId | None = Field(
        default=None,
        description="The invitation's Message-ID: the message to the contact who sent it "
        "(`invitation_from`) is threaded under it",
    )
    invitation_subject: Subject | None = Field(
        default=None,
        description="The invitation's own Subject: the threaded message answers with "
        '"Re: " and it, as a reply written by hand would',
    )
    invitation_from: int = Field(
        default=0,
        ge=0,
        description="Which contact (index into `contacts`) sent the invitation: that "
        "contact's message is the threaded reply",
    )
    follow_up_business_days: int | None = Field(default=None, ge=0, le=30)

    _utc_received = field_validator("invitation_received_at", "interview_at")(_as_utc)

    @classmethod
    def from_stored(cls, data: dict[str, Any]) -> DeclineCreate:
        """A request as accepted earlier: rules added since then do not make it unreadable."""
        return cls.model_validate(data, context=validation.STORED)

    def language_for(self, contact_index: int) -> Language:
        """The language this contact's email, call and voicemail are written in."""
        return self.contacts[contact_index].language or self.language

    @model_validator(mode="wrap")
    @classmethod
    def _name_unknown_fields(
        cls, data: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> Any:
        """Refusals of unknown fields say which field was probably meant."""
        try:
            return handler(data)
        except ValidationError as exc:
            raise strict.naming_unknown_fields(exc, cls) from None

    @model_validator(mode="after")
    def _indexes_name_contacts(self) -> DeclineCreate:
        count = len(self.contacts)
        if self.invitation_from >= count:
            raise ValueError(
                f"invitation_from {self.invitation_from} names no contact; give the index in "
                f"contacts of the one who sent the invitation (0 to {count - 1})"
            )
        if self.referral is not None:
            shared = self.referral.share_with
            wrong = [i for i in shared if not 0 <= i < count]
            if wrong or len(set(shared)) != len(shared):
                raise ValueError(
                    f"referral.share_with {shared} must list distinct indexes into contacts "
                    f"(0 to {count - 1}), once each"
                )
        return self

    @model_validator(mode="after")
    def _area_needs_open_door(self) -> DeclineCreate:
        area = self.future_interest.functional_area if self.future_interest else None
        if area and not self.open_door:
            raise ValueError(
                "future_interest.functional_area is named in the open door line, which "
                "open_door: false leaves out; drop one of them"
            )
        return self

    @model_validator(mode="after")
    def _distinct_contacts(self) -> DeclineCreate:
        seen: dict[str, int] = {}
        for index, contact in enumerate(self.contacts):
            key = contact.email.casefold()
            if key in seen:
                raise ValueError(
                    f"contacts[{index}].email {contact.email} repeats contacts[{seen[key]}]; "
                    "each contact gets one message, list each address once"
                )
            seen[key] = index
        return self


class MessagePublic(BaseModel):
    id: str
    message_id: str
    status: str
    attempts: int
    last_error: str | None
    smtp_reply: str | None  # what the mail server said when it took the message
    next_attempt_at: datetime | None
    sent_at: datetime | None


class FollowUpPublic(BaseModel):
    id: str
    status: str
    due_at: datetime | None
    call_attempts: int
    away_until: datetime | None  # an out-of-office reply said so


class ContactPublic(BaseModel):
    id: str
    name: str
    email: str
    phone: str | None
    role: str
    timezone: str | None
    replied_at: datetime | None
    message: MessagePublic
    follow_up: FollowUpPublic


class DeclinePublic(BaseModel):
    id: str
    status: str
    delivery: str  # "smtp", or "capture" when messages are written to files only
    warnings: list[str]
    company: str
    job_title: str
    requisition_id: str | None
    reason: str
    round: str
    candidate: Candidate
    follow_up_business_days: int
    created_at: datetime
    canceled_at: datetime | None
    contacts: list[ContactPublic]


class DeclinesPublic(BaseModel):
    items: list[DeclinePublic]
    next_cursor: str | None


class PreviewMessage(BaseModel):
    contact: ContactIn
    language: Language  # the one this contact's message is written in
    role: Role
    greeting: Greeting  # as chosen, or as read from the name
    to: str
    subject: str
    headers: dict[str, str]
    text: str
    html: str
    call_script: str
    voicemail_script: str  # what the reminder for the last call attempt will carry


class PreviewPublic(BaseModel):
    warnings: list[str]
    messages: list[PreviewMessage]
