"""Per-board calibration profiles on disk: one JSON file per board serial/address.

Stored under ``<data home>/profiles/`` (``--profile-dir`` overrides; the data home is ``--home``,
``$BALANCE_HOME`` or the platform's user data folder, see :mod:`balance.app.paths`). The fit itself
is :mod:`drivers.calibration`; this module only finds, writes and applies profiles.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from balance.app.paths import data_home, ensure_private_dir
from drivers.calibration import CalibrationProfile

__all__ = ["profiles_dir", "profile_path", "save_profile", "load_profile", "apply_stored_profile", "list_profiles"]


def profiles_dir(profile_dir: str | os.PathLike[str] | None = None, *, home: str | os.PathLike[str] | None = None) -> Path:
    """Where profiles live: ``profile_dir`` if given, else ``<data home>/profiles``."""
    if profile_dir:
        return Path(profile_dir).expanduser()
    return data_home(home) / "profiles"


def profile_path(serial: str, profile_dir: str | os.PathLike[str] | None = None) -> Path:
    """The profile file of the board with ``serial`` (address characters made file-name safe)."""
    if not serial:
        raise ValueError("the board has no serial/address; a calibration profile cannot be stored for it")
    safe = re.sub(r"[^A-Za-z0-9._-]", "-", serial.strip().lower())
    return profiles_dir(profile_dir) / f"{safe}.json"


def save_profile(profile: CalibrationProfile, profile_dir: str | os.PathLike[str] | None = None) -> Path:
    """Write ``profile`` atomically (temporary file, then rename); returns its path."""
    path = profile_path(profile.serial, profile_dir)
    ensure_private_dir(path.parent)
    tmp = path.with_suffix(".json.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(profile.to_dict(), fh, indent=2, allow_nan=False)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


def load_profile(serial: str | None, profile_dir: str | os.PathLike[str] | None = None) -> CalibrationProfile | None:
    """The stored profile of ``serial``, or None when there is none.

    Raises
    ------
    drivers.errors.CalibrationError
        The file exists but is not a valid profile (the message says to calibrate again).
    """
    if not serial:
        return None
    path = profile_path(serial, profile_dir)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        from drivers.errors import CalibrationError

        raise CalibrationError(f"{path} is not a readable calibration profile ({err}); run `balance calibrate` again") from err
    return CalibrationProfile.from_dict(data)


def apply_stored_profile(board: Any, profile_dir: str | os.PathLike[str] | None = None) -> CalibrationProfile | None:
    """Apply the stored profile of ``board`` (found by ``board.info.serial``) if there is one; return it."""
    profile = load_profile(board.info.serial, profile_dir)
    if profile is not None:
        board.apply_calibration(profile)
    return profile


def list_profiles(profile_dir: str | os.PathLike[str] | None = None) -> list[CalibrationProfile]:
    """Every readable profile in the folder."""
    d = profiles_dir(profile_dir)
    out = []
    for p in sorted(d.glob("*.json")) if d.is_dir() else []:
        try:
            out.append(CalibrationProfile.from_dict(json.loads(p.read_text(encoding="utf-8"))))
        except Exception:  # noqa: BLE001 - skip foreign files in a listing
            continue
    return out
