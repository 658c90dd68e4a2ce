"""The one access model: who reads (roles), what a document is for (audiences), and who may see what.

A document's *audience* (``public``, ``partner``, ``staff``) is decided at ingestion from the
catalogue and its sidecar, and stored with the document and each of its chunks as a *rank*
(0, 1, 2). A reader's *role* (``public``, ``partner``, ``staff``, ``admin``) gives the highest
rank they may read: an admin reads what staff reads, and may also change documents and users.

Every check of access in the app goes through this module (the store's partitions, the keyword
mask, document lists and files, eligibility, health, the user admin, uploads, evals): a second
copy of these tables is how a leak starts, and ``tests/test_import_contract.py`` looks for one.
"""

from __future__ import annotations

AUDIENCES: tuple[str, ...] = ("public", "partner", "staff")
"""Who a document is for, least restricted first; the position is the audience's rank."""

ROLES: tuple[str, ...] = ("public", "partner", "staff", "admin")
"""Readers' roles, least privileged first (the order of "may act as")."""

DEFAULT_AUDIENCE = "staff"
"""The audience of a document whose audience is unknown: the strictest (never widen by mistake)."""

_AUDIENCE_RANK = {audience: rank for rank, audience in enumerate(AUDIENCES)}
_MAX_RANK = {"public": 0, "partner": 1, "staff": 2, "admin": 2}
_PRIVILEGE = {role: level for level, role in enumerate(ROLES)}

CAPABILITIES: dict[str, frozenset[str]] = {
    "public": frozenset(),
    "partner": frozenset(),
    "staff": frozenset({"see_insights"}),
    "admin": frozenset({"manage_documents", "manage_eligibility", "manage_users", "see_index_details", "see_insights"}),
}
"""What a role may do beyond reading: upload, re-index and remove documents; add or edit a programme's
eligibility entry; list and change users; see the Insights tab (what people ask, what is declined,
how feedback trends)."""

RANKS: tuple[int, ...] = tuple(range(len(AUDIENCES)))
"""Every audience rank, lowest first (one store partition each)."""


def check_role(role: object) -> str:
    """``role`` when it is a reader's role; ValueError naming the valid ones otherwise."""
    if not isinstance(role, str) or role not in _MAX_RANK:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    return role


def check_audience(audience: object) -> str:
    """``audience`` when it is a document audience; ValueError naming the valid ones otherwise."""
    if not isinstance(audience, str) or audience not in _AUDIENCE_RANK:
        raise ValueError(f"audience must be one of {', '.join(AUDIENCES)}, not {audience!r}")
    return audience


def max_rank(role: str) -> int:
    """The highest audience rank a reader may read (ValueError for an unknown role)."""
    return _MAX_RANK[check_role(role)]


def audience_rank(audience: str | None) -> int:
    """The rank of a document audience; an unknown or missing audience counts as the strictest."""
    return _AUDIENCE_RANK.get(audience or "", _AUDIENCE_RANK[DEFAULT_AUDIENCE])


def audience_of_rank(rank: int) -> str:
    """The audience stored at ``rank`` (IndexError outside :data:`RANKS`)."""
    if rank not in RANKS:
        raise IndexError(f"no audience has rank {rank!r}")
    return AUDIENCES[rank]


def may_see(role: str, audience: str | None) -> bool:
    """Whether a reader with ``role`` may see a document whose audience is ``audience``."""
    return audience_rank(audience) <= max_rank(role)


def may_act_as(caller_role: str, wanted_role: str) -> bool:
    """Whether a caller may ask with ``wanted_role`` (never above their own role)."""
    return _PRIVILEGE[check_role(wanted_role)] <= _PRIVILEGE[check_role(caller_role)]


def can(role: str | None, capability: str) -> bool:
    """Whether ``role`` has an admin ``capability`` (see :data:`CAPABILITIES`); False for no role."""
    if role is None:
        return False
    if not any(capability in caps for caps in CAPABILITIES.values()):
        raise ValueError(f"unknown capability {capability!r}")
    return capability in CAPABILITIES[check_role(role)]


def stricter(*audiences: str) -> str:
    """The most restricted of several audiences (e.g. a catalogue's and a document's)."""
    return AUDIENCES[max(audience_rank(a) for a in audiences)]
