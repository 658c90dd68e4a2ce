"""The eligibility catalogue (``corpus/eligibility.yaml``) as typed, validated programmes.

Each programme carries its Eligibility clauses verbatim, with document and page, and the
structured values the engine matches on (see the comments at the top of the catalogue file).
:func:`read_catalogue` returns the problems it finds instead of stopping at the first, so
ingestion can report them all.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pycountry
import yaml

from assistant import access
from assistant.places import country_name, has_region, is_developed, regions
from assistant.roles import ROLES
from assistant.types import Citation
from assistant.yamlfile import load_yaml

CATALOGUE_FILE = "eligibility.yaml"
DEFAULT_CATALOGUE = Path(__file__).resolve().parent.parent / "corpus" / CATALOGUE_FILE
LABELS = {"eligible_countries": "Eligible countries:", "eligible_roles": "Eligible roles:",
          "not_eligible": "Not eligible:", "topics": "Topics:"}

class CatalogueError(ValueError):
    """The eligibility catalogue is malformed or no longer matches its documents."""


@dataclass(frozen=True)
class Clause:
    """A verbatim Eligibility clause and where it is: document, title, page (None if not paginated)."""

    doc_id: str
    title: str
    page: int | None
    clause: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def citation(self, n: int) -> Citation:
        return Citation(n=n, doc_id=self.doc_id, title=self.title, page=self.page, quote=self.clause, source_path="",
                        doc_type="programme_description")


@dataclass(frozen=True)
class Criterion:
    source: Clause
    countries: frozenset[str] = frozenset()
    regions: tuple[str, ...] = ()
    any_developing: bool = False
    any_country: bool = False
    roles: tuple[str, ...] = ()
    applies_to: str = ""
    part: str = ""
    keywords: tuple[str, ...] = ()
    broad: bool = False

    @property
    def illustrative(self) -> bool:
        return "illustrative" in self.source.clause.lower()

    def country_ok(self, code: str) -> bool | None:
        if self.any_country:
            return True
        if self.any_developing:
            return None if not has_region(code) else not is_developed(code)
        return code in self.countries or any(code in regions()[r].members for r in self.regions)

    def describe(self) -> str:
        if self.any_country:
            return "officials of several countries"
        if self.any_developing:
            return "developing countries"
        return " and ".join([*(country_name(c) for c in sorted(self.countries)), *(regions()[r].name for r in self.regions)])


@dataclass(frozen=True)
class Programme:
    id: str
    title: str
    organiser: str
    format: tuple[str, ...]
    since: int | None
    audience: str
    doc_id: str
    names: tuple[str, ...]
    countries: Criterion
    roles: Criterion
    not_eligible: tuple[Criterion, ...]
    topics: Criterion

    def criteria(self) -> list[Criterion]:
        return [self.countries, self.roles, *self.not_eligible, self.topics]

    def rule(self, applies_to: str) -> Criterion | None:
        return next((c for c in self.not_eligible if c.applies_to == applies_to), None)


def read_catalogue(path: Path) -> tuple[list[Programme], list[str]]:
    """The programmes of an eligibility catalogue and the problems found in it (names each programme)."""
    try:
        data = load_yaml(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        return [], [f"eligibility catalogue: cannot read {path} ({exc})"]
    try:
        docs = (load_yaml((Path(path).parent / "catalogue.yaml").read_text(encoding="utf-8")) or {})["documents"]
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        docs = {}
    items = data.get("programmes") if isinstance(data, dict) else None
    programmes, problems, seen = [], [], set()
    for i, raw in enumerate(items if isinstance(items, list) else []):
        where = f"eligibility catalogue: programme {raw.get('id', f'#{i + 1}')!r}" if isinstance(raw, dict) else ""
        try:
            if not where:
                raise ValueError("eligibility catalogue: each programme must be a mapping")
            if raw.get("id") in seen:
                raise ValueError(f"{where}: duplicate id")
            seen.add(raw["id"])
            doc = docs.get(raw["doc_id"]) or {}
            if raw["audience"] not in access.AUDIENCES:
                raise ValueError(f"{where}: audience must be {', '.join(access.AUDIENCES)}")
            # the stricter of this file and catalogue.yaml (ingestion reports a difference)
            audience = access.stricter(raw["audience"], doc.get("audience", "public"))

            def crit(entry: dict[str, Any], kind: str) -> Criterion:
                text = " ".join(str(entry.get("clause") or "").split())
                if not text.startswith(LABELS[kind]):
                    raise ValueError(f"{where}: clause {text!r} must start with {LABELS[kind]!r}")
                page = entry.get("page")
                if page is not None and (not isinstance(page, int) or page < 1):
                    raise ValueError(f"{where}: clause {text!r}: page must be a page number or null")
                bad = [c for c in entry.get("countries") or [] if not isinstance(c, str) or not pycountry.countries.get(alpha_2=c)]
                bad += [r for r in entry.get("regions") or [] if r not in regions()]
                bad += [r for r in entry.get("roles") or [] if r not in ROLES]
                rule = entry.get("applies_to", "")
                if bad or rule not in (("country", "role", "seniority") if kind == "not_eligible" else ("",)):
                    raise ValueError(f"{where}: clause {text!r}: unknown value(s) {bad or rule or 'applies_to missing'}")
                if rule == "seniority" and not entry.get("part"):
                    raise ValueError(f"{where}: clause {text!r}: a seniority rule needs the `part` it is about")
                source = Clause(raw["doc_id"], doc.get("title") or raw["title"], page, text)
                return Criterion(source, frozenset(entry.get("countries") or ()), tuple(entry.get("regions") or ()),
                                 bool(entry.get("any_developing")), bool(entry.get("any_country")),
                                 tuple(entry.get("roles") or ()), entry.get("applies_to", ""), entry.get("part", ""),
                                 tuple(entry.get("keywords") or ()), bool(entry.get("broad")))

            p = Programme(raw["id"], raw["title"], raw.get("organiser", ""), tuple(raw.get("format") or ()),
                          raw.get("since"), audience, raw["doc_id"], tuple(raw.get("names") or ()),
                          crit(raw["eligible_countries"], "eligible_countries"), crit(raw["eligible_roles"], "eligible_roles"),
                          tuple(crit(e, "not_eligible") for e in raw.get("not_eligible") or []), crit(raw["topics"], "topics"))
            c = p.countries
            if not (c.countries or c.regions or c.any_developing or c.any_country):
                raise ValueError(f"{where}: eligible_countries needs countries, regions, any_developing or any_country")
            programmes.append(p)
        except KeyError as exc:
            problems.append(f"{where}: missing field {exc}")
        except (ValueError, TypeError, AttributeError) as exc:
            problems.append(str(exc) if str(exc).startswith("eligibility catalogue") else f"{where}: {exc}")
    if not programmes and not problems:
        problems.append(f"eligibility catalogue: {path} lists no programmes")
    return programmes, problems
