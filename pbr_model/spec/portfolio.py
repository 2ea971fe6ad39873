"""Portfolio specs: one owner, or several, holding contract areas that share one national trend.

A portfolio file is TOML::

    [portfolio]
    name = "..."
    [owner]                  # a provider profile by name or path, and/or its fields inline
    profile = "national-prime"
    # or, for several owners, instead of [owner]:
    # [[owners]]
    # name = "Owner A"       # each area names its owner: owner = "Owner A"
    # profile = "national-prime"
    [trend]                  # optional: the national trend every area shares
    binary_logit_sd = 0.03   # (default: the first area's [trend])
    [shared]                 # optional: what else the areas share (defaults shown)
    effect_correlation = 0.8 # the owner's one operating model
    volume_correlation = 0.8 # the national volume factor
    [[areas]]
    name = "Area A"
    spec = "tr-crc-example"  # bundled contract name, or a path relative to this file
    set = ["cohorts.entrants_per_period=4000"]

Every area must share the calendar the trend is drawn on (``contract.start_date``,
``contract.cohort_months`` and ``contract.first_cohort_month``) and the currency; areas may have different
numbers of cohorts (each reads the first periods of the trend). An area's own
``[trend]`` is replaced by the portfolio's. The owner takes the prime's seat in
every area (the area less its ``[[supply_chain]]`` work) on the owner's finances,
so an area's ``[provider]`` does not enter the owner's figures, and an area may
not have a ``[sib]``. Every problem in the
file and in its areas' specs is raised together as one
:class:`~pbr_model.errors.SpecError`, each line naming the portfolio file and the
path in it.

With ``[[owners]]`` in place of ``[owner]``, each owner is a provider profile with a
``name`` (unique), each area names its owner (``owner = "..."``) and every owner holds at
least one area; each owner's figures are computed on its own areas and its own finances.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable

from pydantic import model_validator

from ..errors import OverrideError, Problem, SpecError
from ..files import is_file
from ._base import _f, _Model
from .load import (LoadedSpec, bundled_dir, load_profile, load_spec, read_toml,
                   resolve, spec_sha256, validate_as)
from .overrides import apply_overrides, set_places
from .owners import _raw_owners, owner_problems
from .parties import ProviderProfile
from .schema import ContractSpec, Trend

MAX_AREAS = 50
#: Stands in for an owner profile that could not be loaded, so the owner's other fields
#: are still checked without a "required field is missing" for each of the profile's.
_PLACEHOLDER = ProviderProfile(name="?", reserves=0.0, cost_of_capital=0.0)


class PortfolioInfo(_Model):
    """The portfolio's identity."""

    name: str = _f("Portfolio name shown in reports.", "text", min_length=1, max_length=200)
    description: str = _f("Who holds these areas and where the figures come from.", "text",
                          default="", max_length=2000)


class Owner(ProviderProfile):
    """The owner's finances: a provider profile named by ``profile``, with any of its fields
    given here taking precedence, or every field given inline. The owner is the prime of
    every area, holding what the area's supply chain leaves, so the seat terms (``share``,
    ``fee_share``, ``pbr_share``) are not read and must be left at 1 (``fee_basis`` at
    ``contract``)."""

    profile: str | None = _f(
        "Bundled provider profile (see `pbr providers`) or a path to one relative to the "
        "portfolio file; fields given beside it override the profile's.", "text", default=None,
        min_length=1, max_length=500)

    @model_validator(mode="after")
    def _holds_whole(self) -> "Owner":
        parts = {k: getattr(self, k) for k in ("share", "fee_share", "pbr_share")}
        if any(v != 1 for v in parts.values()):
            got = ", ".join(f"{k} = {v:g}" for k, v in parts.items())
            raise ValueError(f"a portfolio's owner is the prime of every area, so share, "
                             f"fee_share and pbr_share are not read and must be 1 (got {got}); "
                             "set them to 1 under [owner]")
        if self.fee_basis != "contract":
            raise ValueError(f"a portfolio's owner is the prime of every area and is paid as "
                             f"the contract pays, so fee_basis is not read and must be "
                             f"'contract' (got {self.fee_basis!r}); remove it under [owner]")
        return self

    def provider_profile(self) -> ProviderProfile:
        """The owner as a plain :class:`ProviderProfile`."""
        return ProviderProfile(**self.model_dump(exclude={"profile"}))


