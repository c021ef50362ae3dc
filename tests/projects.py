"""Small but ordinary Python projects for tests, built on disk: a package with a dependency
that only its own set-up can install (from a local wheel folder, so no network is needed),
the suite config in ``.aiwf/``, a script and sources that relative paths point at. With
``scm_wheels`` the project takes its version from git (setuptools + setuptools-scm, their
wheels copied into its wheel folder: ``download_scm_wheels`` fetches them once).

``python -m tests.projects DEST [--flat] [--work N] [--scm-wheels DIR]`` writes one (for the
container smoke script; the wheels are downloaded into DIR unless it has them).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import shutil
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

DEPENDENCY = "tinymark"
"""A made-up dependency (a wheel built here), so nothing can satisfy it but the set-up."""

SETUP = "pip install --no-index --find-links wheels -e ."

SCM_BUILD = ("setuptools>=64", "setuptools-scm>=8")
"""The build requirements of a project versioned by git (``scm_wheels``)."""


def write_wheel(
    folder: Path, name: str, version: str, files: dict[str, str], requires: tuple[str, ...] = ()
) -> Path:
    """A pure-Python wheel written by hand (METADATA, WHEEL, RECORD with hashes)."""
    info = f"{name}-{version}.dist-info"
    needs = "".join(f"Requires-Dist: {r}\n" for r in requires)
    content = {
        **files,
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n{needs}",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    record = []
    for path, text in content.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    record.append(f"{info}/RECORD,,")
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in content.items():
            archive.writestr(path, text)
        archive.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return wheel


DEPENDENCY_CODE = """\
def render(text):
    out = []
    for line in text.splitlines():
        out.append("<p>" + line.replace("*", "<em>", 1) + "</p>")
    return "\\n".join(out)
"""

BENCH_CODE = """\
import os
from pathlib import Path

import tinymark

DOC = "\\n".join("line *%d* of the document" % i for i in range(200))
WORK = {work}


def render_doc():
    probe = os.environ.get("AIWF_TEST_PROBE")
    if probe:
        with open(probe, "a", encoding="utf-8") as log:
            log.write(str(Path(__file__).resolve()) + "\\n")
    for _ in range(WORK):
        tinymark.render(DOC)
"""

BACKEND = """\
\"\"\"A PEP 517/660 build backend in the tree (no setuptools download needed): a wheel of the
package, or an editable one holding a .pth file that points at the sources.\"\"\"
import base64, hashlib, zipfile
from pathlib import Path

NAME, VERSION, REQUIRES = "mdproj", "0.1.0", ("tinymark",)
SOURCES = Path(__file__).resolve().parents[1] / {sources!r}


def _probe():
    # where the build found tinymark and pip (for tests of build isolation)
    import importlib.util, json, os
    target = os.environ.get("AIWF_TEST_BUILD_PROBE")
    if target:
        found = {{n: getattr(importlib.util.find_spec(n), "origin", None) for n in ("tinymark", "pip")}}
        Path(target).write_text(json.dumps(found))


