"""Procedural training scenes generated with tensor ops on the training device.

A scene is a 256x256 RGB image with 1-8 objects painted back to front over a textured
background; each object's ground truth is its visible mask (after occlusion). The families and
distributions are documented in README.md ("Scene recipe") and mirrored by the TypeScript
generator in src/core/synth/, which has its own code and seeds and makes the held-out set.
"""

import math
from dataclasses import dataclass
from typing import Tuple

import torch
import torch.nn.functional as F

KINDS = ("ellipse", "polygon", "star", "ring", "blob", "stroke")
MAX_OBJECTS = 8
MAX_VERTICES = 14  # a 7-point star
MIN_VISIBLE_PIXELS = 40  # smaller visible remnants are not prompted (nor evaluated)
STROKE_SEGMENTS = 8


@dataclass
class SceneBatch:
    images: torch.Tensor  # [B,3,H,W] float 0..255 (integer valued)
    masks: torch.Tensor  # [B,K,H,W] bool, visible pixels of each object slot
    valid: torch.Tensor  # [B,K] bool, slot holds an object with >= MIN_VISIBLE_PIXELS visible


def _uniform(g: torch.Generator, shape, lo: float, hi: float, device) -> torch.Tensor:
    return lo + (hi - lo) * torch.rand(shape, generator=g, device=device)


def _low_freq_noise(g: torch.Generator, n: int, size: int, device) -> torch.Tensor:
    """Smooth noise in [0,1]: an 8x8 random grid upsampled bilinearly, [n,size,size]."""
    coarse = torch.rand((n, 1, 8, 8), generator=g, device=device)
    return F.interpolate(coarse, size=(size, size), mode="bilinear", align_corners=False)[:, 0]


def _texture(g: torch.Generator, n: int, xs: torch.Tensor, ys: torch.Tensor, extent: torch.Tensor) -> torch.Tensor:
    """Blend factor t in [0,1], [n,H,W]: solid, linear gradient, stripes, checker or smooth noise.

    xs, ys: [n,H,W] pixel coordinates relative to the texture's centre; extent: [n] size scale.
    Kind probabilities: solid .35, gradient .25, stripes .15, checker .1, noise .15.
    """
    device = xs.device
    size = xs.shape[-1]
    kind = torch.multinomial(torch.tensor([0.35, 0.25, 0.15, 0.10, 0.15], device=device), n, True, generator=g)
    angle = _uniform(g, (n,), 0, 2 * math.pi, device)[:, None, None]
    along = xs * torch.cos(angle) + ys * torch.sin(angle)
    gradient = (along / (2 * extent[:, None, None]) + 0.5).clamp(0, 1)
    period = _uniform(g, (n,), 6, 20, device)[:, None, None]
    stripes = 0.5 + 0.5 * torch.sin(2 * math.pi * along / period)
    cell = _uniform(g, (n,), 4, 16, device)[:, None, None]
    checker = torch.remainder(torch.floor(xs / cell) + torch.floor(ys / cell), 2)
    noise = _low_freq_noise(g, n, size, device)
    options = torch.stack([torch.zeros_like(xs), gradient, stripes, checker, noise], dim=1)
    return options.gather(1, kind[:, None, None, None].expand(-1, 1, *xs.shape[1:]))[:, 0]


def _colors(g: torch.Generator, n: int, device) -> Tuple[torch.Tensor, torch.Tensor]:
    """A base colour and a second colour near it (per-channel N(0,40) offset), [n,3] each."""
    c1 = _uniform(g, (n, 3), 0, 255, device)
    c2 = (c1 + 40 * torch.randn((n, 3), generator=g, device=device)).clamp(0, 255)
    return c1, c2


def _polygon_inside(u, v, vx, vy, count) -> torch.Tensor:
    """Even-odd crossing test of pixels (u, v) [M,H,W] against polygons [M,V] with `count` real
    vertices (the rest is padding). Robust near vertices, unlike a per-sector ray intersection."""
    M, H, W = u.shape
    V = vx.shape[1]
    index = torch.arange(V, device=vx.device)[None, :].expand(M, V)
    following = torch.remainder(index + 1, count[:, None])
    bx, by = vx.gather(1, following), vy.gather(1, following)
    pu, pv = u.reshape(M, 1, -1), v.reshape(M, 1, -1)
    ax, ay, bx, by = vx[:, :, None], vy[:, :, None], bx[:, :, None], by[:, :, None]
    straddles = (ay > pv) != (by > pv)
    slope = (bx - ax) / torch.where((by - ay).abs() < 1e-9, torch.full_like(by, 1e-9), by - ay)
    crosses = straddles & (pu < ax + (pv - ay) * slope)
    crosses = crosses & (index < count[:, None])[:, :, None]
    return (crosses.sum(1) % 2 == 1).reshape(M, H, W)


