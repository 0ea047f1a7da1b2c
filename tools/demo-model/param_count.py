"""Parameter counts per SAM part (shared by export_onnx.py and ARCHITECTURE.md)."""

from typing import Dict

from torch import nn


def count_parameters(model: nn.Module) -> Dict[str, int]:
    """Trainable parameters of the image encoder, prompt encoder and mask decoder, and the total."""
    parts = {
        "imageEncoder": model.image_encoder,
        "promptEncoder": model.prompt_encoder,
        "maskDecoder": model.mask_decoder,
    }
    counts = {name: sum(p.numel() for p in part.parameters()) for name, part in parts.items()}
    counts["total"] = sum(counts.values())
    return counts


def count_by_module(module: nn.Module, depth: int) -> Dict[str, int]:
    """Parameter count of every named submodule down to the given depth (for ARCHITECTURE.md)."""
    out: Dict[str, int] = {}
    for name, sub in module.named_modules():
        if name and name.count(".") < depth:
            out[name] = sum(p.numel() for p in sub.parameters())
    return out
