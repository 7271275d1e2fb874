"""pix2pix studio: U-Net + PatchGAN image-to-image translation for maps and colorization."""

__version__ = "0.1.0"
