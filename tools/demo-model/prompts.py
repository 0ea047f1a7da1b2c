"""Prompt sampling as SAM trains: points drawn from masks, jittered boxes, several points,
and corrections sampled from the error region of a previous prediction."""

from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch
from scipy.ndimage import distance_transform_edt

from synth_shapes import SceneBatch

BOX_JITTER_FRACTION = 0.08  # noise std as a fraction of the box side (SAM: 0.1)
BOX_JITTER_MAX = 20.0  # pixels, as SAM


@dataclass
class PromptGroup:
    """B prompts with the same number of points N (one decoder call)."""

    name: str
    image_index: torch.Tensor  # [B] which scene
    target: torch.Tensor  # [B,H,W] bool ground-truth mask
    coords: torch.Tensor  # [B,N,2] x,y in pixels of the 256 frame
    labels: torch.Tensor  # [B,N] 1 pos, 0 neg, 2/3 box corners, -1 padding
    single_point: bool  # ambiguous prompt: only the best multimask output is supervised
    mask_input: Optional[torch.Tensor] = None  # [B,1,64,64] previous logits, refinement only


def choose_targets(g: torch.Generator, scenes: SceneBatch, count: int):
    """`count` prompts spread evenly over the scenes, each on a random valid object."""
    B, K = scenes.valid.shape
    device = scenes.valid.device
    image_index = torch.arange(count, device=device) % B
    weights = scenes.valid[image_index].float()
    weights = weights + (weights.sum(1, keepdim=True) == 0).float()  # no valid object: any slot
    slot = torch.multinomial(weights, 1, generator=g)[:, 0]
    return image_index, scenes.masks[image_index, slot]