def _shape_masks(g: torch.Generator, kind: torch.Tensor, size: int, device) -> torch.Tensor:
    """Inside masks [M,H,W] for M objects of the given kinds (indices into KINDS)."""
    M = kind.shape[0]
    radius = _uniform(g, (M,), 12, 60, device)
    radius = torch.where(kind == KINDS.index("ring"), radius.clamp(min=20), radius)
    cx = _uniform(g, (M,), 0.1 * size, 0.9 * size, device)
    cy = _uniform(g, (M,), 0.1 * size, 0.9 * size, device)
    theta = _uniform(g, (M,), 0, 2 * math.pi, device)
    coords = torch.arange(size, device=device, dtype=torch.float32)
    dx = coords[None, None, :] - cx[:, None, None]
    dy = coords[None, :, None] - cy[:, None, None]
    c, s = torch.cos(theta)[:, None, None], torch.sin(theta)[:, None, None]
    u, v = c * dx + s * dy, -s * dx + c * dy

    # Every parameter is drawn for all M objects (fixed random stream), each family is
    # rasterized only for the objects of that kind.
    aspect = _uniform(g, (M,), 0.4, 1.0, device)
    inner = _uniform(g, (M,), 0.45, 0.75, device)
    slots = torch.arange(MAX_VERTICES, device=device, dtype=torch.float32)[None, :]
    n_poly = torch.randint(3, 9, (M,), generator=g, device=device)
    jitter = _uniform(g, (M, MAX_VERTICES), -0.3, 0.3, device)
    poly_radius_scale = _uniform(g, (M, MAX_VERTICES), 0.7, 1.0, device)
    n_points = torch.randint(4, 8, (M,), generator=g, device=device)
    inner_ratio = _uniform(g, (M,), 0.35, 0.6, device)
    amp = _uniform(g, (M, 3), 0, 0.18, device)
    phase = _uniform(g, (M, 3), 0, 2 * math.pi, device)
    bend_ratio = _uniform(g, (M,), -0.8, 0.8, device)
    width = _uniform(g, (M,), 5, 12, device)

    inside = torch.zeros((M, size, size), dtype=torch.bool, device=device)
    for family, name in enumerate(KINDS):
        sel = (kind == family).nonzero()[:, 0]
        if sel.numel() == 0:
            continue
        us, vs, rs = u[sel], v[sel], radius[sel]
        r = rs[:, None, None]
        if name in ("ellipse", "ring"):
            a = aspect[sel] if name == "ellipse" else aspect[sel].clamp(min=0.6)
            norm = (us / r) ** 2 + (vs / (r * a[:, None, None])) ** 2
            mask = norm <= 1
            if name == "ring":
                mask = mask & (norm >= inner[sel][:, None, None] ** 2)
        elif name == "polygon":
            # 3-8 vertices at jittered angles, radii 0.7..1.0 r.
            angle = 2 * math.pi * (slots + jitter[sel]) / n_poly[sel][:, None]
            pr = rs[:, None] * poly_radius_scale[sel]
            mask = _polygon_inside(us, vs, pr * torch.cos(angle), pr * torch.sin(angle), n_poly[sel])
        elif name == "star":
            # 4-7 points, inner radius 0.35..0.6 r.
            angle = math.pi * slots / n_points[sel][:, None]
            is_inner = torch.remainder(slots, 2) == 1
            sr = rs[:, None] * torch.where(is_inner, inner_ratio[sel][:, None], torch.ones_like(slots))
            mask = _polygon_inside(us, vs, sr * torch.cos(angle), sr * torch.sin(angle), 2 * n_points[sel])
        elif name == "blob":
            # Radius modulated by harmonics 2..4 with amplitudes up to 0.18.
            rho = torch.sqrt(us**2 + vs**2)
            phi = torch.atan2(vs, us)
            harmonics = torch.arange(2, 5, device=device, dtype=torch.float32)
            wobble = (amp[sel][:, :, None, None] * torch.cos(harmonics[None, :, None, None] * phi[:, None] + phase[sel][:, :, None, None])).sum(1)
            mask = rho <= r * (1 + wobble)
        else:
            # A quadratic Bezier from -r to +r along u, bent by up to 0.8 r, width 5..12 px.
            t = torch.linspace(0, 1, STROKE_SEGMENTS + 1, device=device)[None, :]
            px = (1 - t) ** 2 * (-rs[:, None]) + t**2 * rs[:, None]
            py = 2 * (1 - t) * t * (bend_ratio[sel] * rs)[:, None]
            dist2 = torch.full_like(us, 1e12)
            for k in range(STROKE_SEGMENTS):
                ax, ay = px[:, k, None, None], py[:, k, None, None]
                ex, ey = px[:, k + 1, None, None] - ax, py[:, k + 1, None, None] - ay
                h = (((us - ax) * ex + (vs - ay) * ey) / (ex**2 + ey**2 + 1e-9)).clamp(0, 1)
                dist2 = torch.minimum(dist2, (us - ax - h * ex) ** 2 + (vs - ay - h * ey) ** 2)
            mask = dist2 <= (width[sel][:, None, None] / 2) ** 2
        inside[sel] = mask
    return inside, dx.expand(-1, size, size), dy.expand(-1, size, size), radius


