"""Training: the loop, checkpoints and resume, DDP through torchrun.

    from posenc.model import ModelConfig
    from posenc.train import TrainConfig, train, load_model
    summary = train(ModelConfig.preset("tiny", pe="rope"), TrainConfig(steps=200), "runs/rope")
    model, meta = load_model("runs/rope")

Command line: ``posenc train --pe rope --out runs/rope`` (one process) or
``torchrun --nproc_per_node=N -m posenc.train --pe rope --out runs/rope`` (DDP).
"""

from posenc.train.checkpoint import load_checkpoint, load_model, save_checkpoint
from posenc.train.config import TrainConfig, lr_at
from posenc.train.loop import train

__all__ = ["TrainConfig", "load_checkpoint", "load_model", "lr_at", "save_checkpoint", "train"]