def sample_pixels(g: torch.Generator, region: torch.Tensor, k: int = 1) -> torch.Tensor:
    """k pixels drawn uniformly from each region [B,H,W] (any pixel if empty), as [B,k,2] x,y."""
    B, H, W = region.shape
    weights = region.reshape(B, -1).float()
    weights = weights + (weights.sum(1, keepdim=True) == 0).float()
    flat = torch.multinomial(weights, k, replacement=True, generator=g)
    return torch.stack([flat % W, flat // W], dim=-1).float()


def deepest_pixels(g: torch.Generator, region: torch.Tensor) -> torch.Tensor:
    """A pixel of each region [B,H,W] farthest (Euclidean) from its outside, the image border counting
    as outside, ties broken at random, as [B,1,2] x,y: where a person clicks on an object, and the
    studio's evaluation prompt (src/core/synth/prompt.ts)."""
    B, H, W = region.shape
    padded = np.pad(region.cpu().numpy(), ((0, 0), (1, 1), (1, 1)))
    depth = np.stack([distance_transform_edt(mask)[1:-1, 1:-1] for mask in padded])
    depth = torch.from_numpy(depth).float().to(region.device)
    noise = torch.rand(depth.shape, generator=g, device=region.device) * 1e-3
    flat = (depth + noise * (depth > 0)).reshape(B, -1).argmax(1)
    return torch.stack([flat % W, flat // W], dim=-1).float()[:, None]


def mask_boxes(masks: torch.Tensor) -> torch.Tensor:
    """Tight boxes [B,4] (x0,y0,x1,y1 inclusive pixel indices) of masks [B,H,W]."""
    B, H, W = masks.shape
    cols, rows = masks.any(1), masks.any(2)
    ar_w = torch.arange(W, device=masks.device)
    ar_h = torch.arange(H, device=masks.device)
    x0 = torch.where(cols, ar_w, W).min(1).values
    x1 = torch.where(cols, ar_w, -1).max(1).values
    y0 = torch.where(rows, ar_h, H).min(1).values
    y1 = torch.where(rows, ar_h, -1).max(1).values
    return torch.stack([x0, y0, x1, y1], dim=1).float().clamp(0, max(H, W) - 1)


def jitter_boxes(g: torch.Generator, boxes: torch.Tensor, size: int) -> torch.Tensor:
    side = torch.stack([boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]] * 2, dim=1)
    noise = torch.randn(boxes.shape, generator=g, device=boxes.device) * BOX_JITTER_FRACTION * side
    return (boxes + noise.clamp(-BOX_JITTER_MAX, BOX_JITTER_MAX)).clamp(0, size - 1)


def _pad_point(b: int, device):
    return torch.zeros((b, 1, 2), device=device), -torch.ones((b, 1), device=device)


def single_point_group(g, scenes: SceneBatch, count: int, deepest_fraction: float = 0.0) -> PromptGroup:
    """One positive point + Meta's padding point (the ONNX contract's point-only form). The first
    `deepest_fraction` of the prompts click the object's deepest pixel, the rest a uniform one."""
    image_index, target = choose_targets(g, scenes, count)
    pos = sample_pixels(g, target)
    deepest = int(round(deepest_fraction * count))
    if deepest > 0:
        pos = torch.cat([deepest_pixels(g, target[:deepest]), pos[deepest:]], 0)
    pad_c, pad_l = _pad_point(count, target.device)
    coords = torch.cat([pos, pad_c], 1)
    labels = torch.cat([torch.ones((count, 1), device=target.device), pad_l], 1)
    return PromptGroup("point", image_index, target, coords, labels, single_point=True)


def box_group(g, scenes: SceneBatch, count: int, exact_fraction: float = 0.0) -> PromptGroup:
    """A jittered box as two corners labelled 2 and 3 (no padding point, as Meta's contract); the
    first `exact_fraction` of the boxes are the tight boxes themselves."""
    image_index, target = choose_targets(g, scenes, count)
    tight = mask_boxes(target)
    boxes = jitter_boxes(g, tight, target.shape[-1])
    exact = int(round(exact_fraction * count))
    if exact > 0:
        boxes = torch.cat([tight[:exact], boxes[exact:]], 0)
    coords = boxes.view(count, 2, 2)
    labels = torch.tensor([[2.0, 3.0]], device=target.device).expand(count, 2)
    return PromptGroup("box", image_index, target, coords, labels, single_point=False)


def multi_point_group(g, scenes: SceneBatch, count: int) -> PromptGroup:
    """1-3 positive and 0-2 negative points (at least 2 in all) + padding point."""
    device = scenes.masks.device
    n_pos = int(torch.randint(1, 4, (1,), generator=g, device=device))
    n_neg = int(torch.randint(1 if n_pos == 1 else 0, 3, (1,), generator=g, device=device))
    image_index, target = choose_targets(g, scenes, count)
    parts = [sample_pixels(g, target, n_pos)]
    label_parts = [torch.ones((count, n_pos), device=device)]
    if n_neg:
        parts.append(sample_pixels(g, ~target, n_neg))
        label_parts.append(torch.zeros((count, n_neg), device=device))
    pad_c, pad_l = _pad_point(count, device)
    coords = torch.cat(parts + [pad_c], 1)
    labels = torch.cat(label_parts + [pad_l], 1)
    return PromptGroup("points", image_index, target, coords, labels, single_point=False)


def initial_for_refinement(g, scenes: SceneBatch, count: int) -> PromptGroup:
    """First round of an interactive session: half single points, half boxes (both N=2)."""
    point = single_point_group(g, scenes, count)
    box = box_group(g, scenes, count)
    half = count // 2
    use_box = (torch.arange(count, device=point.target.device) >= half)
    return PromptGroup(
        "refine",
        torch.where(use_box, box.image_index, point.image_index),
        torch.where(use_box[:, None, None], box.target, point.target),
        torch.where(use_box[:, None, None], box.coords, point.coords),
        torch.where(use_box[:, None], box.labels, point.labels),
        single_point=False,
    )


def add_correction(g, group: PromptGroup, predicted: torch.Tensor, previous_logits: torch.Tensor) -> PromptGroup:
    """Second round: a point from the error region (positive on a miss, negative on a false
    alarm) plus the previous low-res logits as mask_input. Keeps N equal (3) for both forms."""
    error = predicted != group.target
    point = sample_pixels(g, error)
    b = torch.arange(point.shape[0], device=point.device)
    x, y = point[:, 0, 0].long(), point[:, 0, 1].long()
    label = group.target[b, y, x].float()[:, None]  # 1 where the target was missed
    is_box = group.labels[:, 0] == 2
    point_first = torch.cat([group.coords[:, :1], point, group.coords[:, 1:]], 1)  # pos, new, pad
    labels_point_first = torch.cat([group.labels[:, :1], label, group.labels[:, 1:]], 1)
    box_after = torch.cat([point, group.coords], 1)  # new, corner, corner
    labels_box_after = torch.cat([label, group.labels], 1)
    return PromptGroup(
        "refine",
        group.image_index,
        group.target,
        torch.where(is_box[:, None, None], box_after, point_first),
        torch.where(is_box[:, None], labels_box_after, labels_point_first),
        single_point=False,
        mask_input=previous_logits,
    )
