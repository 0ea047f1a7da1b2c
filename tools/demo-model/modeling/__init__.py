"""A scaled-down Segment Anything model whose module names and data flow follow
segment_anything/modeling, so exported ONNX graphs look like Meta's exports."""

from .build_demo_sam import DEMO_CONFIG, build_demo_sam
from .sam import Sam

__all__ = ["DEMO_CONFIG", "build_demo_sam", "Sam"]
