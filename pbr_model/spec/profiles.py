"""A contract's supply chain profiles read from files: where a spec's relative file names
are read from, and each ``[[supply_chain]]`` entry's ``profile`` (a bundled name, or a
TOML or workbook profile file relative to the spec) found, read and checked."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import SpecError
from .load import bundled_name, bundled_providers, load_profile
from .parties import ProviderProfile
from .schema import ContractSpec


def spec_folder(source: str | Path) -> Path | None:
    """The folder a spec's relative file names are read from: its file's, or None (the
    working folder) for a bundled name or a spec with no file."""
    path = Path(source)
    return path.resolve().parent if path.is_file() else None


def locate_profile(profile: str, base: Path | None) -> str | Path:
    """A ``[[supply_chain]]`` entry's ``profile``: a file relative to ``base`` (the spec's
    folder) if there is one, else a bundled profile's name as given, else the path it
    would be (which :func:`load_profile` reports as missing)."""
    candidate = (base / profile) if base is not None else Path(profile)
    if candidate.is_file():
        return candidate
    return profile if bundled_name(profile) in bundled_providers() else candidate


def chain_profiles(spec: ContractSpec, base: Path | None
                   ) -> tuple[dict[str, ProviderProfile], list[tuple[str, str, object]]]:
    """The supply chain's profiles read from files (``{profile as written: profile}``; a
    bundled name is not in it) and the problems, ``(field path, message, None)``: a file
    missing or not a valid profile, each of its problems under the entry's path."""
    read, problems = {}, []
    for i, sub in enumerate(spec.supply_chain):
        located = locate_profile(sub.profile, base)
        try:
            profile = load_profile(located)
        except SpecError as exc:
            problems += [(f"supply_chain.{i}.profile", line, None) for line in exc.problems]
            continue
        if not isinstance(located, str):
            read[sub.profile] = profile
    return read, problems


def profiles_moved(loaded, path: Path) -> ContractSpec:
    """``loaded``'s spec (a :class:`~pbr_model.spec.load.LoadedSpec`) with each supply chain
    profile file named relative to a file written at ``path`` (a template workbook), not to
    the spec it came from: that file reads its relative names from its own folder. A bundled
    profile's name and an absolute path are kept."""
    base = spec_folder(loaded.source)
    if base is None or not loaded.spec.supply_chain:
        return loaded.spec
    target = path.resolve().parent
    chain = []
    for sub in loaded.spec.supply_chain:
        located = locate_profile(sub.profile, base)
        if not isinstance(located, str) and not Path(sub.profile).is_absolute():
            found = Path(located).resolve()
            try:
                name = Path(os.path.relpath(found, target)).as_posix()
            except ValueError:   # on another drive (Windows): no relative name reaches it
                name = found.as_posix()
            sub = sub.model_copy(update={"profile": name})
        chain.append(sub)
    return loaded.spec.model_copy(update={"supply_chain": chain})
