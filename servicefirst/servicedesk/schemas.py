import datetime

from ninja import Schema


class RequestIn(Schema):
    kind: str
    category: str
    channel: str
    subject: str
    description: str = ""
    customer_id: int | None = None
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    language: str = "zh"
    severity: str = ""
    assign_to_me: bool = False


class ReplyIn(Schema):
    body: str
    channel: str = ""


class ResolveIn(Schema):
    resolution: str
    notify: bool = True


class TransferIn(Schema):
    to_unit: str  # the unit's code
    reason: str


class MessageOut(Schema):
    direction: str
    body: str
    channel: str
    at: datetime.datetime
    by: int | None


class TransferOut(Schema):
    id: int
    from_unit: str
    to_unit: str
    reason: str
    sent_at: datetime.datetime
    accepted_at: datetime.datetime | None
    answered_at: datetime.datetime | None
    answer: str
    returned: bool


class ClockOut(Schema):
    statement: str
    target: str
    about: str
    state: str
    started_at: datetime.datetime
    due_at: datetime.datetime | None
    stopped_at: datetime.datetime | None
    remaining_s: float | None
    late_s: float | None


class RequestOut(Schema):
    id: int
    number: str
    kind: str
    category: str
    channel: str
    status: str
    severity: str
    subject: str
    language: str
    customer_id: int | None
    unit: str
    assignee_id: int | None
    opened_at: datetime.datetime
    first_response_at: datetime.datetime | None
    resolved_at: datetime.datetime | None
    closed_at: datetime.datetime | None


class RequestDetailOut(RequestOut):
    description: str
    resolution: str
    messages: list[MessageOut]
    transfers: list[TransferOut]
    clocks: list[ClockOut]
