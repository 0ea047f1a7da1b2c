"""Export the demo SAM to ONNX in Meta's contract (opset 17), plus model.json.

    python3 tools/demo-model/export_onnx.py --weights runs/demo.npz --out public/models/demo-sam
    python3 tools/demo-model/export_onnx.py --untrained --out public/models/demo-sam

Also writes reference inputs/outputs computed by PyTorch (--reference DIR) that
check_onnx.mjs compares against onnxruntime-node.
"""

import argparse
import datetime
import json
import os
import sys
import warnings

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from modeling import DEMO_CONFIG, build_demo_sam  # noqa: E402
from modeling.onnx_model import SamOnnxModel  # noqa: E402
from modeling.sam import PIXEL_MEAN, PIXEL_STD  # noqa: E402
from param_count import count_parameters  # noqa: E402

OPSET = 17


def load_weights(model: torch.nn.Module, path: str) -> dict:
    """Load an .npz state dict written by train.py; returns its metadata."""
    data = np.load(path, allow_pickle=False)
    state = {k: torch.from_numpy(np.array(data[k])) for k in data.files if not k.startswith("__")}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if k not in ("pixel_mean", "pixel_std")]
    if missing or unexpected:
        raise SystemExit(f"weights do not match the model: missing {missing}, unexpected {unexpected}")
    return json.loads(str(data["__meta__"])) if "__meta__" in data.files else {}


def export(model, out_dir: str) -> None:
    img = DEMO_CONFIG["img_size"]
    grid = img // DEMO_CONFIG["patch_size"]
    embed = DEMO_CONFIG["prompt_embed_dim"]
    low = 4 * grid
    encoder = model.image_encoder
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            encoder,
            (torch.randn(1, 3, img, img),),
            os.path.join(out_dir, "encoder.onnx"),
            input_names=["input_image"],
            output_names=["image_embeddings"],
            opset_version=OPSET,
            do_constant_folding=True,
        )
        decoder = SamOnnxModel(model)
        b, n = 2, 3
        dummy = {
            "image_embeddings": torch.randn(1, embed, grid, grid),
            "point_coords": torch.randint(0, img, (b, n, 2)).float(),
            "point_labels": torch.randint(-1, 4, (b, n)).float(),
            "mask_input": torch.randn(b, 1, low, low),
            "has_mask_input": torch.tensor([1.0]),
            "orig_im_size": torch.tensor([img, img], dtype=torch.float32),
        }
        torch.onnx.export(
            decoder,
            tuple(dummy.values()),
            os.path.join(out_dir, "decoder.onnx"),
            input_names=list(dummy.keys()),
            output_names=["masks", "iou_predictions", "low_res_masks"],
            dynamic_axes={
                "point_coords": {0: "batch", 1: "num_points"},
                "point_labels": {0: "batch", 1: "num_points"},
                "mask_input": {0: "batch"},
                "masks": {0: "batch", 2: "height", 3: "width"},
                "iou_predictions": {0: "batch"},
                "low_res_masks": {0: "batch"},
            },
            opset_version=OPSET,
            do_constant_folding=True,
        )


def fix_output_shapes(out_dir: str) -> None:
    """Replace the tracer's generated dim names (e.g. 'Addimage_embeddings_dim_0') by the contract's."""
    import onnx

    grid = DEMO_CONFIG["img_size"] // DEMO_CONFIG["patch_size"]
    embed = DEMO_CONFIG["prompt_embed_dim"]
    shapes = {
        "encoder.onnx": {"image_embeddings": [1, embed, grid, grid]},
        "decoder.onnx": {
            "masks": ["batch", 4, "height", "width"],
            "iou_predictions": ["batch", 4],
            "low_res_masks": ["batch", 4, 4 * grid, 4 * grid],
        },
    }
    for file, outputs in shapes.items():
        path = os.path.join(out_dir, file)
        proto = onnx.load(path)
        for output in proto.graph.output:
            dims = output.type.tensor_type.shape.dim
            for dim, value in zip(dims, outputs[output.name]):
                if isinstance(value, int):
                    dim.dim_value = value
                else:
                    dim.dim_param = value
        proto.producer_name = "demo-sam export_onnx.py (torch " + torch.__version__ + ")"
        onnx.checker.check_model(proto)
        onnx.save(proto, path)


