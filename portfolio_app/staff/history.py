"""A link's history for its edit page, read from the audit log."""

from dataclasses import dataclass

from ..i18n.lookup import lazy_gettext
from ..links import audit
from ..links.schemas import timestamp_text

HISTORY_LIMIT = 50
# The fields a person compares, in the order the form shows them.
SHOWN_FIELDS = (
    ("name", lazy_gettext("Name")),
    ("url", lazy_gettext("URL")),
    ("description", lazy_gettext("Description")),
    ("order", lazy_gettext("Position")),
)
ACTION_LABELS = {
    "create": lazy_gettext("Created"),
    "update": lazy_gettext("Edited"),
    "move": lazy_gettext("Moved"),
    "delete": lazy_gettext("Deleted"),
    "restore": lazy_gettext("Restored"),
}
COMMAND_LINE = lazy_gettext("command line")


@dataclass(frozen=True)
class Change:
    """One field's value before and after an entry (None: it had none)."""

    label: str
    before: object
    after: object


@dataclass(frozen=True)
class Event:
    """One audit entry as the page shows it."""

    id: int
    at: str  # SPEC 4's timestamp text
    moment: object  # the aware datetime, for the page's own date format
    who: str
    action: str
    label: str
    changes: list


def link_history(link_id, limit=HISTORY_LIMIT):
    """Return the link's newest audit entries (at most limit) as events to show."""
    return [_event(entry) for entry in audit.entries(link_id=link_id, limit=limit)]


def _event(entry):
    before, after = entry.before or {}, entry.after or {}
    changes = []
    if entry.action in ("update", "move"):
        for name, label in SHOWN_FIELDS:
            if before.get(name) != after.get(name):
                changes.append(Change(str(label), before.get(name), after.get(name)))
        if entry.before_image_id != entry.after_image_id:
            changes.append(Change(str(lazy_gettext("Image")), *_image_names(entry)))
    return Event(
        id=entry.id,
        at=timestamp_text(entry.at),
        moment=entry.at,
        # The command line records no user, and its name is said in the page's language.
        who=str(COMMAND_LINE) if entry.user_id is None else entry.username,
        action=entry.action,
        label=str(ACTION_LABELS[entry.action]),
        changes=changes,
    )


def _image_names(entry):
    def name(image):
        if image is None:
            return None
        return image.name or image.file.rsplit("/", 1)[-1]

    return name(entry.before_image), name(entry.after_image)
