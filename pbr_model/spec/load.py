"""Finding, reading and validating contract specs (overrides: :mod:`.overrides`).

A SPEC argument is a path to a TOML file, a path to an Excel input workbook
(``.xlsx``, see :mod:`pbr_model.spec.workbook`) or the name of a bundled contract
(``tr-crc-example`` or ``tr_crc_example``). Every problem in a spec is
collected and raised together as one :class:`~pbr_model.errors.SpecError`; in a
workbook each names the sheet and cell as well as the field.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping, TypeVar

from pydantic import BaseModel, ValidationError

from ..errors import OverrideError, Problem, SpecError, shown
from .fields import field_info, list_item, model_of
from .problems import problems_of
from .reading import (MAX_DEPTH, MAX_FILE_BYTES, _too_deep, depth, parse_value,  # noqa: F401
                      read_capped, read_toml, workbook_sheets)
from .overrides import apply_overrides, deep_copy, overridden, set_places, value_at
from .parties import ProfileFile, ProviderProfile
from .renames import upgrade
from .schema import ContractSpec, cross_check
from .wrong_kind import kind_of, not_a_contract, not_a_profile, not_results

DEFAULT_CONTRACT = "tr-crc-example"
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")  # read as a workbook, not TOML
M = TypeVar("M", bound=BaseModel)


@functools.cache
def bundled_dir() -> Path:
    """Folder of the bundled contracts: inside the installed package, or the
    repository's ``contracts/`` when running from a source checkout."""
    packaged = resources.files("pbr_model") / "contracts"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "contracts"


def bundled_contracts() -> dict[str, Path]:
    """Bundled contract names (file stem with ``_`` as ``-``) -> file path."""
    folder = bundled_dir()
    if not folder.is_dir():
        return {}
    return {p.stem.replace("_", "-"): p for p in sorted(folder.glob("*.toml"))}


def bundled_providers() -> dict[str, Path]:
    """Bundled provider profile names -> file path (``contracts/providers/``)."""
    folder = bundled_dir() / "providers"
    return {p.stem.replace("_", "-"): p for p in sorted(folder.glob("*.toml"))}


def bundled_name(name: str | Path) -> str:
    """The bundled name a SPEC argument would have (``tr_crc_example.toml`` -> ``tr-crc-example``)."""
    return str(name).removesuffix(".toml").replace("_", "-")


def resolve(spec: str | Path, bundled: dict[str, Path] | None = None,
            what: str = "contract", listing: str = "pbr list") -> Path:
    """Return the file a SPEC argument names: an existing path, else a bundled one."""
    path, name = Path(spec), shown(str(spec))
    if not str(spec).strip():  # Path("") is the current folder
        raise SpecError(f"{str(spec)!r}: an empty name; give a {what} file or a bundled "
                        f"{what}'s name (see `{listing}`)")
    if "\0" in str(spec):
        raise SpecError(f"{name}: not a file name (it contains a NUL character)")
    try:
        if path.is_file():
            return path
        exists, folder, link = path.exists(), path.is_dir(), path.is_symlink()
    except OSError as exc:  # a name too long, a folder that cannot be read
        raise SpecError(f"{name}: cannot read file ({exc.strerror or exc})") from None
    bundled = bundled_contracts() if bundled is None else bundled
    if bundled_name(spec) in bundled:
        return bundled[bundled_name(spec)]
    if folder:
        raise SpecError(f"{name}: is a directory, not a {what} file")
    if exists:
        raise SpecError(f"{name}: is not a regular file (a device, pipe or socket); give a "
                        f"{what} file")
    if link:
        raise SpecError(f"{name}: is a symbolic link that leads to no file (it is broken or "
                        "loops)")
    names = ", ".join(bundled) or "none"
    raise SpecError(
        f"{name}: no such file, and no bundled {what} of that name "
        f"(bundled: {names}; see `{listing}`)" + _other_kind(bundled_name(spec), what)
    )


def _other_kind(name: str, what: str) -> str:
    """What a name that is not a bundled ``what`` is bundled as, and where it goes."""
    folder = bundled_dir()
    kinds = [("portfolio", folder / "portfolios",
              f"run it with `pbr capital {name}`"),
             ("provider profile", folder / "providers",
              f"seat it in a contract with `pbr capital SPEC --provider {name}`"),
             ("contract", folder, f"use it wherever a SPEC is asked for, e.g. `pbr simulate "
                                  f"{name}`")]
    for kind, where, use in kinds:
        try:
            found = kind != what and (where / f"{name.replace('-', '_')}.toml").is_file()
        except (OSError, ValueError):  # a name no file can have
            found = False
        if found:
            return f"; {name} is a bundled {kind}: {use}"
    return ""


