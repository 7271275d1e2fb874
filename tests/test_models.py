import pytest
import torch

from pix2pix.models import PatchDiscriminator, UNetGenerator, count_parameters


def test_paper_sized_networks_have_reference_parameter_counts():
    # The reference implementation reports 54.414 M (G) and 2.769 M (D) for these settings.
    assert round(count_parameters(UNetGenerator(3, 3, ngf=64, depth=8)) / 1e6, 3) == 54.414
    assert round(count_parameters(PatchDiscriminator(6, ndf=64)) / 1e6, 3) == 2.769


def test_generator_shapes_at_256_and_other_multiples():
    g = UNetGenerator(3, 3, ngf=8, depth=8).eval()
    assert g(torch.randn(1, 3, 256, 256)).shape == (1, 3, 256, 256)
    lab = UNetGenerator(1, 2, ngf=8, depth=5).eval()
    y = lab(torch.randn(2, 1, 96, 160))
    assert y.shape == (2, 2, 96, 160)
    assert y.abs().max() <= 1  # Tanh output


def test_discriminator_is_a_70px_patchgan():
    d = PatchDiscriminator(6, ndf=8)
    assert d(torch.randn(2, 3, 256, 256), torch.randn(2, 3, 256, 256)).shape == (2, 1, 30, 30)
    assert PatchDiscriminator(3, ndf=8)(torch.randn(1, 1, 64, 64), torch.randn(1, 2, 64, 64)).shape == (1, 1, 6, 6)


def test_dropout_sits_in_the_three_innermost_decoder_blocks_only():
    g = UNetGenerator(3, 3, ngf=8, depth=8)
    with_dropout = [i for i, up in enumerate(g.up) if any(isinstance(m, torch.nn.Dropout) for m in up)]
    assert with_dropout == [0, 1, 2]


def test_instance_norm_option_and_init_statistics():
    g = UNetGenerator(3, 3, ngf=16, depth=6, norm="instance")
    assert any(isinstance(m, torch.nn.InstanceNorm2d) for m in g.modules())
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in g.modules())
    w = torch.cat([m.weight.flatten() for m in g.modules() if isinstance(m, torch.nn.Conv2d)])
    assert abs(w.std().item() - 0.02) < 0.002 and abs(w.mean().item()) < 0.002
    with pytest.raises(ValueError, match="norm"):
        UNetGenerator(norm="group")
