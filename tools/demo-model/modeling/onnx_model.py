"""Export wrappers in Meta's ONNX contract (segment_anything/utils/onnx.py, SamOnnxModel)."""

from typing import Tuple

import torch
import torch.nn.functional as F
from torch import nn

from .sam import Sam


class SamOnnxModel(nn.Module):
    """Decoder graph: prompts -> all 4 masks upscaled to the original size, IoUs, low-res logits.

    Unlike Meta's export the prompt batch B (dim 0 of point_coords/point_labels/mask_input) may
    exceed 1; the single image embedding is repeated over it. With B=1 it is Meta's contract.
    """

    def __init__(self, model: Sam) -> None:
        super().__init__()
        self.mask_decoder = model.mask_decoder
        self.model = model
        self.img_size = model.image_encoder.img_size

    @staticmethod
    def resize_longest_image_size(input_image_size: torch.Tensor, longest_side: int) -> torch.Tensor:
        input_image_size = input_image_size.to(torch.float32)
        scale = longest_side / torch.max(input_image_size)
        transformed_size = scale * input_image_size
        return torch.floor(transformed_size + 0.5).to(torch.int64)

    def _embed_points(self, point_coords: torch.Tensor, point_labels: torch.Tensor) -> torch.Tensor:
        point_coords = point_coords + 0.5
        point_coords = point_coords / self.img_size
        prompt_encoder = self.model.prompt_encoder
        point_embedding = prompt_encoder.pe_layer._pe_encoding(point_coords)
        point_labels = point_labels.unsqueeze(-1).expand_as(point_embedding)
        point_embedding = point_embedding * (point_labels != -1)
        point_embedding = point_embedding + prompt_encoder.not_a_point_embed.weight * (point_labels == -1)
        for i in range(prompt_encoder.num_point_embeddings):
            point_embedding = point_embedding + prompt_encoder.point_embeddings[i].weight * (point_labels == i)
        return point_embedding

    def _embed_masks(self, input_mask: torch.Tensor, has_mask_input: torch.Tensor) -> torch.Tensor:
        prompt_encoder = self.model.prompt_encoder
        mask_embedding = has_mask_input * prompt_encoder.mask_downscaling(input_mask)
        return mask_embedding + (1 - has_mask_input) * prompt_encoder.no_mask_embed.weight.reshape(1, -1, 1, 1)

    def mask_postprocessing(self, masks: torch.Tensor, orig_im_size: torch.Tensor) -> torch.Tensor:
        masks = F.interpolate(masks, size=(self.img_size, self.img_size), mode="bilinear", align_corners=False)
        prepadded_size = self.resize_longest_image_size(orig_im_size, self.img_size).to(torch.int64)
        masks = masks[..., : prepadded_size[0], : prepadded_size[1]]
        orig_im_size = orig_im_size.to(torch.int64)
        h, w = orig_im_size[0], orig_im_size[1]
        return F.interpolate(masks, size=(h, w), mode="bilinear", align_corners=False)

    def forward(
        self,
        image_embeddings: torch.Tensor,
        point_coords: torch.Tensor,
        point_labels: torch.Tensor,
        mask_input: torch.Tensor,
        has_mask_input: torch.Tensor,
        orig_im_size: torch.Tensor,
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        sparse_embedding = self._embed_points(point_coords, point_labels)
        dense_embedding = self._embed_masks(mask_input, has_mask_input)
        masks, scores = self.model.mask_decoder.predict_masks(
            image_embeddings=image_embeddings,
            image_pe=self.model.prompt_encoder.get_dense_pe(),
            sparse_prompt_embeddings=sparse_embedding,
            dense_prompt_embeddings=dense_embedding,
        )
        upscaled_masks = self.mask_postprocessing(masks, orig_im_size)
        return upscaled_masks, scores, masks
