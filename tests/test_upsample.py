"""The decoder's resize upsampling: why it exists (no checkerboard on flat inputs), and fitting a trained model into it."""

import pytest
import torch

from pix2pix.hub import Pix2PixGenerator, load_generator
from pix2pix.models import TAPS, ResizeConv, UNetGenerator, count_parameters, up_conv
from pix2pix.training.setup import resize_kernel, with_resize_upsampling
from pix2pix.training.trainer import Trainer, train
from tests.test_train import tiny


def interior_spread(y: torch.Tensor) -> float:
    return y[..., 2:-2, 2:-2].std(dim=(-2, -1)).max().item()  # per channel: flat means flat in each


def test_a_transposed_convolution_paints_a_checkerboard_on_a_flat_input_and_a_resize_one_does_not():
    torch.manual_seed(0)
    flat = torch.ones(1, 4, 16, 16)
    transposed, resize = up_conv(4, 3, True, "transposed"), up_conv(4, 3, True, "resize")
    t = transposed(flat)
    assert interior_spread(t) > 0.01
    assert torch.allclose(t[..., 2:-4:2, 2:-4:2], t[..., 4:-2:2, 4:-2:2])  # period 2: a checkerboard
    assert interior_spread(resize(flat)) < 1e-6
    with pytest.raises(ValueError, match="upsample"):
        up_conv(4, 3, True, "bicubic")


def test_a_resize_convolution_is_a_nearest_resize_and_a_3x3_convolution_borders_included():
    torch.manual_seed(0)
    r = ResizeConv(4, 3, bias=True)
    torch.nn.init.normal_(r.bias)
    conv = torch.nn.Conv2d(4, 3, 3, 1, 1)
    conv.weight.data, conv.bias.data = r.weight.data, r.bias.data
    x = torch.randn(2, 4, 7, 9)
    assert torch.allclose(r(x), conv(torch.nn.functional.interpolate(x, scale_factor=2, mode="nearest")), atol=1e-5)


def test_the_fit_is_exact_for_kernels_without_a_checkerboard():
    v = torch.randn(5, 3, 3, 3, dtype=torch.float64)  # (out, in, 3, 3)
    w = torch.einsum("ka,oiab,lb->iokl", TAPS.double(), v, TAPS.double())  # the transposed kernel that resize + v equals
    assert torch.allclose(resize_kernel(w), v)
    t = torch.nn.ConvTranspose2d(3, 5, 4, 2, 1, bias=False)
    t.weight.data = w.float()
    r = up_conv(3, 5, False, "resize")
    r.weight.data = resize_kernel(t.weight.data)
    x = torch.randn(1, 3, 8, 8)
    assert torch.allclose(t(x), r(x), atol=1e-5)


def test_a_fitted_model_keeps_everything_but_its_decoder_kernels_and_loads_as_resize(tmp_path):
    torch.manual_seed(0)
    G = Pix2PixGenerator(3, 3, ngf=8, depth=4, image_size=64, direction="BtoA").eval()
    R = with_resize_upsampling(G).eval()
    assert R.upsample == "resize" and not any(isinstance(m, torch.nn.ConvTranspose2d) for m in R.modules())
    assert torch.equal(R.down[1][1].weight, G.down[1][1].weight)
    assert torch.equal(R.up[1][2].running_var, G.up[1][2].running_var)
    assert torch.equal(R.up[1][1].weight, resize_kernel(G.up[1][1].weight))
    R.save(tmp_path / "r")
    loaded = load_generator(tmp_path / "r")
    x = torch.rand(1, 3, 64, 64)
    assert loaded.upsample == "resize" and torch.equal(loaded.up[1][1].weight, R.up[1][1].weight.half().float())
    assert torch.allclose(loaded(x), R(x), atol=1e-3)  # stored in fp16


def test_a_new_resize_model_has_three_by_three_kernels_where_the_paper_has_four_by_four():
    paper, resize = UNetGenerator(3, 3, ngf=8, depth=5), UNetGenerator(3, 3, ngf=8, depth=5, upsample="resize")
    assert resize(torch.rand(1, 3, 64, 64)).shape == (1, 3, 64, 64)
    kernels = sum(m.weight.numel() for m in paper.modules() if isinstance(m, torch.nn.ConvTranspose2d))
    assert count_parameters(paper) - count_parameters(resize) == kernels * 7 // 16


def test_inference_keeps_the_resize_kernel_until_the_weights_change():
    r = ResizeConv(2, 2, bias=False)
    x = torch.randn(1, 2, 5, 5)
    with torch.no_grad():
        first = r(x)
        assert r.kernel() is r.kernel()  # built once
        r.weight.mul_(2)  # an in-place change (an optimizer step, a state load) rebuilds it
        assert torch.allclose(r(x), 2 * first)
    y = r(x)  # with gradients: built afresh, so training sees its weights
    y.sum().backward()
    assert r.weight.grad is not None and r.weight.grad.abs().sum() > 0


def test_a_resize_model_made_under_inference_mode_runs_there():
    """Weights made under `torch.inference_mode()` (a script loading a model inside it) keep no version counter."""
    with torch.inference_mode():
        r = ResizeConv(2, 2, bias=False)
        x = torch.randn(1, 2, 5, 5)
        first = r(x)
        assert r.kernel() is r.kernel()
        r.weight = torch.nn.Parameter(r.weight * 2)  # new storage: rebuilt
        assert torch.allclose(r(x), 2 * first)


def test_fine_tuning_with_resize_upsampling_fits_a_trained_model_and_records_it(ab_dataset, tmp_path):
    base = dict(direction="BtoA", epochs=1, epochs_decay=0, palette=0)
    train(tiny(ab_dataset, tmp_path / "paper", **base))
    trainer = Trainer(tiny(ab_dataset, tmp_path / "resized", init=str(tmp_path / "paper"), upsample="resize", **base))
    assert trainer.G.upsample == "resize"
    trainer.fit()
    tuned = load_generator(tmp_path / "resized")
    assert tuned.upsample == "resize" and tuned.train_info["upsample"] == "resize"
    assert tuned.train_info["fine_tuned_from"]["model"] == str(tmp_path / "paper")
    again = Trainer(tiny(ab_dataset, tmp_path / "again", init=str(tmp_path / "resized"), **base))
    assert again.G.upsample == "resize"  # a fine-tune keeps its start's architecture