def _wheel(directory, files):
    info = f"{{NAME}}-{{VERSION}}.dist-info"
    files = dict(files)
    needs = "".join(f"Requires-Dist: {{r}}\\n" for r in REQUIRES)
    files[f"{{info}}/METADATA"] = f"Metadata-Version: 2.1\\nName: {{NAME}}\\nVersion: {{VERSION}}\\n{{needs}}"
    files[f"{{info}}/WHEEL"] = "Wheel-Version: 1.0\\nGenerator: t\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data.encode()).digest()).rstrip(b"=")
        record.append(f"{{path}},sha256={{digest.decode()}},{{len(data.encode())}}")
    files[f"{{info}}/RECORD"] = "\\n".join(record + [f"{{info}}/RECORD,,"]) + "\\n"
    name = f"{{NAME}}-{{VERSION}}-py3-none-any.whl"
    with zipfile.ZipFile(Path(directory) / name, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return name


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    _probe()
    package = SOURCES / NAME
    files = {{f"{{NAME}}/{{p.relative_to(package)}}": p.read_text() for p in package.rglob("*.py")}}
    return _wheel(wheel_directory, files)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    return _wheel(wheel_directory, {{f"_{{NAME}}_editable.pth": str(SOURCES) + "\\n"}})


def build_sdist(sdist_directory, config_settings=None):
    raise NotImplementedError("wheels only")
"""

SCRIPT = """\
import mdproj.bench

for _ in range(20):
    mdproj.bench.render_doc()
"""

CONFIG = """\
suite: mdproj
{environment}defaults: {{warmup: 1, iterations: {iterations}, min-time: 20ms, memory: false, timeout: 120s}}
thresholds: {{duration: 20%}}
benchmarks:
  - name: render-doc
    python: mdproj.bench:render_doc
  - name: render-script
    command: python scripts/bench.py
  - name: read-sources
    file-batch:
      operations:
        - {{op: read, glob: "{package_dir}**/*.py"}}
"""


def download_scm_wheels(dest: Path) -> Path:
    """The wheels of ``SCM_BUILD`` and their dependencies in ``dest``, from the package index
    pip is configured with (once: an existing folder is reused); ``CalledProcessError`` when
    pip cannot get them."""
    if not any(dest.glob("setuptools_scm-*.whl")):
        download = [sys.executable, "-m", "pip", "download", "-q", "--only-binary=:all:"]
        subprocess.run(
            [*download, "-d", str(dest), *SCM_BUILD],
            check=True,
            capture_output=True,
            timeout=300,
        )
    return dest


def make_project(
    root: Path,
    *,
    flat: bool = False,
    work: int = 3,
    setup: bool = True,
    iterations: int = 6,
    scm_wheels: Path | None = None,
    build_requires: tuple[str, ...] = (),
) -> Path:
    """Write the project to ``root``: ``src/mdproj`` (or ``mdproj`` at the root with
    ``flat``), its dependency as a wheel in ``wheels/``, ``scripts/bench.py`` and the suite
    in ``.aiwf/bench.yml`` (with ``environment.setup`` unless ``setup`` is off). With
    ``scm_wheels`` (a folder from ``download_scm_wheels``) it is built by setuptools with its
    version from git (setuptools-scm), not by the in-tree backend. The in-tree backend needs
    ``build_requires`` (none by default: nothing to download) and, when
    ``AIWF_TEST_BUILD_PROBE`` names a file, writes there where a wheel build found
    ``tinymark`` and ``pip``."""
    package = root / ("mdproj" if flat else "src/mdproj")
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""A tiny project."""\n')
    (package / "bench.py").write_text(BENCH_CODE.format(work=work))
    (root / "scripts").mkdir()
    (root / "scripts" / "bench.py").write_text(SCRIPT)
    wheels = root / "wheels"
    wheels.mkdir()
    write_wheel(wheels, DEPENDENCY, "1.0", {f"{DEPENDENCY}.py": DEPENDENCY_CODE})
    if scm_wheels is None:
        _in_tree_backend(root, flat, build_requires)
    else:
        _setuptools_scm_build(root, scm_wheels, flat)
    environment = f"environment:\n  setup:\n    - {SETUP}\n" if setup else ""
    (root / ".aiwf").mkdir()
    (root / ".aiwf" / "bench.yml").write_text(
        CONFIG.format(
            environment=environment,
            iterations=iterations,
            package_dir="mdproj/" if flat else "src/",
        )
    )
    return root


def _in_tree_backend(root: Path, flat: bool, build_requires: tuple[str, ...]) -> None:
    (root / "_build").mkdir()
    (root / "_build" / "backend.py").write_text(BACKEND.format(sources="." if flat else "src"))
    (root / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""\
            [build-system]
            requires = {list(build_requires)!r}
            build-backend = "backend"
            backend-path = ["_build"]

            [project]
            name = "mdproj"
            version = "0.1.0"
            dependencies = ["{DEPENDENCY}"]
            """
        )
    )


def _setuptools_scm_build(root: Path, wheels: Path, flat: bool) -> None:
    for wheel in wheels.glob("*.whl"):
        shutil.copy(wheel, root / "wheels" / wheel.name)
    requires = ", ".join(f'"{r}"' for r in SCM_BUILD)
    find = 'include = ["mdproj*"]' if flat else 'where = ["src"]'
    (root / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""\
            [build-system]
            requires = [{requires}]
            build-backend = "setuptools.build_meta"

            [project]
            name = "mdproj"
            dynamic = ["version"]
            dependencies = ["{DEPENDENCY}"]

            [tool.setuptools.packages.find]
            {find}

            [tool.setuptools_scm]
            """
        )
    )


def make_sdist(root: Path, folder: Path) -> Path:
    """The project at ``root`` (made by ``make_project``) as a source distribution in
    ``folder``: everything but its ``wheels/``, under ``mdproj-0.1.0/``, with ``PKG-INFO``."""
    folder.mkdir(parents=True, exist_ok=True)
    sdist = folder / "mdproj-0.1.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as archive:
        for path in sorted(root.rglob("*")):
            relative = path.relative_to(root)
            if path.is_file() and relative.parts[0] != "wheels":
                archive.add(path, arcname=f"mdproj-0.1.0/{relative}")
        info = b"Metadata-Version: 2.1\nName: mdproj\nVersion: 0.1.0\n"
        member = tarfile.TarInfo("mdproj-0.1.0/PKG-INFO")
        member.size = len(info)
        archive.addfile(member, io.BytesIO(info))
    return sdist


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dest", type=Path)
    parser.add_argument("--flat", action="store_true")
    parser.add_argument("--work", type=int, default=3)
    parser.add_argument(
        "--scm-wheels", type=Path, help="version from git: the build's wheels (fetched once)"
    )
    args = parser.parse_args(argv)
    wheels = args.scm_wheels
    if wheels is not None:
        wheels.mkdir(parents=True, exist_ok=True)
        download_scm_wheels(wheels)
    make_project(args.dest, flat=args.flat, work=args.work, scm_wheels=wheels)
    print(args.dest)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
