"""The package's layers: each module imports only from the floors below it, so nothing runs back up or in a circle,
and every problem a user can fix is one kind of error that the commands report alike."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from pix2pix.training.data import DataError
from pix2pix.errors import UserError, reports_user_errors
from pix2pix.hub import ModelError, PushError
from pix2pix.images import ImageError
from pix2pix.training.config import ConfigError

PACKAGE = Path(__file__).parents[1] / "pix2pix"
FLOORS = {  # the bottom first; the app, train/ and bench/ stand above them all. "training.*": pix2pix/training/
    0: {"errors", "options"},  # what every command shares: the kinds of user error, the range-checked options
    1: {"models", "color", "images", "palette", "card", "transfer", "spread", "training.hues", "training.config"},
    2: {"hints", "training.metrics"},  # colour hints (from the user, or simulated from real colours); per-image scores
    3: {"kinds"},  # one class per kind of model: what its network sees and predicts
    4: {"hub", "training.data", "training.losses"},
    5: {"infer"},
    # the app's models and its server's upkeep; the predict and push commands; palette snap; D; the hint sweep
    6: {"registry", "serving", "predict", "push", "training.snap", "training.critic", "training.sweep"},
    7: {"training.setup", "training.scoring"},  # what a training run is set up from; what a colorizer is scored by
    # a run's checkpoint; the photos a painter's model paints in its palette; the maps' scores
    8: {"training.checkpoint", "training.palette_check", "training.maps_scoring"},
    9: {"training.evaluate"},  # the held-out scores
    10: {"training.trainer", "training.fit_transfer", "training.fit_adapter"},  # the trainer; a transfer, an adapter fitted
    11: {"training.showcase"},  # the figure of every colorizer on the test photos
}
FLOOR = {name: floor for floor, names in FLOORS.items() for name in names}


def module_name(path: Path) -> str:
    """`pix2pix/training/data.py` -> "training.data"."""
    return ".".join(path.relative_to(PACKAGE).with_suffix("").parts)


def imports_of(path: Path) -> tuple[set[str], set[str]]:
    """The modules of this package that `path` imports (as `module_name` names them), and the other top-level
    packages it imports (code only, not text in strings, nor the imports of type annotations under
    `if TYPE_CHECKING:`, which never run)."""
    own, other = set(), set()
    here = module_name(path).split(".")[:-1]  # the subpackage the file is in ([] for pix2pix itself)
    tree = ast.parse(path.read_text())
    typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
                   for n in ast.walk(node)}  # fmt: skip
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.level:
            base = here[: len(here) - (node.level - 1)]
            own.add(".".join([*base, *(node.module or "").split(".")]))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for name in [node.module] if isinstance(node, ast.ImportFrom) else [alias.name for alias in node.names]:
                top, _, rest = name.partition(".")
                if top == "pix2pix" and rest:
                    own.add(rest)
                else:
                    other.add(top)
    return own, other


def test_every_module_has_a_floor():
    modules = {module_name(p) for p in PACKAGE.rglob("*.py") if p.stem != "__init__"}
    assert modules == set(FLOOR), "a new module needs its floor in FLOORS (and in the README's layout)"


@pytest.mark.parametrize("name", sorted(FLOOR))
def test_modules_import_only_from_floors_below(name):
    own, other = imports_of(PACKAGE / f"{name.replace('.', '/')}.py")
    upward = sorted(m for m in own if FLOOR[m] >= FLOOR[name])
    assert not upward, f"pix2pix.{name} (floor {FLOOR[name]}) imports {upward}, on its own floor or above"
    assert not other & {"app", "train", "bench"}, f"pix2pix.{name} imports a command"


@pytest.mark.parametrize("name", sorted(n for n in FLOOR if not n.startswith("training.")))
def test_what_the_app_needs_never_imports_the_training_package(name):
    own, _ = imports_of(PACKAGE / f"{name}.py")
    assert not [m for m in own if m.startswith("training")], f"pix2pix.{name} imports training modules"


def test_the_app_imports_nothing_of_the_training_package():
    tree = ast.parse((Path(__file__).parents[1] / "app.py").read_text())
    names = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    names += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [n for n in names if n and (n.startswith("pix2pix.training") or n.split(".")[0] == "train")]


@pytest.mark.parametrize(
    "kind,base",
    [
        (DataError, FileNotFoundError),
        (ImageError, ValueError),
        (ModelError, RuntimeError),
        (PushError, RuntimeError),
        (ConfigError, ValueError),
    ],
)
def test_user_errors_keep_their_builtin_base(kind, base):
    assert issubclass(kind, UserError) and issubclass(kind, base)  # callers that catch the builtin still catch it


def test_a_command_reports_a_user_error_in_one_line_and_lets_bugs_through(capsys):
    @reports_user_errors
    def main(problem: Exception | None) -> int:
        if problem:
            raise problem
        return 0

    assert main(None) == 0
    assert main(DataError("dataset folder not found: x")) == 2
    assert capsys.readouterr().err == "error: dataset folder not found: x\n"
    with pytest.raises(KeyError):  # a bug is not the user's to fix: its traceback stays
        main(KeyError("bug"))
