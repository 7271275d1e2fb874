"""Push a trained model folder to a Hugging Face Hub repo, so that a Space (PIX2PIX_HUB_MODELS) or anyone can load it.

    python -m pix2pix.push weights/titian-lab your-name/titian-lab
    python -m pix2pix.push titian-lab your-name/titian-lab --private

The folder is checked first (it must load as the app loads it), then its config.json, model.safetensors and model
card are uploaded, nothing else (not the checkpoints and samples under train/). The token comes from HF_TOKEN or
`hf auth login`, never from the command line, and is never printed. A model trained with --push-to-hub is pushed
by the training run itself.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from huggingface_hub import HfApi, get_token
from huggingface_hub.errors import HFValidationError
from huggingface_hub.utils import validate_repo_id

from .errors import reports_user_errors
from .hub import CONFIG_FILE, WEIGHTS_FILE, PushError, hub_offline, load_generator, resolve

UPLOADED = [CONFIG_FILE, WEIGHTS_FILE, "README.md"]


def checked_repo(repo: str) -> str:
    """A Hub repo id (`owner/name`), refused at once with the Hub's own reason where it cannot be one."""
    try:
        validate_repo_id(repo)
    except HFValidationError as e:
        raise argparse.ArgumentTypeError(f"{repo!r} is not a Hub repo id: {str(e).splitlines()[0]}") from None
    return repo


def push(model: str | Path, repo: str, private: bool = False) -> str:
    """Upload the model folder's files to `repo` (made if missing) and return the repo's URL; every failure is a
    `PushError` saying what to do, the local folder untouched."""
    folder = resolve(model, local_files_only=True)
    load_generator(folder)  # what would not load in the app is not pushed
    if hub_offline():
        raise PushError(f"HF_HUB_OFFLINE is set, so the Hub cannot be reached: {folder} was not pushed")
    if not get_token():
        raise PushError(f"pushing to {repo} needs a Hub token: set HF_TOKEN (or run `hf auth login`)")
    api = HfApi()
    try:
        url = api.create_repo(repo, private=private, exist_ok=True)
        api.upload_folder(repo_id=repo, folder_path=folder, allow_patterns=UPLOADED,
                          commit_message=f"pix2pix studio: {folder.name}")  # fmt: skip
    except Exception as e:  # offline, a token without write rights, a name taken by another owner: said, not raised raw
        reason = next(iter(str(e).strip().splitlines()), type(e).__name__)
        raise PushError(f"pushing {folder} to the Hub repo {repo} failed: {reason}") from e
    return str(url)


@reports_user_errors
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m pix2pix.push", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help="model folder (config.json + model.safetensors) or the name of a shipped one (titian-lab)")
    p.add_argument("repo", type=checked_repo, help="the Hub repo to push to, owner/name (made if it does not exist)")
    p.add_argument("--private", action="store_true", help="make the repo private when it is created")
    args = p.parse_args(argv)
    print(f"pushed {args.model} to {push(args.model, args.repo, args.private)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
