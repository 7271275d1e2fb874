"""`gen_and_print` as a command: translate image files and folders, writing each result and a side-by-side figure.

    python -m pix2pix.predict --model weights/titian-lab photo.jpg --out result.png [--real painting.jpg]
    python -m pix2pix.predict --model weights/titian-lab photos/ more.jpg --out results/ [--strength 1.2]
    python -m pix2pix.predict --model weights/maps-aerial2map aerial/ --out maps/ --snap
    python -m pix2pix.predict --model weights/photo-lab photo.jpg --out result.png --hints '[[120, 80, "#3b8fe0"]]'

One input file and an --out ending in .png/.jpg: writes that figure (original | grayscale | generated | real)
and `<out>_generated.png`. Otherwise --out is a folder: every image in the inputs (folders are searched
recursively) gives `<name>_generated.png` and `<name>_figure.png` there, keeping the folders' layout; where two
inputs share a name (`a.jpg`, `a.png`) the extension joins it (`a_jpg_generated.png`); results of an earlier run
found under --out (inside an input folder) are left out. Unreadable files are skipped with a one-line reason; inputs,
and results already written in the same run, are never overwritten. The exit status is non-zero only if nothing
could be processed. What the model cannot do (--strength for an RGB or maps model, --snap without a map palette) is
said in a note. --hints (one input file): colour hints in its pixels, as a JSON list of [x, y, "#rrggbb"] or
[x, y, "#rrggbb", radius], or an image file the size of the photo whose opaque pixels are hints (a painted layer).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image
from tqdm import tqdm

from .errors import reports_user_errors
from .hub import file_in_the_way
from .hints import Hints
from .images import ImageError, image_files, load_image, opened, side_by_side
from .infer import STRENGTH_RANGE, Result, Translator
from .options import number

FIGURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


def figure(result: Result, task: str, real: Image.Image | None = None) -> Image.Image:
    panels = [("original", result.original)]
    if task == "colorize":
        panels.append(("grayscale (model input)", result.gray))
    panels.append(("generated", result.generated))
    if real is not None:
        panels.append(("real", real))
    return side_by_side(panels)


def gen_and_print(model: str | Path, image: str | Path, out: str | Path | None = None, real: str | Path | None = None,
                  strength: float = 1.0, snap: bool = False, hints: Hints = None) -> tuple[Path, Path]:  # fmt: skip
    """The course project's helper: load `model`, translate `image`, write the figure to `out` and the generated
    image to `<out>_generated.png`; without `out`, to `predictions/<name>_figure.png` and `<name>_generated.png`, as
    the command names them. `hints`: colour hints as `Translator` takes them."""
    if out is None:
        name = Path("predictions") / Path(image).stem
        fig, gen = Path(f"{name}_figure.png"), Path(f"{name}_generated.png")
    else:
        fig, gen = Path(out), generated_path(Path(out))
    translator = Translator.load(model, fast=True)  # bf16 where the CPU runs it natively, like the app
    return write_result(translator, image, fig, gen, real, strength, snap, hints)


def generated_path(figure_path: Path) -> Path:
    return figure_path.with_name(f"{figure_path.stem}_generated.png")


def save_whole(image: Image.Image, path: Path) -> None:
    """Write `image` beside `path`, then rename it there: a run stopped mid-write leaves no half-written image."""
    part = path.with_name(path.name + ".part")
    try:
        image.save(part, format=Image.registered_extensions()[path.suffix.lower()])
        part.replace(path)
    except BaseException:  # Ctrl+C or a full disk included: nothing half-written is left behind
        part.unlink(missing_ok=True)
        raise


def write_result(translator: Translator, image: str | Path, fig: Path, generated: Path, real: str | Path | None = None,
                 strength: float = 1.0, snap: bool = False, hints: Hints = None) -> tuple[Path, Path]:  # fmt: skip
    """Translate one image and write its figure and its generated image."""
    result = translator(image, strength=strength, snap=snap, hints=hints)
    real_im = Image.fromarray(load_image(real)[0]) if real else None
    for path in (fig, generated):
        path.parent.mkdir(parents=True, exist_ok=True)
    save_whole(figure(result, translator.model.task, real_im), fig)
    save_whole(result.generated, generated)
    for note in result.notes:
        tqdm.write(f"note ({Path(image).name}): {note}")
    return fig, generated


def hints_arg(text: str) -> Hints:
    """--hints: an image file, read with its transparency as a hint layer (not as a photo: that would put it on
    white), or else JSON text of a list of points. Each point and the layer's size are checked by the `Translator`."""
    if Path(text).is_file():
        try:
            with opened(Path(text)) as layer:
                layer.load()
                return layer
        except ImageError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
    try:
        points = json.loads(text)
    except json.JSONDecodeError as e:
        raise argparse.ArgumentTypeError(f"neither an image file nor a JSON list of [x, y, \"#rrggbb\"] ({e})") from None
    if not isinstance(points, list):
        raise argparse.ArgumentTypeError(f"a JSON list of [x, y, \"#rrggbb\"] is needed, got {type(points).__name__}")
    return points


