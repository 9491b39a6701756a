"""Transforms: build the SQL models under ``sql/`` (staging views, marts tables) in order."""

from transforms.breadth_settings import sync_breadth_settings
from transforms.pairs import sync_pairs
from transforms.runner import (
    LAYERS,
    Model,
    ModelBuildError,
    ModelError,
    ModelResult,
    build_models,
    discover_models,
)

__all__ = [
    "LAYERS",
    "Model",
    "ModelBuildError",
    "ModelError",
    "ModelResult",
    "build_models",
    "discover_models",
    "sync_breadth_settings",
    "sync_pairs",
]
