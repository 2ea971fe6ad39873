"""Finding, reading, overriding and validating contract specs.

A SPEC argument is a path to a TOML file, a path to an Excel input workbook
(``.xlsx``, see :mod:`pbr_model.spec.workbook`) or the name of a bundled contract
(``tr-crc-example`` or ``tr_crc_example``). Every problem in a spec is
collected and raised together as one :class:`~pbr_model.errors.SpecError`; in a
workbook each names the sheet and cell as well as the field.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping, TypeVar

from pydantic import BaseModel, ValidationError

from ..errors import OverrideError, Problem, SpecError, clip, short, shown
from .fields import model_of
from .parties import ProfileFile, ProviderProfile
from .renames import new_path, upgrade, warn_renamed
from .schema import PAYMENT_TYPES, ContractSpec, cross_check

DEFAULT_CONTRACT = "tr-crc-example"
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")  # read as a workbook, not TOML
M = TypeVar("M", bound=BaseModel)

#: The largest spec, profile or portfolio file read [bytes]: bundled contracts are about
#: 20 KB, so a file near this is a mistake (a log, a data dump), not a contract.
MAX_FILE_BYTES = 10_000_000
#: The deepest nesting of tables and lists read: the schema's deepest field is six levels
#: down (``payments.0.rates.0.hurdle.level``), so more is never a contract.
MAX_DEPTH = 32


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
        f"(bundled: {names}; see `{listing}`)"
    )


def load_profile(profile: str | Path) -> ProviderProfile:
    """Find, read and validate a provider profile (path or bundled name).

    The file has one ``[provider]`` table with the fields of
    :class:`~pbr_model.spec.parties.ProviderProfile`.
    """
    path = resolve(profile, bundled_providers(), "provider profile", "pbr providers")
    source = str(profile) if not Path(profile).is_file() else str(path)
    return validate_as(ProfileFile, read_toml(path), source).provider


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file into plain data (TOML cannot execute code).

    At most :data:`MAX_FILE_BYTES` are read, and tables and lists may nest at most
    :data:`MAX_DEPTH` deep."""
    raw = read_capped(path)
    if raw[:4] == b"PK\x03\x04":
        raise SpecError(f"{path}: is a zip archive (an Excel workbook?), not TOML; a workbook "
                        "made by `pbr template` must be named .xlsx")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise SpecError(f"{path}: not a text file (TOML must be UTF-8): byte {exc.start + 1} "
                        "is not UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise SpecError(f"{path}: {_too_deep('tables and lists')}") from None
    if depth(data) > MAX_DEPTH:
        raise SpecError(f"{path}: {_too_deep('tables and lists')}")
    return data


def read_capped(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of ``path``, refusing a file larger than ``limit`` without reading it all."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise SpecError(f"{path}: cannot read file ({exc.strerror or exc})") from None
    if len(raw) > limit:
        raise SpecError(f"{path}: larger than {limit:,} bytes, the most a spec file may be; "
                        "is it the right file?")
    return raw


def depth(data: Any) -> int:
    """How deep tables and lists nest in ``data`` (a plain value: 0), without recursion."""
    deepest, stack = 0, [(data, 0)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, (dict, list)):
            deepest = max(deepest, level + 1)
            if level + 1 > MAX_DEPTH:
                break  # deep enough to refuse: walk no further
            stack.extend((v, level + 1) for v in (node.values() if isinstance(node, dict)
                                                  else node))
    return deepest


def _too_deep(what: str) -> str:
    return f"{what} nest more than {MAX_DEPTH} deep, deeper than any field of a spec"


def parse_value(text: str) -> Any:
    """Read an override's VALUE as a TOML value (number, bool, date, string,
    list, inline table); anything else is taken as a plain string. A value nested more
    than :data:`MAX_DEPTH` deep is an :class:`OverrideError`."""
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text
    except RecursionError:
        raise OverrideError(_too_deep("lists and tables in the value")) from None
    if depth(value) > MAX_DEPTH:
        raise OverrideError(_too_deep("lists and tables in the value"))
    return value


def apply_overrides(data: dict[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """Return a copy of ``data`` with each ``PATH=VALUE`` applied.

    PATH is dotted; list items are addressed by 0-based index
    (``payments.1.binary_price=2500``, ``population.bands.0.share=0.3``).
    Paths that name no field are caught by validation, which lists the allowed
    fields. A field's old name (see :mod:`.renames`) sets the field under its new name,
    with a warning; setting both names of one field is an error.
    """
    data = _deep_copy(data)
    problems = []
    given: dict[str, str] = {}  # path set -> the path as given, to catch both names of one
    for item in overrides:
        path, sep, value = item.partition("=")
        path = path.strip()
        if not sep or not path:
            problems.append(f"--set {short(item)}: expected PATH=VALUE, e.g. "
                            "--set intervention.effect.binary.mean=0.08")
            continue
        new = new_path(path)
        if new is not None:
            warn_renamed(path, new, f"use --set {new}={value.strip()}")
        target = new or path
        if given.setdefault(target, path) != path:
            problems.append(f"--set {short(item)}: {target} is set by both its names ({path} and "
                            f"{given[target]}); set {target} only")
            continue
        path = target
        keys = path.split(".")
        if any(not k for k in keys):
            problems.append(f"--set {short(item)}: empty part in path {short(path)}")
            continue
        if len(keys) > MAX_DEPTH:
            problems.append(f"--set {short(item)}: the path has {len(keys)} parts; "
                            f"{_too_deep('fields')}")
            continue
        try:
            _set_path(data, keys, parse_value(value.strip()))
        except OverrideError as exc:
            problems.extend(f"--set {short(item)}: {p}" for p in exc.problems)
    if problems:
        raise OverrideError(problems)
    return data


def _deep_copy(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _deep_copy(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_deep_copy(v) for v in obj]
    return obj


def _set_path(node: Any, keys: list[str], value: Any) -> None:
    for level, key in enumerate(keys):
        last = level == len(keys) - 1
        where = ".".join(keys[: level + 1])
        if isinstance(node, list):
            if not key.isdigit() or len(key) > 9 or int(key) >= len(node):
                allowed = f"0 to {len(node) - 1}" if node else "the list is empty"
                raise OverrideError(f"{clip(where)}: {short(key)} is not an index of this "
                                    f"list ({allowed})")
            if last:
                node[int(key)] = value
            else:
                node = node[int(key)]
        elif isinstance(node, dict):
            if last:
                node[key] = value
            else:
                node = node.setdefault(key, {})
        else:
            raise OverrideError(f"{clip(where)}: {clip('.'.join(keys[:level]))} is a value, "
                                "not a section")


@dataclass(frozen=True)
class LoadedSpec:
    """A validated spec with where it came from and its fingerprint."""

    spec: ContractSpec
    source: str
    sha256: str

    @classmethod
    def of(cls, spec: "ContractSpec | LoadedSpec | str | Path") -> "LoadedSpec":
        """A ``LoadedSpec`` as is, a bare ``ContractSpec`` with its hash and no file, or a
        path or bundled name loaded with :func:`load_spec`."""
        if isinstance(spec, (str, Path)):
            return load_spec(spec)
        return spec if isinstance(spec, LoadedSpec) else cls(spec, "<spec>", spec_sha256(spec))


def spec_sha256(spec: ContractSpec) -> str:
    """SHA-256 of the validated spec's canonical JSON.

    Computed on the effective spec (after defaults and overrides), so comments
    and key order do not change it but any change to a figure does.
    """
    canonical = json.dumps(spec.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def validate_as(model: type[M], data: Any, source: str,
                where: Mapping[str, str] | None = None) -> M:
    """Validate plain data into ``model``, reporting every problem with its path (and,
    with ``where``, its place in the file: see :func:`placed`)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise SpecError([str(placed(p, where))
                         for p in _problems(exc, data, source, model)]) from None


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
               renamed: list[tuple[str, str, object]]) -> ContractSpec:
    """:func:`validate` once old names are upgraded, with the problems that left."""
    def lines(problems: list[tuple[str, str, object]]) -> list[str]:
        return [str(placed(Problem(source, path, message, value, True), where))
                for path, message, value in problems]

    try:
        spec = validate_as(ContractSpec, data, source, where)
    except SpecError as exc:
        raise SpecError([*lines(renamed), *exc.problems]) from None
    problems = renamed + cross_check(spec)
    known = bundled_providers()
    problems += [(f"supply_chain.{i}.profile", "no bundled provider profile of that name; "
                  f"bundled: {', '.join(known)}", s.profile)
                 for i, s in enumerate(spec.supply_chain) if bundled_name(s.profile) not in known]
    if problems:
        raise SpecError(lines(problems))
    return spec


def load_spec(spec: str | Path, overrides: Iterable[str] = ()) -> LoadedSpec:
    """Find, read, override and validate a spec.

    Parameters
    ----------
    spec : path (TOML, or an ``.xlsx`` input workbook) or bundled contract name
    overrides : ``PATH=VALUE`` strings applied before validation

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

        data, where = read_workbook(path)
        for item in overrides:  # a value set on the command line is not in its cell
            key = item.partition("=")[0].strip()
            key = new_path(key) or key  # an old field name sets the new field
            where = {p: w for p, w in where.items() if not p.startswith(key + ".")}
            where[key] = "--set"
    else:
        data = read_toml(path)
    source = str(spec) if not Path(spec).is_file() else str(path)
    data, renamed = upgrade(data, source)  # before overrides, which may give a new name
    model = _validated(apply_overrides(data, overrides), source, where, renamed)
    return LoadedSpec(spec=model, source=source, sha256=spec_sha256(model))


# -- turning pydantic's errors into ours -------------------------------------------------------

def _problems(exc: ValidationError, data: Any, source: str,
              root: type[BaseModel] = ContractSpec) -> list[Problem]:
    out, seen = [], set()
    for err in exc.errors(include_url=False):
        path, model = _clean_loc(err["loc"], data, root)
        if path in seen:
            continue  # one value failing each member of a union: report it once
        seen.add(path)
        kind = err["type"]
        message = err["msg"]
        has_value = kind not in ("missing",) and not isinstance(err.get("input"), dict)
        if kind == "extra_forbidden":
            allowed = sorted(model.model_fields) if model is not None else []
            message = "unknown field" + (f"; allowed here: {', '.join(allowed)}" if allowed else "")
            has_value = False
        elif kind == "missing":
            message = "required field is missing"
        elif kind == "value_error":
            message = message.removeprefix("Value error, ")
            # a cross-field message that shows what it was given already says it once
            has_value = has_value and "(got " not in message and not _section(err.get("input"))
        elif kind in ("union_tag_not_found", "union_tag_invalid"):
            allowed = ", ".join(f"'{t}'" for t in PAYMENT_TYPES)
            message = ("payment needs a `type`" if kind == "union_tag_not_found"
                       else f"unknown payment type {err['ctx'].get('tag')!r}")
            message += f"; allowed types: {allowed}"
            has_value = False
        elif kind in ("bool_type", "int_type", "float_type") and isinstance(err.get("input"), bool):
            message = "must be a number, not true/false"
        out.append(Problem(source, path, message, err.get("input"), has_value))
    # A value failing several members of a union (a number, or a list of numbers)
    # is reported at the deepest place only.
    return [p for p in out if not any(q.path.startswith(p.path + ".") for q in out)]


def _section(value: Any) -> bool:
    """Whether ``value`` is a list of tables (a section such as the bands), which a message
    about it names rather than echoes."""
    return isinstance(value, list) and any(isinstance(v, dict) for v in value)


def _clean_loc(loc: tuple, data: Any,
               root: type[BaseModel] = ContractSpec) -> tuple[str, type[BaseModel] | None]:
    """Dotted path for an error location, dropping pydantic's union tags, and the
    model class at the parent of the last element (to list allowed keys)."""
    parts: list[str] = []
    node: Any = data
    model: type[BaseModel] | None = root
    parent_model: type[BaseModel] | None = root
    for item in loc:
        if isinstance(node, dict) and isinstance(item, str) and item not in node \
                and node.get("type") == item:
            model = _payment_model(item)  # discriminated-union tag, not a key
            continue
        if isinstance(item, str) and node is not None and not isinstance(node, dict):
            continue  # plain-union member tag ('float', 'list[float]'): a value has no keys
        parts.append(str(item))
        parent_model = model
        if isinstance(node, (dict, list)):
            try:
                node = node[item]
            except (KeyError, IndexError, TypeError):
                node = None
        model = _child_model(model, item)
    return ".".join(parts), parent_model


def _child_model(model: type[BaseModel] | None, key: Any) -> type[BaseModel] | None:
    if model is None or isinstance(key, int):
        return model
    field = model.model_fields.get(key)
    return None if field is None else model_of(field.annotation)


def _payment_model(tag: str) -> type[BaseModel] | None:
    return PAYMENT_TYPES.get(tag)
