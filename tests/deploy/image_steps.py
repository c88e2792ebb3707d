"""A stand-in for ``prefect_docker.deployments.steps.build_docker_image`` where no Docker engine
runs (the server tests): it builds nothing and returns what the real step returns, so that
``prefect deploy`` resolves ``{{ build-image.* }}`` in the Kubernetes variant as it would.
scripts/image-smoke.sh runs the real build and push steps."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def build_docker_image(
    image_name: str, dockerfile: str = "Dockerfile", tag: str | None = None, **_: Any
) -> dict[str, str]:
    if not Path(dockerfile).is_file():
        raise FileNotFoundError(f"no Dockerfile at {dockerfile} (from {Path.cwd()})")
    tag = tag or "latest"
    return {
        "image_name": image_name,
        "tag": tag,
        "image": f"{image_name}:{tag}",
        "image_id": "sha256:" + "0" * 64,
    }
