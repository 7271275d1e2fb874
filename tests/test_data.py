import shutil
import tarfile

import pytest
import torch

from pix2pix.training.data import (
    DataError,
    Paintings,
    PairedImages,
    augment,
    center_crop,
    download_maps,
    list_images,
    painting_files,
)


def test_paired_layout_splits_a_and_b_and_respects_direction(ab_dataset):
    ds = PairedImages(ab_dataset, "train", size=72)
    assert len(ds) == 4 and ds.images.shape == (4, 6, 72, 72) and ds.images.dtype == torch.uint8
    a, b = ds[0]
    assert a.shape == b.shape == (3, 72, 72) and -1 <= a.min() and a.max() <= 1
    b2, a2 = PairedImages(ab_dataset, "train", size=72, direction="BtoA")[0]
    assert torch.equal(a, a2) and torch.equal(b, b2)
    assert (b * 127.5 + 127.5).round().unique().numel() < (a * 127.5 + 127.5).round().unique().numel()  # B is posterised
    assert len(PairedImages(ab_dataset, "train", size=8, limit=2)) == 2


def test_paintings_filter_by_artist_with_held_out_split(paintings):
    train = Paintings(paintings, ["Claude Monet"], "train", size=64, val_percent=30)
    val = Paintings(paintings, ["monet"], "val", size=64, val_percent=30)
    assert {p.name for p in train.files}.isdisjoint(p.name for p in val.files)
    assert len(train) + len(val) == 5
    again = Paintings(paintings, ["Claude Monet"], "train", size=64, val_percent=30)
    assert [p.name for p in again.files] == [p.name for p in train.files]  # deterministic
    L, ab = train[0]
    assert L.shape == (1, 64, 64) and ab.shape == (2, 64, 64)
    gray, rgb = Paintings(paintings, ["Klimt"], "all", size=64, space="rgb")[0]
    assert gray.shape == (1, 64, 64) and rgb.shape == (3, 64, 64)
    assert len(Paintings(paintings, ["Monet", "Klimt"], "all", size=32)) == 8
    limited = Paintings(paintings, ["Monet", "Klimt"], "all", size=32, limit=3)
    assert len(limited) == len(limited.files) == 3


def test_the_tune_split_is_carved_from_the_training_paintings_and_leaves_the_held_out_ones_alone(paintings):
    def names(split: str, tune: int) -> set[str]:
        return {p.name for p in painting_files(paintings, ["Monet"], split, val_percent=30, tune_percent=tune)[1]}

    train, tune, val = names("train", 50), names("tune", 50), names("val", 50)
    assert val == names("val", 0)  # the held-out paintings do not depend on the tune split
    assert tune and train and not tune & train and tune | train == names("train", 0)
    assert len(Paintings(paintings, ["Monet"], "train", size=32, val_percent=30, tune_percent=50)) == len(train)
    with pytest.raises(DataError, match="the tune split of Claude Monet is empty"):
        painting_files(paintings, ["Monet"], "tune", tune_percent=0)
    with pytest.raises(ValueError, match="split must be one of train, tune, val, all"):
        painting_files(paintings, ["Monet"], "test")


def test_clear_errors_for_missing_empty_and_unknown(tmp_path, paintings):
    with pytest.raises(DataError, match="not found"):
        PairedImages(tmp_path / "nope")
    (tmp_path / "train").mkdir()
    with pytest.raises(DataError, match="no images"):
        PairedImages(tmp_path)
    with pytest.raises(DataError, match="'Vermeer' has no images.*Claude Monet, Gustav Klimt"):
        Paintings(paintings, ["Vermeer"])


def test_a_dataset_folder_lists_the_image_files_the_cli_reads_and_nothing_else(tmp_path):
    for name in ("b/2.TIF", "a.jpg", "c.gif", "d.avif", "notes.txt", "z.png/readme.md"):  # z.png is a folder
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    assert [p.relative_to(tmp_path).as_posix() for p in list_images(tmp_path)] == ["a.jpg", "b/2.TIF", "c.gif", "d.avif"]