def load_profile(profile: str | Path, overrides: Iterable[str] = ()) -> ProviderProfile:
    """Find, read and validate a provider profile (path or bundled name).

    The file has one ``[provider]`` table with the fields of
    :class:`~pbr_model.spec.parties.ProviderProfile`: a TOML file, or a workbook written
    by ``pbr template FILE.xlsx --from PROFILE`` (its ``provider`` sheet). ``overrides``
    are ``PATH=VALUE`` strings (``provider.reserves=250000``) applied before validation.
    """
    path = resolve(profile, bundled_providers(), "provider profile", "pbr providers")
    source = str(profile) if not Path(profile).is_file() else str(path)
    where: dict[str, str] = {}
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        not_a_profile(None, path, source)
        from .workbook import read_workbook  # openpyxl only to read a workbook
        data, where = read_workbook(path, ProfileFile)
    else:
        data = read_toml(path)
        not_a_profile(data, path, source)
    where = set_places(where, data, overrides)
    data = apply_overrides(data, overrides) if overrides else data
    return validate_as(ProfileFile, data, source, where).provider


@dataclass(frozen=True)
class LoadedSpec:
    """A validated spec with where it came from and its fingerprint."""

    spec: ContractSpec
    source: str
    sha256: str
    #: The supply chain's profile files (read relative to the spec's folder), to be inputs.
    profile_files: tuple[str, ...] = ()
    #: The profiles read from those files, ``(profile as written, profile)`` each: in the
    #: hash of anything built on this spec (a portfolio's, a spec with another trend).
    profiles: tuple[tuple[str, ProviderProfile], ...] = ()

    @classmethod
    def of(cls, spec: "ContractSpec | LoadedSpec | str | Path") -> "LoadedSpec":
        """A ``LoadedSpec`` as is, a bare ``ContractSpec`` with its hash and no file, or a
        path or bundled name loaded with :func:`load_spec`."""
        if isinstance(spec, (str, Path)):
            return load_spec(spec)
        return spec if isinstance(spec, LoadedSpec) else cls(spec, "<spec>", spec_sha256(spec))


