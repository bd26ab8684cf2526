"""The generated contracts are exactly what `make protos` produces from protos/."""

from __future__ import annotations

import filecmp
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _generator() -> object:
    spec = importlib.util.spec_from_file_location("gen_protos", ROOT / "scripts" / "gen_protos.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_protos"] = module
    spec.loader.exec_module(module)
    return module


def _differences(left: Path, right: Path) -> list[str]:
    comparison = filecmp.dircmp(left, right, ignore=["__pycache__"])
    found = [f"only in {left}: {n}" for n in comparison.left_only] + [
        f"only in generated: {n}" for n in comparison.right_only
    ]
    found += [f"differs: {left / n}" for n in comparison.diff_files]
    for name in comparison.common_dirs:
        found += _differences(left / name, right / name)
    return found


def test_generated_code_is_not_stale(tmp_path: Path) -> None:
    _generator().generate(tmp_path)  # type: ignore[attr-defined]

    stale = _differences(ROOT / "runtime" / "aigw", tmp_path / "aigw")

    assert not stale, "generated code is stale; run `make protos`:\n" + "\n".join(stale)


def test_every_area_has_a_v1_contract() -> None:
    areas = sorted(p.parent.parent.name for p in (ROOT / "protos" / "aigw").glob("*/v1/*.proto"))
    assert areas == ["auth", "cache", "common", "inference", "metering", "router"]