class SharedRisk(_Model):
    """What an owner's areas share besides the national trend. Each area's standard normal
    for a shared quantity is ``sqrt(c) z_shared + sqrt(1 - c) z_area``: ``c`` is the
    correlation between two areas' draws and the share of each area's variance that is
    shared; at 0 the areas are independent, as they were before these fields."""

    effect_correlation: float = _f(
        "Correlation between the areas' true effects (binary and frequency): one owner runs "
        "one operating model, so whether it works is largely one question for all its areas.",
        "correlation", default=0.8, ge=0, le=1)
    volume_correlation: float = _f(
        "Correlation between the areas' volume factors (caseload, and paid volume): the "
        "share of each area's volume uncertainty that is national (sentencing and referral "
        "trends hit every area).", "correlation", default=0.8, ge=0, le=1)


class Area(_Model):
    """One contract area the owner holds."""

    name: str = _f("Area name shown in reports (unique in the portfolio).", "text",
                   min_length=1, max_length=60)
    spec: str = _f("The area's contract: a bundled contract name (see `pbr list`) or a path "
                   "to its TOML relative to the portfolio file.", "text", min_length=1,
                   max_length=500)
    set: list[str] = _f("Overrides applied to the contract before validation, each "
                        "`PATH=VALUE` as with `--set`.", "list", default_factory=list,
                        max_length=200)
    owner: str | None = _f("With [[owners]]: the name of the owner holding this area (one of "
                           "the [[owners]]' names). Not read with [owner].", "text",
                           default=None, min_length=1, max_length=200)


class PortfolioFile(_Model):
    """A complete portfolio file."""

    portfolio: PortfolioInfo = _f("The portfolio's identity.", "section")
    owner: Owner | None = _f("The owner's finances (a provider profile), when one owner holds "
                             "every area; give this or [[owners]], not both.", "section",
                             default=None)
    owners: list[Owner] | None = _f(
        "Several owners, each a provider profile with a unique `name`, holding the areas that "
        "name it (`owner` in [[areas]]); give this or [owner], not both.", "list",
        default=None, min_length=1, max_length=MAX_AREAS)
    trend: Trend | None = _f("The national trend every area shares; fields not given are 0. "
                             "Omit for the first area's [trend].", "section", default=None)
    shared: SharedRisk = _f("What else the areas share: the owner's operating model (effects) "
                            "and the national volume factor.", "section",
                            default_factory=SharedRisk)
    areas: list[Area] = _f("The contract areas, in report order.", "list", min_length=1,
                           max_length=MAX_AREAS)


@dataclass(frozen=True)
class LoadedArea:
    """One area as it is run: its spec with the portfolio's trend in place of its own
    (``spec.sha256`` is of that spec) and the overrides applied to it."""

    name: str
    spec: LoadedSpec
    overrides: tuple[str, ...] = ()
    owner: int = 0  #: index of the area's owner in :attr:`LoadedPortfolio.owners`


@dataclass(frozen=True)
class LoadedOwner:
    """One owner as it is run: its name, its finances (profile resolved) and the indices of
    the areas it holds, in file order."""

    name: str
    profile: ProviderProfile
    areas: tuple[int, ...]


@dataclass(frozen=True)
class LoadedPortfolio:
    """A validated portfolio, where it came from and its fingerprint.

    Attributes
    ----------
    file : the validated portfolio file (after overrides)
    owners : the owners, in file order (one, holding every area, with ``[owner]``)
    trend : the national trend every area shares
    areas : the areas as run, in file order
    source : the file or bundled name it came from
    sha256 : SHA-256 of the canonical JSON of everything above except ``source``
        (see :func:`portfolio_sha256`)
    """

    file: PortfolioFile
    owners: tuple[LoadedOwner, ...]
    trend: Trend
    areas: tuple[LoadedArea, ...]
    source: str
    sha256: str

    @property
    def name(self) -> str:
        return self.file.portfolio.name

    @property
    def owner(self) -> ProviderProfile:
        """The finances of the one owner of every area (``[owner]``); a portfolio with
        several owners has no one owner (read :attr:`owners`)."""
        if len(self.owners) != 1:
            raise ValueError(f"{self.name} has {len(self.owners)} owners; read .owners")
        return self.owners[0].profile

    @property
    def several_owners(self) -> bool:
        """Whether the file gives ``[[owners]]`` (figures per owner) rather than ``[owner]``."""
        return self.file.owners is not None

    @property
    def currency(self) -> str:
        return self.areas[0].spec.spec.contract.currency

    @property
    def inputs(self) -> tuple[str, ...]:
        """The files this portfolio was read from: its own file, the owner's profile file,
        each area's spec file and the profile files its supply chain names (bundled names
        are not files and are left out)."""
        base = Path(self.source).parent
        named = [self.source, *(f for a in self.areas
                                for f in (a.spec.source, *a.spec.profile_files))]
        named += [str(_locate(o.profile, base)) for o in _owner_entries(self.file)
                  if o.profile is not None]
        return tuple(dict.fromkeys(n for n in named if Path(n).is_file()))

    @property
    def shared(self) -> SharedRisk:
        """What the areas share besides the trend."""
        return self.file.shared

    @property
    def n_periods(self) -> int:
        """Cohort periods the trend is drawn over: the longest area's [cohorts]."""
        return max(a.spec.spec.contract.cohorts for a in self.areas)