def generate_scenes(g: torch.Generator, batch: int, size: int = 256, device="cpu", kind_weights=None) -> SceneBatch:
    """A batch of scenes; all randomness comes from the generator g (on `device`).

    kind_weights: relative frequency of each family in KINDS order (None: uniform, the recipe).
    """
    K = MAX_OBJECTS
    coords = torch.arange(size, device=device, dtype=torch.float32)
    gx = (coords[None, None, :] - size / 2).expand(batch, size, size)
    gy = (coords[None, :, None] - size / 2).expand(batch, size, size)
    t_bg = _texture(g, batch, gx, gy, torch.full((batch,), size / 2, device=device))
    b1, b2 = _colors(g, batch, device)
    images = b1[:, :, None, None] + (b2 - b1)[:, :, None, None] * t_bg[:, None]

    n_objects = torch.randint(1, K + 1, (batch,), generator=g, device=device)
    present = torch.arange(K, device=device)[None, :] < n_objects[:, None]
    if kind_weights is None:
        kind = torch.randint(0, len(KINDS), (batch * K,), generator=g, device=device)
    else:
        weights = torch.tensor(kind_weights, dtype=torch.float32, device=device)
        kind = torch.multinomial(weights, batch * K, replacement=True, generator=g)
    inside, dx, dy, radius = _shape_masks(g, kind, size, device)
    inside = inside.view(batch, K, size, size) & present[:, :, None, None]
    t_obj = _texture(g, batch * K, dx, dy, radius).view(batch, K, size, size)
    c1, c2 = _colors(g, batch * K, device)
    # Keep objects distinguishable from the background's mean colour (README: contrast rule).
    bg_mean = ((b1 + b2) / 2).repeat_interleave(K, dim=0)
    too_close = (c1 - bg_mean).abs().mean(1, keepdim=True) < 40
    c1 = torch.where(too_close, 255 - c1, c1)
    c2 = torch.where(too_close, 255 - c2, c2)
    c1, c2 = c1.view(batch, K, 3), c2.view(batch, K, 3)

    visible = torch.zeros_like(inside)
    for k in range(K):  # paint back to front: later objects occlude earlier ones
        fill = c1[:, k, :, None, None] + (c2 - c1)[:, k, :, None, None] * t_obj[:, k, None]
        m = inside[:, k, None]
        images = torch.where(m, fill, images)
        visible = visible & ~inside[:, k, None]
        visible[:, k] = inside[:, k]
    sigma = _uniform(g, (batch, 1, 1, 1), 0, 8, device)
    images = images + sigma * torch.randn(images.shape, generator=g, device=device)
    images = images.clamp(0, 255).round()
    valid = visible.flatten(2).sum(-1) >= MIN_VISIBLE_PIXELS
    return SceneBatch(images=images, masks=visible, valid=valid)
