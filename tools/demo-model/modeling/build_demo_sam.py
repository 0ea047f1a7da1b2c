"""The demo configuration: SAM's architecture at 256x256 input, scaled down to ~3M parameters."""

from typing import Any, Dict

from .image_encoder import ImageEncoderViT
from .mask_decoder import MaskDecoder
from .prompt_encoder import PromptEncoder
from .sam import Sam
from .transformer import TwoWayTransformer

DEMO_CONFIG: Dict[str, Any] = {
    "img_size": 256,
    "patch_size": 16,
    "encoder_embed_dim": 160,
    "encoder_depth": 6,
    "encoder_num_heads": 4,
    "encoder_window_size": 8,
    # SAM ViT-B uses global blocks 2,5,8,11 of 12; at depth 6 the same rhythm gives 2 and 5.
    "encoder_global_attn_indexes": (2, 5),
    "prompt_embed_dim": 128,
    "mask_in_chans": 16,
    "decoder_depth": 2,
    "decoder_num_heads": 4,
    "decoder_mlp_dim": 512,
    "iou_head_hidden_dim": 128,
}


def build_demo_sam(config: Dict[str, Any] = DEMO_CONFIG) -> Sam:
    img_size = config["img_size"]
    grid = img_size // config["patch_size"]
    embed = config["prompt_embed_dim"]
    return Sam(
        image_encoder=ImageEncoderViT(
            img_size=img_size,
            patch_size=config["patch_size"],
            embed_dim=config["encoder_embed_dim"],
            depth=config["encoder_depth"],
            num_heads=config["encoder_num_heads"],
            out_chans=embed,
            use_rel_pos=True,
            window_size=config["encoder_window_size"],
            global_attn_indexes=tuple(config["encoder_global_attn_indexes"]),
        ),
        prompt_encoder=PromptEncoder(
            embed_dim=embed,
            image_embedding_size=(grid, grid),
            input_image_size=(img_size, img_size),
            mask_in_chans=config["mask_in_chans"],
        ),
        mask_decoder=MaskDecoder(
            transformer_dim=embed,
            transformer=TwoWayTransformer(
                depth=config["decoder_depth"],
                embedding_dim=embed,
                num_heads=config["decoder_num_heads"],
                mlp_dim=config["decoder_mlp_dim"],
            ),
            iou_head_hidden_dim=config["iou_head_hidden_dim"],
        ),
    )
