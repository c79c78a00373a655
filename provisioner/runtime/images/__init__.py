"""Step images built with no Docker daemon: OCI layers appended over HTTP, or buildah."""
