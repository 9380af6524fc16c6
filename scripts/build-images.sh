#!/bin/sh
# Builds Colony's three images from images/Dockerfile: colony/runtime, colony/controller and
# colony/gateway, tagged $COLONY_IMAGE_TAG (default dev). Needs a running Docker engine (or set
# DOCKER=podman). Usage: npm run images   |   COLONY_IMAGE_TAG=0.1.0 npm run images
set -eu

cd "$(dirname "$0")/.."
docker=${DOCKER:-docker}
tag=${COLONY_IMAGE_TAG:-dev}

if ! command -v "$docker" >/dev/null 2>&1; then
  echo "colony images: '$docker' is not installed; install Docker (or set DOCKER=podman) to build the images" >&2
  exit 1
fi
if ! "$docker" info >/dev/null 2>&1; then
  echo "colony images: '$docker' cannot reach a container engine ('$docker info' failed): start Docker, or build on a machine that has one; the images cannot be built without an engine" >&2
  exit 1
fi

for target in runtime controller gateway; do
  echo "colony images: building colony/$target:$tag"
  "$docker" build --file images/Dockerfile --target "$target" --tag "colony/$target:$tag" .
done
echo "colony images: built colony/runtime:$tag colony/controller:$tag colony/gateway:$tag"