def bundled_portfolios() -> dict[str, Path]:
    """Bundled portfolio names (file stem with ``_`` as ``-``) -> file path
    (``contracts/portfolios/``)."""
    folder = bundled_dir() / "portfolios"
    return {p.stem.replace("_", "-"): p for p in sorted(folder.glob("*.toml"))}


def portfolio_sha256(file: PortfolioFile, owners: tuple[LoadedOwner, ...], trend: Trend,
                     areas: Iterable[LoadedArea]) -> str:
    """SHA-256 of the canonical JSON of the validated portfolio: its identity, the owners'
    resolved profiles (``owner`` for one owner of every area), the shared trend and each
    area's name (and owner's name, with several) and validated spec as run.
    Comments, key order and file locations do not change it; any figure does."""
    several = file.owners is not None
    data = {
        "portfolio": file.portfolio.model_dump(mode="json"),
        "trend": trend.model_dump(mode="json"),
        "shared": file.shared.model_dump(mode="json"),
        "areas": [{"name": a.name, "spec": a.spec.spec.model_dump(mode="json"),
                   **({"owner": owners[a.owner].name} if several else {}),
                   **({"supply_chain_profiles": {k: p.model_dump(mode="json")
                                                 for k, p in sorted(a.spec.profiles)}}
                      if a.spec.profiles else {})} for a in areas],
    }
    if several:
        data["owners"] = [o.profile.model_dump(mode="json") for o in owners]
    else:
        data["owner"] = owners[0].profile.model_dump(mode="json")
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def load_portfolio(portfolio: str | Path, overrides: Iterable[str] = ()) -> LoadedPortfolio:
    """Find, read, override and validate a portfolio and every area's contract.

    Parameters
    ----------
    portfolio : path to a portfolio TOML, or a bundled portfolio name
        (``working-links-like``)
    overrides : ``PATH=VALUE`` strings applied to the portfolio file before validation,
        e.g. ``trend.binary_logit_sd=0.1``, ``owner.reserves=60000000``,
        ``areas.0.set=["cohorts.entrants_per_period=3000"]``

    Raises
    ------
    SpecError
        One line per problem in the file, its owner profile and its areas' specs, each
        naming the portfolio file and the path in it (``areas.1.spec``, ``owner.profile``).
    """
    path = resolve(portfolio, bundled_portfolios(), "portfolio", "pbr capital --help")
    source = str(portfolio) if not Path(portfolio).is_file() else str(path)
    base = path.parent
    raw = read_toml(path)
    places = set_places({}, raw, overrides)   # an override's problem names --set, not the file
    data = apply_overrides(raw, overrides)
    problems: list[str] = []

    def at(where: str, exc: SpecError) -> None:
        problems.extend(f"{source}: {where}: {line}" for line in exc.problems)

    raw_problems = owner_problems(data)  # on the file as given, before profiles fill names
    for where, owner_data in _raw_owners(data):
        if isinstance(owner_data, dict) and isinstance(owner_data.get("profile"), str):
            try:
                named = load_profile(_locate(owner_data["profile"], base))
            except SpecError as exc:
                at(f"{where}.profile", exc)
                named = None
            merged = {**(named or _PLACEHOLDER).model_dump(), **owner_data}
            if where == "owner":
                data["owner"] = merged
            else:
                data["owners"][int(where.split(".")[1])] = merged

    try:
        file = validate_as(PortfolioFile, data, source, places)
    except SpecError as exc:
        problems.extend(exc.problems)
        file = None

    # Load the areas even when the file has other problems, to report everything at once.
    raw_areas = data.get("areas") if isinstance(data.get("areas"), list) else []
    loaded: dict[int, LoadedSpec] = {}
    for i, area in enumerate(raw_areas):
        if not isinstance(area, dict) or not isinstance(area.get("spec"), str):
            continue  # reported by the file's validation
        sets = area.get("set", [])
        if not (isinstance(sets, list) and all(isinstance(s, str) for s in sets)):
            continue
        located = _locate(area["spec"], base)
        try:
            resolve(located)
        except SpecError as exc:
            at(f"areas.{i}.spec", exc)
            continue
        try:
            loaded[i] = load_spec(located, sets, set_label="set")
        except OverrideError as exc:
            at(f"areas.{i}.set", exc)
        except SpecError as exc:
            at(f"areas.{i}", exc)

    names = {i: a.get("name") for i, a in enumerate(raw_areas) if isinstance(a, dict)}
    problems += [str(Problem(source, p, m, v, v is not None)) for p, m, v in
                 [*raw_problems,
                  *area_problems({i: ls.spec for i, ls in loaded.items()}, names)]]
    if problems:
        raise SpecError(problems)

    entries = _owner_entries(file)
    index = {o.name: j for j, o in enumerate(entries)}
    of = [index[a.owner] if file.owners is not None else 0 for a in file.areas]
    owners = tuple(LoadedOwner(o.name, o.provider_profile(),
                               tuple(i for i, j in enumerate(of) if j == k))
                   for k, o in enumerate(entries))
    trend = file.trend if file.trend is not None else loaded[0].spec.trend
    areas = tuple(
        LoadedArea(a.name, _with_trend(loaded[i], trend), tuple(a.set), of[i])
        for i, a in enumerate(file.areas))
    return LoadedPortfolio(file, owners, trend, areas, source,
                           portfolio_sha256(file, owners, trend, areas))