def collect(inputs: list[Path], out_dir: Path) -> tuple[list[tuple[Path, Path]], int]:
    """(file, its output stem relative to the output folder) for every input file and every image below each folder,
    and how many images a folder held that are this command's results under `out_dir` (an earlier run's, left out:
    a folder that holds its own output folder is not translated again into `x_generated_generated.png`).
    Stems two files would share (case aside: some file systems ignore it) keep the extension, `a_jpg`."""
    found, out, earlier = [], out_dir.resolve(), 0
    for item in inputs:
        if item.is_dir():
            files = image_files(item)
            kept = [p for p in files if not (p.resolve().is_relative_to(out) and is_result(p))]
            earlier += len(files) - len(kept)
            found += [(p, Path(item.resolve().name) / p.relative_to(item).with_suffix("")) for p in kept]
        else:
            found.append((item, Path(item.stem)))
    counts = Counter(str(stem).lower() for _, stem in found)
    return [(p,
             stem.with_name(f"{stem.name}_{p.suffix[1:]}") if counts[str(stem).lower()] > 1 and p.suffix else stem) for p,
                 stem in found], earlier


def is_result(path: Path) -> bool:
    """A name this command writes: `<name>_generated.png` or `<name>_figure.png`."""
    return path.suffix == ".png" and path.stem.endswith(("_generated", "_figure"))


@dataclass
class Summary:
    written: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)


def predict_many(translator: Translator, inputs: list[Path], out_dir: Path, strength: float = 1.0, snap: bool = False) -> Summary:
    """Translate every image in `inputs` (files and folders) into `out_dir`, skipping what cannot be read."""
    summary = Summary()
    found, earlier = collect(inputs, out_dir)  # the folders are walked once
    if earlier:
        tqdm.write(f"left out {earlier} earlier results found under {out_dir}", file=sys.stderr)
    sources = {p.resolve() for p, _ in found}
    taken: set[str] = set()  # this run's outputs, lower-cased: a case-insensitive file system would merge them
    try:
        for path, stem in tqdm(found, desc="translating", unit="img"):
            fig, gen = out_dir / f"{stem}_figure.png", out_dir / f"{stem}_generated.png"
            if fig.resolve() in sources or gen.resolve() in sources:
                reason = "its output would overwrite an input file"
            elif str(gen.resolve()).lower() in taken:
                reason = f"its output {gen.name} would overwrite another input's result: rename one of them"
            elif not path.is_file():
                reason = "no such file"
            else:
                try:
                    write_result(translator, path, fig, gen, strength=strength, snap=snap)
                    summary.written.append(gen)
                    taken.add(str(gen.resolve()).lower())
                    continue
                except ImageError as e:
                    reason = str(e)
            summary.skipped.append((path, reason))
            tqdm.write(f"skipped {path}: {reason}", file=sys.stderr)
    except KeyboardInterrupt:  # Ctrl+C: what was written stays, each file whole
        raise KeyboardInterrupt(f"{len(summary.written)} of {len(found)} translated into {out_dir}") from None
    return summary


@reports_user_errors
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m pix2pix.predict", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("inputs", nargs="+", type=Path, help="image files and folders (any size; PNG, JPEG, WebP, ...)")
    p.add_argument("--model", required=True, help="model folder (config.json + model.safetensors), the name of a shipped "
                   "one (titian-lab) or Hub repo id")
    p.add_argument("--out", type=Path, default=Path("predictions"),
                   help="a figure file (one input) or a folder (default: predictions)")
    p.add_argument("--real", type=Path, help="one input only: the true target image, shown as a fourth panel")
    p.add_argument("--strength", type=number(float, *STRENGTH_RANGE), default=1.0,
                   help="Lab colorizers: colour strength, 0 (gray) to 1.5 (default 1)")
    p.add_argument("--snap", action="store_true", help="aerial -> map: draw in the model's map palette")
    p.add_argument("--hints", type=hints_arg, help="one input file: colour hints in its pixels, a JSON list of "
                   "[x, y, \"#rrggbb\"(, radius)] or an image file of its size whose opaque pixels are hints")
    args = p.parse_args(argv)
    single = args.out.suffix.lower() in FIGURE_SUFFIXES and not args.out.is_dir()
    if single and (len(args.inputs) > 1 or args.inputs[0].is_dir()):
        p.error(f"--out {args.out} names one figure, but the inputs give several results: give a folder")
    if single and not args.inputs[0].is_file():
        p.error(f"{args.inputs[0]}: no such file")
    if args.real and not single:
        p.error("--real needs exactly one input file and an --out figure file")
    if args.hints is not None and not single:
        p.error("--hints are given in one photo's pixels: they need exactly one input file and an --out figure file")
    if blocker := file_in_the_way(args.out.parent if single else args.out):  # the folder is made only once there is a result
        p.error(f"--out {args.out}: {blocker} is a file, not a folder (give a folder for several inputs, or a .png path for one)")
    translator = Translator.load(args.model, fast=True)  # loaded once; bf16 where the CPU runs it natively
    if single:
        if args.out.resolve() == args.inputs[0].resolve():
            p.error("--out would overwrite the input")
        fig, gen = write_result(translator, args.inputs[0], args.out, generated_path(args.out), args.real, args.strength,
                                args.snap, args.hints)
        print(f"wrote {fig} and {gen}")
        return 0
    summary = predict_many(translator, args.inputs, args.out, args.strength, args.snap)
    print(f"{len(summary.written)} translated into {args.out}, {len(summary.skipped)} skipped")
    return 0 if summary.written else 1


if __name__ == "__main__":
    sys.exit(main())
