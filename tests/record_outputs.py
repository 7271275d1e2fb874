"""Record shipped models' outputs on the test photos for tests/test_reference_outputs.py, when a model is shipped
or replaced (the other models' recordings are kept as they are):

    python tests/record_outputs.py weights/photo-lab weights/claude-monet-lab
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))
from pix2pix.infer import Translator  # noqa: E402  (the checkout's own package, run as a script)

RECORDING = ROOT / "tests" / "data" / "reference_outputs.npz"
PHOTOS = ROOT / "tests" / "data"
THUMBNAIL = (96, 64)  # what is kept of each output: enough to see any change of colour or layout


def record(folder: Path) -> dict[str, np.ndarray]:
    """The model's outputs in fp32 (the app's path on a CPU without native bf16) as thumbnails, and the hash of its
    weights."""
    t = Translator.load(folder)
    digest = hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()
    out = {f"{folder.name}/sha256": np.frombuffer(digest.encode(), dtype=np.uint8)}
    for photo in sorted(p for p in PHOTOS.iterdir() if p.suffix.lower() in (".png", ".jpg")):
        out[f"{folder.name}/{photo.name}"] = np.asarray(t(str(photo)).generated.resize(THUMBNAIL, Image.Resampling.BOX))
    return out


def main(models: list[str]) -> int:
    kept = dict(np.load(RECORDING)) if RECORDING.exists() else {}
    for model in map(Path, models):
        kept = {k: v for k, v in kept.items() if not k.startswith(f"{model.name}/")} | record(model)
    np.savez_compressed(RECORDING, **kept)
    print(f"{RECORDING}: {len({k.split('/')[0] for k in kept})} models")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