def _owner_entries(file: PortfolioFile) -> list[Owner]:
    """The owners as the file gives them: ``[owner]`` alone, or the ``[[owners]]``."""
    return list(file.owners) if file.owners is not None else [file.owner]


def area_problems(specs: dict[int, ContractSpec],
                  names: dict[int, object]) -> list[tuple[str, str, object]]:
    """Problems between areas, ``(path, message, value)`` each, for the areas that loaded
    (``specs``, by index) and the names given (``names``, by index): names must differ;
    every area must share area 0's calendar (``start_date``, ``cohort_months``,
    ``first_cohort_month``) and
    currency; and none may have a social impact bond (the owner funds each area itself)."""
    problems: list[tuple[str, str, object]] = []
    first_seen: dict[object, int] = {}
    for i, name in names.items():
        if not isinstance(name, str):
            continue  # a name that is no text (a list, a table) is said by the field's check
        if name in first_seen:
            problems.append((f"areas.{i}.name", f"already the name of areas.{first_seen[name]}; "
                             "area names must differ", name))
        first_seen.setdefault(name, i)
    first = specs[0].contract if 0 in specs else None
    for i, spec in specs.items():
        c = spec.contract
        for field, why in (("start_date", "the national trend is drawn on one calendar"),
                           ("cohort_months", "the national trend is drawn on one calendar"),
                           ("first_cohort_month", "the national trend is drawn on one calendar"),
                           ("currency", "the owner's cash adds up in one currency")):
            if first is None or i == 0:
                break
            want = getattr(first, field)
            if getattr(c, field) != want:
                problems.append((
                    f"areas.{i}.spec", f"contract.{field} differs from areas.0 "
                    f"({names.get(0)!r}: {want}); every area must share it, as {why}: add "
                    f'"contract.{field}={want}" to areas.{i}.set', getattr(c, field)))
        if spec.sib is not None:
            problems.append((f"areas.{i}.spec", "has a [sib]; a portfolio's owner funds each "
                             "area itself, so social investment is not modelled here; use "
                             "`pbr capital` for the bond", None))
    return problems


def _locate(name: str, base: Path) -> str | Path:
    """A path relative to the portfolio file if one exists there, else the name as given
    (a bundled name, or a path :func:`resolve` reports as missing)."""
    candidate = base / name
    return candidate if is_file(candidate) else name


def _with_trend(loaded: LoadedSpec, trend: Trend) -> LoadedSpec:
    """The area's spec under the portfolio's trend; its hash still covers its supply
    chain's profile files, which are still its inputs."""
    if loaded.spec.trend == trend:
        return loaded
    spec = loaded.spec.model_copy(update={"trend": trend})
    return replace(loaded, spec=spec, sha256=spec_sha256(spec, dict(loaded.profiles)))

