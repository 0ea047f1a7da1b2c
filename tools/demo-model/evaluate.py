"""Quick held-out evaluation with the Python generator (the TypeScript eval is the reference):
one positive point at the deepest pixel of each object, and its exact box."""

import torch
import torch.nn.functional as F

from prompts import mask_boxes
from synth_shapes import generate_scenes


def deepest_points(masks: torch.Tensor, max_iterations: int = 64) -> torch.Tensor:
    """The pixel of each mask [B,H,W] surviving the most 3x3 erosions, as [B,1,2] x,y."""
    B, H, W = masks.shape
    current = masks[:, None].float()
    depth = torch.zeros_like(current)
    for _ in range(max_iterations):
        depth = depth + current
        current = -F.max_pool2d(-current, 3, stride=1, padding=1)
        if current.sum() == 0:
            break
    flat = depth.reshape(B, -1).argmax(1)
    return torch.stack([flat % W, flat // W], dim=-1)[:, None].float()


def evaluate(model, device, count: int, seed: int) -> dict:
    g = torch.Generator(device=device).manual_seed(seed)
    results = {"point": [], "box": []}
    low = model.prompt_encoder.mask_input_size[0]
    size = model.image_encoder.img_size
    while len(results["point"]) < count:
        scenes = generate_scenes(g, 8, size, device)
        emb = model.image_encoder(model.preprocess(scenes.images))
        img, slot = scenes.valid.nonzero(as_tuple=True)
        target = scenes.masks[img, slot]
        n = img.shape[0]
        pad = (torch.zeros((n, 1, 2), device=device), -torch.ones((n, 1), device=device))
        prompts = {
            "point": (torch.cat([deepest_points(target), pad[0]], 1), torch.cat([torch.ones((n, 1), device=device), pad[1]], 1)),
            "box": (mask_boxes(target).view(n, 2, 2), torch.tensor([[2.0, 3.0]], device=device).expand(n, 2)),
        }
        for name, (coords, labels) in prompts.items():
            masks, iou_pred = model.decode(
                emb[img], coords, labels, torch.zeros((n, 1, low, low), device=device), torch.zeros((n,), device=device)
            )
            picked = iou_pred[:, 1:].argmax(1) + 1
            chosen = masks[torch.arange(n, device=device), picked][:, None].float()
            pred = F.interpolate(chosen, size=(size, size), mode="bilinear", align_corners=False)[:, 0] > 0
            inter = (pred & target).flatten(1).sum(1).float()
            union = (pred | target).flatten(1).sum(1).float()
            results[name].extend((inter / union.clamp(min=1)).tolist())
    return {name: round(sum(v[:count]) / count, 4) for name, v in results.items()}
