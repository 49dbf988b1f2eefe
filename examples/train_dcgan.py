"""Train a DCGAN on MNIST, top to bottom: read this once before the engine (hvg.train) hides it.

The data, the two networks and the two losses, then the loop: one discriminator step, one
generator step, on the same fakes. It is the loop that `python -m hvg train dcgan` runs, minus
what the engine adds (checkpoints and resume, progress bars, several processes): from the same
seed it ends with the very same weights (tests/test_examples.py checks it).

    python examples/train_dcgan.py --steps 2000 --out runs/example
    python -m hvg sample runs/example/dcgan-mnist.safetensors -n 64 -o samples.npz
"""

import argparse
from pathlib import Path

import torch
import torch.nn.functional as F

from hvg.checkpoints import save_model
from hvg.data import get_dataloader
from hvg.files import png_bytes
from hvg.models import DCGAN

args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
args.add_argument("--steps", type=int, default=2000, help="training steps (2000)")
args.add_argument("--batch-size", type=int, default=128, help="images per step (128)")
args.add_argument("--limit", type=int, default=None, help="use only the first N images")
args.add_argument("--lr", type=float, default=2e-4, help="Adam's learning rate (2e-4)")
args.add_argument("--out", type=Path, default=Path("runs/example"), help="output folder")
config = args.parse_args()

# The data: MNIST as float images in [-1, 1], shuffled in an order fixed by a seed.
loader = get_dataloader("mnist", batch_size=config.batch_size, limit=config.limit)

# The networks: G maps z ~ N(0, I) to an image, D maps an image to a logit (real or fake).
torch.manual_seed(0)
gan = DCGAN()
G, D = gan.generator, gan.discriminator
opt_d = torch.optim.Adam(D.parameters(), lr=config.lr, betas=(0.5, 0.999))  # DCGAN's beta1
opt_g = torch.optim.Adam(G.parameters(), lr=config.lr, betas=(0.5, 0.999))


def bce(logits: torch.Tensor, target: float) -> torch.Tensor:
    """Binary cross-entropy of D's logits against one label: 1 for real, 0 for fake."""
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


gan.train()
step, epoch = 0, 0
while step < config.steps:
    loader.sampler.set_epoch(epoch)  # a new order each epoch, fixed by the seed
    for x, _ in loader:
        fake = G(torch.randn(len(x), gan.latent_dim))
        # D learns to tell real from fake: -[log D(x) + log(1 - D(G(z)))].
        loss_d = bce(D(x), 1.0) + bce(D(fake.detach()), 0.0)
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        # G learns to fool D: -log D(G(z)), the non-saturating loss.
        loss_g = bce(D(fake), 1.0)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        step += 1
        if step % 100 == 0 or step == config.steps:
            print(f"step {step:5d}  loss_d {loss_d.item():.3f}  loss_g {loss_g.item():.3f}")
        if step == config.steps:
            break
    epoch += 1

# Save what `python -m hvg sample` reads, and a grid of 64 samples to look at.
gan.eval()
checkpoint = save_model(gan, config.out / "dcgan-mnist.safetensors")
grid = config.out / "samples.png"
grid.write_bytes(png_bytes(gan.sample(64, generator=torch.Generator().manual_seed(0))))
print(f"wrote {checkpoint} and {grid}")
