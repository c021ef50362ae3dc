"""A tree's environment (``run.project``): a virtualenv of its own with pip's downloads
cached where ``actions/cache`` can keep them, and the set-up's failures told well."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aiwf_ci.config.models import EnvironmentSpec
from aiwf_ci.errors import SetupError
from aiwf_ci.run.project import prepared_tree

DUMP = (
    "python -c \"import json, os, sys; json.dump({'exe': sys.executable, "
    "'cache': os.environ.get('PIP_CACHE_DIR'), 'nocache': os.environ.get('PIP_NO_CACHE_DIR'), "
    "'venv': os.environ.get('VIRTUAL_ENV')}, open('env.json', 'w'))\""
)


def test_the_set_up_runs_in_the_tree_s_own_virtualenv_with_a_persistent_pip_cache(
    tmp_path: Path,
) -> None:
    lines: list[str] = []
    env = {"PATH": "/usr/bin:/bin", "PIP_NO_CACHE_DIR": "1"}  # as a container image may set
    spec = EnvironmentSpec(setup=(DUMP,))
    with prepared_tree(tmp_path, spec, env, log=lines.append, cache_dir=tmp_path / "cache") as tree:
        seen = json.loads((tmp_path / "env.json").read_text())
        assert tree.isolated and Path(tree.python).parent.name == "bin"
        assert seen["exe"].startswith(seen["venv"])  # `python` is the virtualenv's
        assert seen["cache"] == str(tmp_path / "cache" / "pip")
        assert seen["nocache"] is None
        venv = Path(seen["venv"])
    assert not venv.exists()  # removed with the block
    assert lines[0] == f"$ {DUMP}"


def test_a_timed_out_set_up_says_so(tmp_path: Path) -> None:
    spec = EnvironmentSpec(setup=("sleep 30",), timeout=1.0)
    with (
        pytest.raises(SetupError, match=r"set-up command 'sleep 30' timed out after 1s"),
        prepared_tree(tmp_path, spec, {"PATH": "/usr/bin:/bin"}, log=lambda _: None),
    ):
        pass