def write_reference(model, ref_dir: str, seed: int) -> None:
    """Random but plausible inputs and PyTorch's outputs for B=1 and B=5, as raw float32."""
    os.makedirs(ref_dir, exist_ok=True)
    g = torch.Generator().manual_seed(seed)
    img = DEMO_CONFIG["img_size"]
    low = img // 4
    image = torch.randn(1, 3, img, img, generator=g)
    decoder = SamOnnxModel(model)
    cases = {"encoder": {"inputs": {"input_image": image}}}
    with torch.no_grad():
        emb = model.image_encoder(image)
        cases["encoder"]["outputs"] = {"image_embeddings": emb}
        for name, b, n, has_mask, size in (("b1", 1, 2, 0.0, (180.0, 256.0)), ("b5", 5, 3, 1.0, (256.0, 200.0))):
            coords = torch.rand(b, n, 2, generator=g) * (img - 1)
            labels = torch.tensor([1.0, -1.0, 0.0, 2.0, 3.0])[torch.randint(0, 5, (b, n), generator=g)]
            feeds = {
                "image_embeddings": emb,
                "point_coords": coords,
                "point_labels": labels,
                "mask_input": torch.randn(b, 1, low, low, generator=g) * 4,
                "has_mask_input": torch.tensor([has_mask]),
                "orig_im_size": torch.tensor(size),
            }
            masks, scores, low_res = decoder(*feeds.values())
            cases[name] = {
                "inputs": feeds,
                "outputs": {"masks": masks, "iou_predictions": scores, "low_res_masks": low_res},
            }
    index = {}
    for case, tensors in cases.items():
        index[case] = {}
        for kind in ("inputs", "outputs"):
            index[case][kind] = {}
            for key, t in tensors[kind].items():
                file = f"{case}.{kind}.{key}.f32"
                t.detach().numpy().astype("<f4").tofile(os.path.join(ref_dir, file))
                index[case][kind][key] = {"file": file, "dims": list(t.shape)}
    with open(os.path.join(ref_dir, "index.json"), "w") as f:
        json.dump(index, f, indent=1)


def write_model_json(model, out_dir: str, meta: dict) -> None:
    grid = DEMO_CONFIG["img_size"] // DEMO_CONFIG["patch_size"]
    path = os.path.join(out_dir, "model.json")
    previous = {}
    if os.path.exists(path):
        with open(path) as f:
            previous = json.load(f)
    doc = {
        "name": "demo-sam",
        "description": "A small Segment Anything model (SAM architecture, scaled down) "
        + ("trained on procedural shapes." if meta else "with random weights (untrained placeholder, same contract)."),
        "format": "meta",
        "inputSize": DEMO_CONFIG["img_size"],
        "lowResSize": 4 * grid,
        "embeddingShape": [1, DEMO_CONFIG["prompt_embed_dim"], grid, grid],
        "mean": list(PIXEL_MEAN),
        "std": list(PIXEL_STD),
        "maskThreshold": 0.0,
        "encoder": "encoder.onnx",
        "decoder": "decoder.onnx",
        "opset": OPSET,
        "parameters": count_parameters(model),
        "architecture": {k: list(v) if isinstance(v, tuple) else v for k, v in DEMO_CONFIG.items()},
        "provenance": {
            "script": "tools/demo-model/train.py",
            "exportScript": "tools/demo-model/export_onnx.py",
            "trained": bool(meta),
            "seed": meta.get("seed"),
            "steps": meta.get("steps"),
            "device": meta.get("device"),
            "trainSeconds": meta.get("seconds"),
            "stages": meta.get("stages"),
            "date": meta.get("date") or datetime.date.today().isoformat(),
            "torchExport": torch.__version__,
        },
        "license": "MIT. Generated in this repository; trained only on procedurally generated images.",
        # Filled by `npm run eval:demo -- --update-model-json`; kept across re-exports of the same weights.
        "measured": previous.get("measured") if meta and previous.get("provenance", {}).get("steps") == meta.get("steps") else None,
    }
    with open(path, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", help=".npz state dict from train.py")
    parser.add_argument("--untrained", action="store_true", help="export a seeded random initialization")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="public/models/demo-sam")
    parser.add_argument("--reference", help="folder for PyTorch reference inputs/outputs")
    args = parser.parse_args()
    if bool(args.weights) == bool(args.untrained):
        parser.error("give exactly one of --weights or --untrained")
    torch.manual_seed(args.seed)
    model = build_demo_sam().eval()
    meta = load_weights(model, args.weights) if args.weights else {}
    os.makedirs(args.out, exist_ok=True)
    export(model, args.out)
    fix_output_shapes(args.out)
    write_model_json(model, args.out, meta)
    if args.reference:
        write_reference(model, args.reference, args.seed + 1)
    sizes = {f: os.path.getsize(os.path.join(args.out, f)) for f in ("encoder.onnx", "decoder.onnx")}
    print(json.dumps({"out": args.out, "bytes": sizes, "parameters": count_parameters(model)}, indent=1))


if __name__ == "__main__":
    main()
