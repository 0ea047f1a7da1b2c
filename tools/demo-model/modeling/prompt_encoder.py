"""Prompt encoder (segment_anything/modeling/prompt_encoder.py): random-Fourier positional
encoding of points and box corners, learned point-type embeddings, mask downscaling convs."""

from typing import Optional, Tuple, Type

import math

import torch
from torch import nn

from .common import LayerNorm2d


class PromptEncoder(nn.Module):
    def __init__(
        self,
        *,
        embed_dim: int,
        image_embedding_size: Tuple[int, int],
        input_image_size: Tuple[int, int],
        mask_in_chans: int,
        activation: Type[nn.Module] = nn.GELU,
    ) -> None:
        """
        Args:
            embed_dim: prompt embedding width (= image embedding channels).
            image_embedding_size: (H, W) of the image embedding grid.
            input_image_size: (H, W) of the padded encoder input, the frame of point coordinates.
            mask_in_chans: hidden channels of the mask downscaling convs.
        """
        super().__init__()
        self.embed_dim = embed_dim
        self.input_image_size = input_image_size
        self.image_embedding_size = image_embedding_size
        self.pe_layer = PositionEmbeddingRandom(embed_dim // 2)
        # 0 negative point, 1 positive point, 2 box top-left, 3 box bottom-right.
        self.num_point_embeddings = 4
        self.point_embeddings = nn.ModuleList(nn.Embedding(1, embed_dim) for _ in range(4))
        self.not_a_point_embed = nn.Embedding(1, embed_dim)
        self.mask_input_size = (4 * image_embedding_size[0], 4 * image_embedding_size[1])
        self.mask_downscaling = nn.Sequential(
            nn.Conv2d(1, mask_in_chans // 4, kernel_size=2, stride=2),
            LayerNorm2d(mask_in_chans // 4),
            activation(),
            nn.Conv2d(mask_in_chans // 4, mask_in_chans, kernel_size=2, stride=2),
            LayerNorm2d(mask_in_chans),
            activation(),
            nn.Conv2d(mask_in_chans, embed_dim, kernel_size=1),
        )
        self.no_mask_embed = nn.Embedding(1, embed_dim)

    def get_dense_pe(self) -> torch.Tensor:
        """Positional encoding of the image embedding grid, [1, C, H, W]."""
        return self.pe_layer(self.image_embedding_size).unsqueeze(0)

    def embed_points(self, points: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Sparse embeddings for points [B,N,2] with labels [B,N] in {-1,0,1,2,3}.

        Written with masks and sums (as SamOnnxModel._embed_points) so that training and the
        exported decoder compute the same thing; box corners are points with labels 2 and 3.
        """
        points = points + 0.5  # shift to the pixel centre
        points = points / torch.tensor(
            [self.input_image_size[1], self.input_image_size[0]], dtype=points.dtype, device=points.device
        )
        point_embedding = self.pe_layer._pe_encoding(points)
        labels = labels.unsqueeze(-1).expand_as(point_embedding)
        point_embedding = point_embedding * (labels != -1)
        point_embedding = point_embedding + self.not_a_point_embed.weight * (labels == -1)
        for i in range(self.num_point_embeddings):
            point_embedding = point_embedding + self.point_embeddings[i].weight * (labels == i)
        return point_embedding

    def embed_masks(self, masks: torch.Tensor, has_mask_input: torch.Tensor) -> torch.Tensor:
        """Dense embeddings: downscaled mask logits where given, no_mask_embed elsewhere.

        has_mask_input is [1] (one flag for the batch, as Meta's contract) or [B].
        """
        flag = has_mask_input.reshape(-1, 1, 1, 1)
        mask_embedding = flag * self.mask_downscaling(masks)
        return mask_embedding + (1 - flag) * self.no_mask_embed.weight.reshape(1, -1, 1, 1)


class PositionEmbeddingRandom(nn.Module):
    """Positional encoding with random spatial frequencies (Tancik et al., Fourier features)."""

    def __init__(self, num_pos_feats: int = 64, scale: Optional[float] = None) -> None:
        super().__init__()
        if scale is None or scale <= 0.0:
            scale = 1.0
        self.register_buffer("positional_encoding_gaussian_matrix", scale * torch.randn((2, num_pos_feats)))

    def _pe_encoding(self, coords: torch.Tensor) -> torch.Tensor:
        """Coordinates normalized to [0,1] -> [..., 2*num_pos_feats] sin/cos features."""
        coords = 2 * coords - 1
        coords = coords @ self.positional_encoding_gaussian_matrix
        coords = 2 * math.pi * coords
        return torch.cat([torch.sin(coords), torch.cos(coords)], dim=-1)

    def forward(self, size: Tuple[int, int]) -> torch.Tensor:
        h, w = size
        device = self.positional_encoding_gaussian_matrix.device
        grid = torch.ones((h, w), device=device, dtype=torch.float32)
        y_embed = (grid.cumsum(dim=0) - 0.5) / h
        x_embed = (grid.cumsum(dim=1) - 0.5) / w
        pe = self._pe_encoding(torch.stack([x_embed, y_embed], dim=-1))
        return pe.permute(2, 0, 1)
