"""Train the demo SAM on procedural scenes (runs with torch 1.13 CPU and torch 2.x CUDA).

    python3 tools/demo-model/train.py                       # CPU default: ~30 min on 2 cores
    python3 tools/demo-model/train.py --device cuda --images 48 --prompts 2 --minutes 6.5 --out $OUT

Writes OUT/demo-sam.npz (weights + metadata, refreshed every --checkpoint-seconds) and
OUT/train-log.txt. Export with export_onnx.py.
"""

import argparse
import datetime
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from modeling import DEMO_CONFIG, build_demo_sam  # noqa: E402
from modeling.sam import Sam  # noqa: E402
from param_count import count_parameters  # noqa: E402
from prompts import (  # noqa: E402
    PromptGroup,
    add_correction,
    box_group,
    initial_for_refinement,
    multi_point_group,
    single_point_group,
)
from synth_shapes import generate_scenes  # noqa: E402
from evaluate import evaluate  # noqa: E402

FOCAL_WEIGHT = 20.0  # SAM: focal:dice = 20:1
IOU_WEIGHT = 1.0


def focal_dice(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-mask focal (alpha .25, gamma 2) x20 + dice loss; logits [B,M,H,W], target [B,H,W] -> [B,M]."""
    t = target[:, None].float().expand_as(logits)
    p = torch.sigmoid(logits)
    ce = F.binary_cross_entropy_with_logits(logits, t, reduction="none")
    p_t = p * t + (1 - p) * (1 - t)
    alpha_t = 0.25 * t + 0.75 * (1 - t)
    focal = (alpha_t * ce * (1 - p_t) ** 2).flatten(2).mean(-1)
    dice = 1 - (2 * (p * t).flatten(2).sum(-1) + 1) / (p.flatten(2).sum(-1) + t.flatten(2).sum(-1) + 1)
    return FOCAL_WEIGHT * focal + dice


def mask_iou(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """IoU of binary masks pred [B,M,H,W] vs target [B,H,W] -> [B,M] (1 when both are empty)."""
    t = target[:, None].expand_as(pred)
    inter = (pred & t).flatten(2).sum(-1).float()
    union = (pred | t).flatten(2).sum(-1).float()
    return torch.where(union > 0, inter / union.clamp(min=1), torch.ones_like(union))


def upscale(low_res: torch.Tensor, size: int) -> torch.Tensor:
    return F.interpolate(low_res.float(), size=(size, size), mode="bilinear", align_corners=False)


def decode(model: Sam, emb: torch.Tensor, group: PromptGroup, autocast) -> tuple:
    b = group.coords.shape[0]
    low = model.prompt_encoder.mask_input_size[0]
    if group.mask_input is None:
        mask_input = torch.zeros((b, 1, low, low), device=emb.device)
        has_mask = torch.zeros((b,), device=emb.device)
    else:
        mask_input, has_mask = group.mask_input, torch.ones((b,), device=emb.device)
    with autocast():
        return model.decode(emb[group.image_index], group.coords, group.labels, mask_input, has_mask)


def group_loss(model, emb, group: PromptGroup, size: int, autocast) -> dict:
    low_res, iou_pred = decode(model, emb, group, autocast)
    logits = upscale(low_res, size)
    losses = focal_dice(logits, group.target)  # [B,4]
    with torch.no_grad():
        actual_iou = mask_iou(logits > 0, group.target)
    # Ambiguous prompts: only the best of the 3 multimask outputs learns (SAM). Every prompt
    # trains tokens 1..3 this way, because the studio picks among them by predicted IoU;
    # token 0 (single-mask output) learns from the unambiguous prompts.
    mask_loss = losses[:, 1:].min(1).values
    if not group.single_point:
        mask_loss = mask_loss + losses[:, 0]
    iou_loss = F.mse_loss(iou_pred.float(), actual_iou, reduction="none").mean(1)
    picked = iou_pred[:, 1:].argmax(1) + 1
    chosen_iou = actual_iou.gather(1, picked[:, None])[:, 0]
    return {
        "loss": (mask_loss + IOU_WEIGHT * iou_loss).mean(),
        "mask": mask_loss.mean().item(),
        "iou_mse": iou_loss.mean().item(),
        "miou": chosen_iou.mean().item(),
        "low_res": low_res.detach(),
        "logits": logits.detach(),
        "picked": picked,
    }


def training_step(model, g, args, device, autocast) -> dict:
    scenes = generate_scenes(g, args.images, DEMO_CONFIG["img_size"], device, args.kind_weights)
    with autocast(), torch.set_grad_enabled(not args.freeze_encoder):
        emb = model.image_encoder(model.preprocess(scenes.images))
    count = args.images * args.prompts
    size = DEMO_CONFIG["img_size"]
    stats = {}
    total = 0.0
    groups = [
        single_point_group(g, scenes, count, args.deepest_points),
        box_group(g, scenes, count, args.exact_boxes),
        multi_point_group(g, scenes, count),
    ]
    for group in groups:
        out = group_loss(model, emb, group, size, autocast)
        total = total + out["loss"]
        stats[group.name] = out["miou"]
        stats[group.name + "_mask"] = out["mask"]
        stats[group.name + "_iou_mse"] = out["iou_mse"]
    # Interactive refinement: a first round without gradient, then a correction point and the
    # previous logits of the mask the studio would show (highest predicted IoU among 1..3).
    first = initial_for_refinement(g, scenes, count)
    with torch.no_grad():
        low_res, iou_pred = decode(model, emb.detach(), first, autocast)
        picked = iou_pred[:, 1:].argmax(1) + 1
        b = torch.arange(low_res.shape[0], device=device)
        previous = low_res[b, picked][:, None].float()
        predicted = upscale(previous, size)[:, 0] > 0
    second = add_correction(g, first, predicted, previous)
    out = group_loss(model, emb, second, size, autocast)
    total = total + out["loss"]
    stats["refine"] = out["miou"]
    stats["loss"] = total.item()
    return total, stats


def learning_rate(args, progress: float) -> float:
    warmup = 0.03
    if progress < warmup:
        return args.lr * progress / warmup
    cosine = 0.5 * (1 + math.cos(math.pi * min(1.0, (progress - warmup) / (1 - warmup))))
    return args.lr * (0.05 + 0.95 * cosine)


def init_weights(model: Sam) -> None:
    """From-scratch init: SAM zero-inits pos_embed because it loads MAE weights; we cannot."""
    torch.nn.init.trunc_normal_(model.image_encoder.pos_embed, std=0.02)
    for m in model.modules():
        if isinstance(m, torch.nn.Linear):
            torch.nn.init.trunc_normal_(m.weight, std=0.02)
            if m.bias is not None:
                torch.nn.init.zeros_(m.bias)


def save_checkpoint(model: Sam, path: str, meta: dict) -> None:
    arrays = {k: v.detach().float().cpu().numpy() for k, v in model.state_dict().items()}
    arrays["__meta__"] = np.array(json.dumps(meta))
    tmp = path + ".tmp.npz"
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--images", type=int, default=6, help="scenes encoded per step")
    parser.add_argument("--prompts", type=int, default=2, help="prompts per scene in each of the 4 prompt groups")
    parser.add_argument("--minutes", type=float, default=28.0, help="wall-clock training budget")
    parser.add_argument("--steps", type=int, default=0, help="stop after this many steps (0: budget only)")
    parser.add_argument("--lr", type=float, default=8e-4)
    parser.add_argument("--weight-decay", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--kind-weights",
        type=lambda text: [float(w) for w in text.split(",")],
        help="relative frequency of ellipse,polygon,star,ring,blob,stroke (default: uniform)",
    )
    parser.add_argument("--deepest-points", type=float, default=0.0, help="fraction of single points at the deepest pixel")
    parser.add_argument("--exact-boxes", type=float, default=0.0, help="fraction of boxes left unjittered")
    parser.add_argument("--freeze-encoder", action="store_true", help="train the prompt encoder and mask decoder only")
    parser.add_argument("--init", help="start from these .npz weights instead of a random init")
    parser.add_argument("--out", default="tmp/demo-model", help="output folder (tmp/ is git-ignored)")
    parser.add_argument("--checkpoint-seconds", type=float, default=60.0)
    parser.add_argument("--log-every", type=int, default=25)
    parser.add_argument("--eval-prompts", type=int, default=256)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True

        def autocast():
            return torch.autocast(device_type="cuda", dtype=torch.bfloat16)

    else:

        def autocast():
            return torch.autocast(device_type="cpu", enabled=False)

    os.makedirs(args.out, exist_ok=True)
    log_file = open(os.path.join(args.out, "train-log.txt"), "a")

    def log(line: str) -> None:
        print(line, flush=True)
        log_file.write(line + "\n")
        log_file.flush()

    torch.manual_seed(args.seed)
    model = build_demo_sam()
    init_weights(model)
    earlier_stages = []
    if args.init:
        from export_onnx import load_weights

        init_meta = load_weights(model, args.init)
        earlier_stages = init_meta.get("stages") or [
            {k: init_meta.get(k) for k in ("steps", "device", "seconds", "images_per_step", "prompts_per_step")}
        ]
    model.to(device).train()
    if args.freeze_encoder:
        model.image_encoder.requires_grad_(False)
    trained = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    decay = [p for n, p in trained if p.ndim >= 2 and "pos_embed" not in n and "rel_pos" not in n]
    no_decay = [p for n, p in trained if not (p.ndim >= 2 and "pos_embed" not in n and "rel_pos" not in n)]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": args.weight_decay}, {"params": no_decay, "weight_decay": 0.0}], lr=args.lr
    )
    g = torch.Generator(device=device).manual_seed(args.seed + 1)
    device_name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu x{args.threads} threads"
    log(f"# demo SAM training {datetime.datetime.now().isoformat(timespec='seconds')}")
    log(f"# torch {torch.__version__}, device {device_name}, args {json.dumps(vars(args))}")
    log(f"# parameters {json.dumps(count_parameters(model))}")
    log("# step seconds lr loss | train mIoU (picked by predicted IoU): point box points refine | iou_mse point")

    budget = args.minutes * 60
    start = time.time()
    last_checkpoint = start
    ckpt_path = os.path.join(args.out, "demo-sam.npz")
    step = 0
    running = {}

    def meta() -> dict:
        # Continued runs (--init) add up: steps and seconds are totals, stages lists each run.
        stage = {
            "steps": step,
            "device": device_name,
            "seconds": round(time.time() - start, 1),
            "images_per_step": args.images,
            "prompts_per_step": 4 * args.images * args.prompts,
            "lr": args.lr,
        }
        for option in ("kind_weights", "deepest_points", "exact_boxes", "freeze_encoder"):
            if getattr(args, option):
                stage[option] = getattr(args, option)
        stages = earlier_stages + [stage]
        return {
            "seed": args.seed,
            "steps": sum(s["steps"] for s in stages),
            "device": " + ".join(sorted({s["device"] for s in stages})),
            "seconds": round(sum(s["seconds"] for s in stages), 1),
            "stages": stages,
            "date": datetime.date.today().isoformat(),
            "torch": torch.__version__,
            "config": {k: list(v) if isinstance(v, tuple) else v for k, v in DEMO_CONFIG.items()},
        }

    while True:
        elapsed = time.time() - start
        progress = elapsed / budget if budget > 0 else 0.0
        if args.steps:
            progress = max(progress, step / args.steps)
        if progress >= 1.0:
            break
        lr = learning_rate(args, progress)
        for group in optimizer.param_groups:
            group["lr"] = lr
        loss, stats = training_step(model, g, args, device, autocast)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        step += 1
        for k, v in stats.items():
            running[k] = 0.9 * running.get(k, v) + 0.1 * v
        if step % args.log_every == 0 or step == 1:
            r = running
            log(
                f"{step:6d} {time.time() - start:7.1f} {lr:.2e} {r['loss']:.3f} | "
                f"{r['point']:.3f} {r['box']:.3f} {r['points']:.3f} {r['refine']:.3f} | {r['point_iou_mse']:.4f}"
            )
        if time.time() - last_checkpoint >= args.checkpoint_seconds:
            save_checkpoint(model, ckpt_path, meta())
            last_checkpoint = time.time()

    save_checkpoint(model, ckpt_path, meta())
    log(f"# finished: {step} steps in {time.time() - start:.1f} s, weights {ckpt_path}")
    model.eval()
    with torch.no_grad():
        result = evaluate(model, device, args.eval_prompts, seed=10_000 + args.seed)
    log(f"# held-out (Python generator, seed {10_000 + args.seed}, {args.eval_prompts} objects, deepest point): "
        + json.dumps(result))
    log_file.close()


if __name__ == "__main__":
    main()