def spec_sha256(spec: ContractSpec, profiles: Mapping[str, ProviderProfile] | None = None
                ) -> str:
    """SHA-256 of the validated spec's canonical JSON.

    Computed on the effective spec (after defaults and overrides), so comments
    and key order do not change it but any change to a figure does. With ``profiles``
    (the supply chain's profiles read from files), the hash is of the spec and those
    profiles together, so changing a figure in such a file changes it too; a spec whose
    chain names only bundled profiles hashes as before.
    """
    data: Any = spec.model_dump(mode="json")
    if profiles:
        data = {"spec": data, "supply_chain_profiles": {
            k: p.model_dump(mode="json") for k, p in sorted(profiles.items())}}
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def validate_as(model: type[M], data: Any, source: str,
                where: Mapping[str, str] | None = None) -> M:
    """Validate plain data into ``model``, reporting every problem with its path (and,
    with ``where``, its place in the file: see :func:`placed`)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise SpecError([str(placed(p, where))
                         for p in problems_of(exc, data, source, model)]) from None


def placed(problem: Problem, where: Mapping[str, str] | None) -> Problem:
    """``problem`` with its place in the file after the file name.

    ``where`` maps dotted paths to places (``"sheet 'cohorts', cell B4"``, from
    :func:`~pbr_model.spec.workbook.read_workbook`); a path not in it takes the place of
    its nearest parent that is (a missing field: its list item or sheet).
    """
    path = problem.path
    while where and path:
        if path in where:
            return replace(problem, source=f"{problem.source}: {where[path]}")
        path = path.rpartition(".")[0]
    return problem


def validate(data: dict[str, Any], source: str = "<spec>",
             where: Mapping[str, str] | None = None) -> ContractSpec:
    """Validate plain data into a :class:`ContractSpec`, reporting every problem (in a
    workbook, with its sheet and cell from ``where``: see :func:`placed`). A field under its
    old name is read under its new one, with a warning (see :mod:`.renames`)."""
    data, renamed = upgrade(data, source)
    return _validated(data, source, where, renamed)


def _validated(data: dict[str, Any], source: str, where: Mapping[str, str] | None,
               renamed: list[tuple[str, str, object]], second: bool = True) -> ContractSpec:
    """:func:`validate` once old names are upgraded, with the problems that left. With
    ``second``, problems between fields are looked for even when some fields are wrong
    (see :func:`_beyond_field_errors`)."""
    def lines(problems: list[tuple[str, str, object]]) -> list[str]:
        return [str(placed(Problem(source, path, message, value, True), where))
                for path, message, value in problems]

    try:
        spec = ContractSpec.model_validate(data)
    except ValidationError as exc:
        found = problems_of(exc, data, source)
        first = [str(placed(p, where)) for p in found]
        later = _beyond_field_errors(data, found, source, where) if second else []
        raise SpecError([*lines(renamed), *first, *later]) from None
    from .profiles import chain_profiles, spec_folder  # (it reads profiles with this module)
    problems = renamed + cross_check(spec)
    chain = [str(placed(Problem(source, path, message, None, False), where))
             for path, message, _ in chain_profiles(spec, spec_folder(source))[1]]
    if problems or chain:
        raise SpecError([*lines(problems), *chain])
    return spec


def _beyond_field_errors(data: dict[str, Any], found: list[Problem], source: str,
                         where: Mapping[str, str] | None) -> list[str]:
    """The problems between fields that field errors hid.

    Pydantic checks between fields only once every field is valid, so a wrong type in one
    field would hide a cross-field problem elsewhere until it was fixed. Here each wrong
    field is mended (an unknown field dropped, a wrong value given its default) and the
    spec validated again; the problems that finds are returned, except any that names a
    mended field (it may be about the stand-in value, not the user's: see :func:`_about`).
    Nothing is returned when a problem cannot be mended so (a required field, or a problem
    of a whole section or list item, which may itself be a cross-field check).
    """
    mended = deep_copy(data)
    names = []
    for problem in found:
        keys: list[Any] = [int(k) if k.isdigit() else k for k in problem.path.split(".")]
        parent = value_at(mended, keys[:-1])
        if not problem.path or not isinstance(parent, dict) or keys[-1] not in parent:
            return []
        info = field_info(keys, data, ContractSpec)
        if problem.message.startswith("unknown field"):
            del parent[keys[-1]]
        elif (info is None or info.is_required() or model_of(info.annotation) is not None
              or list_item(info.annotation) is not None):
            return []
        else:
            parent[keys[-1]] = info.get_default(call_default_factory=True)
        names.append(keys)
    if not names:
        return []
    try:
        _validated(mended, source, where, [], second=False)
    except SpecError as exc:
        said = {str(placed(p, where)) for p in found}
        return [line for line in exc.problems
                if line not in said and not any(_about(line, keys) for keys in names)]
    return []


def _about(line: str, keys: list[Any]) -> bool:
    """Whether a problem's line may be about the mended field at ``keys``: it names the
    field's path, or it is in the field's section and names the field."""
    path = ".".join(map(str, keys))
    in_section = f": {keys[0]}." in line or f": {keys[0]}:" in line
    return path in line or (in_section and re.search(rf"\b{re.escape(str(keys[-1]))}\b",
                                                     line) is not None)


def load_spec(spec: str | Path, overrides: Iterable[str] = (), *,
              set_label: str = "--set") -> LoadedSpec:
    """Find, read, override and validate a spec.

    Parameters
    ----------
    spec : path (TOML, or an ``.xlsx`` input workbook) or bundled contract name
    overrides : ``PATH=VALUE`` strings applied before validation
    set_label : what a problem with an override's value names as its place (the file's own
        value was not at fault): ``--set`` (the command line), or, for a portfolio's area,
        its ``set`` list

    Raises
    ------
    SpecError
        With one line per problem, each naming file, field path, value and what is allowed
        (in a workbook, the sheet and cell too).
    """
    path = resolve(spec)
    overrides = list(overrides)
    where: dict[str, str] = {}
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        from .workbook import read_workbook  # here: openpyxl is imported only to read a workbook

        not_results(path, str(spec) if not Path(spec).is_file() else str(path), "contract spec")
        sheets = workbook_sheets(path)   # a profile's or portfolio's workbook, said at once
        if kind_of(sheets) in ("profile", "portfolio"):
            not_a_contract(dict.fromkeys(sheets), spec)
        data, where = read_workbook(path)
        not_a_contract(data, spec)
    else:
        data = read_toml(path)
        not_a_contract(data, spec)
    # a value set on the command line is not in the file: its problems name --set
    where = set_places(where, data, overrides, set_label)
    source = str(spec) if not Path(spec).is_file() else str(path)
    data, renamed = upgrade(data, source)  # before overrides, which may give a new name
    data, bad = overridden(data, overrides)
    try:  # the spec's problems with the good overrides, and the bad overrides, at once
        model = _validated(data, source, where, renamed)
    except SpecError as exc:
        raise (SpecError([*bad, *exc.problems]) if bad else exc) from None
    if bad:
        raise OverrideError(bad)
    from .hints import warn_small_percents
    warn_small_percents(model, source, where)
    from .profiles import chain_profiles, locate_profile, spec_folder
    base = spec_folder(source)
    profiles = chain_profiles(model, base)[0]
    files = tuple(str(locate_profile(name, base)) for name in profiles)
    return LoadedSpec(spec=model, source=source, sha256=spec_sha256(model, profiles),
                      profile_files=files, profiles=tuple(profiles.items()))