def test_augment_crops_and_flips_reproducibly():
    batch = torch.arange(2 * 3 * 10 * 10, dtype=torch.int64).view(2, 3, 10, 10)
    out = augment(batch, 8, torch.Generator().manual_seed(0))
    assert out.shape == (2, 3, 8, 8)
    assert torch.equal(out, augment(batch, 8, torch.Generator().manual_seed(0)))
    for i in range(2):  # every output row is a contiguous (possibly mirrored) run of an input row
        row = out[i, 0, 0]
        assert (row.diff().abs() == 1).all()
    assert torch.equal(center_crop(batch, 8), batch[..., 1:9, 1:9])


def test_zoom_augment_resizes_random_windows_of_the_image_reproducibly():
    batch = torch.linspace(0, 255, 40).repeat(40, 1).expand(3, 3, 40, 40).to(torch.uint8)  # a left-to-right ramp
    whole = torch.nn.functional.interpolate(batch.float(), size=(16, 16), mode="bilinear", antialias=True, align_corners=False)
    out = augment(batch, 16, torch.Generator().manual_seed(0), min_scale=1.0)  # the whole image, some mirrored
    assert out.shape == (3, 3, 16, 16) and out.dtype == torch.float32
    for k in range(3):
        assert torch.allclose(out[k], whole[0]) or torch.allclose(out[k], whole[0].flip(-1))
    zoomed = augment(batch, 16, torch.Generator().manual_seed(1), min_scale=0.25)
    assert torch.equal(zoomed, augment(batch, 16, torch.Generator().manual_seed(1), min_scale=0.25))
    spans = (zoomed[:, 0, 0, 0] - zoomed[:, 0, 0, -1]).abs()  # a window's share of the ramp: smaller when zoomed in
    assert spans.min() < 0.9 * (whole[0, 0, 0, -1] - whole[0, 0, 0, 0])
    assert 0 <= zoomed.min() and zoomed.max() <= 255


def test_download_maps_unpacks_an_archive(tmp_path, ab_dataset):
    archive = tmp_path / "maps.tar.gz"
    src = tmp_path / "src" / "maps"
    shutil.copytree(ab_dataset, src)
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(src, arcname="maps")
    dest = download_maps(tmp_path / "data", url=archive.as_uri())
    assert len(PairedImages(dest, "val", size=32)) == 2


def test_a_failed_maps_download_says_what_to_do_and_leaves_nothing(tmp_path):
    (tmp_path / "broken.tar.gz").write_bytes(b"not a tar archive")
    for url, reason in (
        ((tmp_path / "missing.tar.gz").as_uri(), "No such file"),
        ((tmp_path / "broken.tar.gz").as_uri(), "not a readable .tar.gz archive"),
    ):
        with pytest.raises(DataError, match=f"could not download {url} \\(.*{reason}.*\\): fetch it yourself"):
            download_maps(tmp_path / "data", url=url)
        assert list((tmp_path / "data").iterdir()) == []  # no half-written archive or folder


def test_colourless_paintings_are_left_out_and_counted(paintings, photos, tmp_path):
    shutil.copytree(paintings, tmp_path / "art")
    gray = tmp_path / "art" / "images" / "Claude_Monet_9.jpg"  # a real grayscale photo, as a drawing would be
    gray.write_bytes((photos / "camera.png").read_bytes())
    ds = Paintings(tmp_path / "art", ["Claude Monet"], "all", size=32)
    assert ds.colorless == [gray] and gray not in ds.files and len(ds) == len(ds.files) == 5
    from PIL import Image

    Image.open(photos / "chelsea.png").convert("L").convert("RGB").save(tmp_path / "art" / "images" / "Gustav_Klimt_9.jpg")
    assert len(Paintings(tmp_path / "art", ["Klimt"], "all", size=32).colorless) == 1  # RGB file, gray content


def test_artist_names_match_loosely_but_never_ambiguously(paintings):
    for name in ("Claude Monet", "claude monet", "MONET", "  monet "):
        assert Paintings(paintings, [name], "all", size=16).artists == ["Claude Monet"]
    with pytest.raises(
        DataError, match="'t' matches several artists: Claude Monet, Gustav Klimt. Artists found: Claude Monet, Gustav Klimt"
    ):
        Paintings(paintings, ["t"])
