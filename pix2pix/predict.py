"""`gen_and_print` as a command: translate one image file and write a side-by-side figure.

    python -m pix2pix.predict --model weights/monet-lab photo.jpg --out result.png [--real painting.jpg]

Writes `result.png` (original | grayscale | generated | real) and `result_generated.png` (the output alone).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image

from .hub import ModelError
from .images import ImageError, load_image, side_by_side
from .infer import Result, Translator


def figure(result: Result, task: str, real: Image.Image | None = None) -> Image.Image:
    panels = [("original", result.original)]
    if task == "colorize":
        panels.append(("grayscale (model input)", result.gray))
    panels.append(("generated", result.generated))
    if real is not None:
        panels.append(("real", real))
    return side_by_side(panels)


def gen_and_print(model: str | Path, image: str | Path, out: str | Path, real: str | Path | None = None) -> tuple[Path, Path]:
    """Translate `image` with `model`; write the figure to `out` and the generated image beside it."""
    translator = Translator.load(model, fast=True)  # bf16 where the CPU runs it natively, like the app
    result = translator(image)
    real_im = Image.fromarray(load_image(real)[0]) if real else None
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    generated = out.with_name(f"{out.stem}_generated.png")
    figure(result, translator.model.task, real_im).save(out)
    result.generated.save(generated)
    for note in result.notes:
        print(f"note: {note}")
    return out, generated


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m pix2pix.predict", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("image", help="input image file (any size; PNG, JPEG, WebP, ...)")
    p.add_argument("--model", required=True, help="model folder (config.json + model.safetensors) or Hub repo id")
    p.add_argument("--out", default="result.png", help="figure to write (default: result.png)")
    p.add_argument("--real", help="the true target image, shown as a fourth panel")
    args = p.parse_args(argv)
    try:
        fig, gen = gen_and_print(args.model, args.image, args.out, args.real)
    except (ImageError, ModelError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {fig} and {gen}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
