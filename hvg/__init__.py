"""hvg: the small shared package behind the hybrid VAE-GAN course notebooks."""

from hvg.config import quick_mode, seed_everything

__version__ = "0.1.0"
__all__ = ["__version__", "quick_mode", "seed_everything"]
