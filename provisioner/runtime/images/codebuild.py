"""The ``aws`` image builder's runtime side: the build context goes to the stack's bucket, a
CodeBuild build of the recipe's project builds and pushes it to ECR, and its phases stream back.

The context holds a generated Dockerfile (pip installs from PyPI inside CodeBuild, which has
the network), the pipeline's source under ``app/``, provisioner under ``provisioner/`` and
``requirements.txt``. The tag is the same content hash as the local builder's; a tag ECR
already holds is not built again.
"""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provisioner.catalog.types import ComponentType
from provisioner.errors import OperationError, UserInputError
from provisioner.runtime.components.base import import_sdk
from provisioner.runtime.components.image_builder import BuiltImage, ImageBuilder, Progress
from provisioner.runtime.images import inputs
from provisioner.runtime.images.append import running_python
from provisioner.runtime.images.context import context_entries

if TYPE_CHECKING:
    from provisioner.runtime.pipeline import Pipeline

#: ECR Public's copy of Docker's official Python image, reachable from CodeBuild.
DEFAULT_BASE = "public.ecr.aws/docker/library/python:{python}-slim"
_DONE = ("SUCCEEDED", "FAILED", "FAULT", "TIMED_OUT", "STOPPED")


class AWSCodeBuildImageBuilder(ImageBuilder):
    """Connection: ``{"source_uri", "aws": {"project_name"}}`` (``s3://bucket/prefix`` of
    build contexts, and the recipe's CodeBuild project); optional ``base_image``,
    ``poll_interval``."""

    def build(
        self,
        pipeline: Pipeline | None = None,
        *,
        source_root: Path | None = None,
        requirements: tuple[str, ...] = (),
        progress: Progress | None = None,
    ) -> BuiltImage:
        say = progress or (lambda _line: None)
        started = time.monotonic()
        ins = inputs.collect(
            pipeline, self.stack, source_root=source_root, requirements=requirements
        )
        python = running_python()
        base = str(self.config.get("base_image") or DEFAULT_BASE.format(python=python))
        repo_uri = self._repository()
        tag = ins.tag(f"ref:{base}", python, (), "codebuild")
        session = self._session()
        ecr = session.client("ecr", endpoint_url=self.stack.endpoints.get("ecr"))
        repo_name = repo_uri.split("/", 1)[1]
        found = _ecr_digest(ecr, repo_name, tag)
        if found:
            say(f"{repo_uri}:{tag} is already in ECR: nothing to build")
            return BuiltImage(
                f"{repo_uri}:{tag}", found, tag, "codebuild", True, time.monotonic() - started
            )
        bucket, _, prefix = str(self.config["source_uri"]).removeprefix("s3://").partition("/")
        key = f"{prefix.strip('/')}/{tag}.zip".lstrip("/")
        say(f"uploading the build context to s3://{bucket}/{key}")
        s3 = session.client("s3", endpoint_url=self.stack.endpoints.get("s3"))
        s3.put_object(Bucket=bucket, Key=key, Body=context_zip(ins, base))
        cb = session.client("codebuild", endpoint_url=self.stack.endpoints.get("codebuild"))
        build_id = cb.start_build(
            projectName=self._project_name(),
            sourceTypeOverride="S3",
            sourceLocationOverride=f"{bucket}/{key}",
            environmentVariablesOverride=[{"name": "IMAGE_TAG", "value": tag, "type": "PLAINTEXT"}],
        )["build"]["id"]
        say(f"CodeBuild build {build_id} started")
        status = self._follow(cb, build_id, say)
        if status != "SUCCEEDED":
            raise OperationError(
                f"CodeBuild build {build_id} ended {status}",
                hint=f"see its log: aws codebuild batch-get-builds --ids {build_id}",
            )
        digest = _ecr_digest(ecr, repo_name, tag)
        if not digest:
            raise OperationError(
                f"CodeBuild build {build_id} succeeded, but ECR has no {repo_uri}:{tag}",
                hint="check the project's buildspec pushes $REPOSITORY_URI:$IMAGE_TAG",
            )
        return BuiltImage(
            f"{repo_uri}:{tag}", digest, tag, "codebuild", False, time.monotonic() - started
        )

    def _follow(self, cb: Any, build_id: str, say: Progress) -> str:
        """Poll the build until it ends, reporting each new phase; its final status."""
        interval = float(self.config.get("poll_interval", 5.0))
        seen = ""
        while True:
            build = cb.batch_get_builds(ids=[build_id])["builds"][0]
            phase = build.get("currentPhase") or ""
            if phase and phase != seen:
                say(f"phase {phase}")
                seen = phase
            status = build.get("buildStatus") or "IN_PROGRESS"
            if status in _DONE:
                return status
            time.sleep(interval)

    def _project_name(self) -> str:
        """``aws.project_name``, or the top-level key of a stack config from before it moved."""
        aws = self.config.get("aws")
        name = (aws.get("project_name") if isinstance(aws, dict) else None) or self.config.get(
            "project_name"
        )
        if not isinstance(name, str) or not name:
            raise UserInputError(
                "the image builder's connection has no aws.project_name (the CodeBuild "
                "project): deploy the stack again, or add it to the stack config"
            )
        return name

    def _repository(self) -> str:
        comp = self.stack.component(ComponentType.CONTAINER_REGISTRY)
        uri = str(comp.config.get("uri") or "") if comp else ""
        if "/" not in uri:
            raise UserInputError(
                f"stack {self.stack.name!r}: the CodeBuild image builder pushes to the stack's "
                "ECR repository, and the stack has none",
                hint="add a container_registry (flavor aws) to the stack",
            )
        return uri

    def _session(self) -> Any:
        boto3 = import_sdk("boto3", "aws")
        auth = self.stack.auth
        region = self.stack.location.get("region")
        session = boto3.session.Session(profile_name=auth.aws_profile, region_name=region)
        if auth.aws_role_arn:
            from provisioner.runtime.stores.aws_role import assume

            session = assume(session, auth.aws_role_arn, region=region)
        return session


def _ecr_digest(ecr: Any, repo: str, tag: str) -> str | None:
    from botocore.exceptions import ClientError

    try:
        images = ecr.describe_images(repositoryName=repo, imageIds=[{"imageTag": tag}])
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("ImageNotFoundException",):
            return None
        raise OperationError(f"cannot look up {repo}:{tag} in ECR: {exc}") from None
    details = images.get("imageDetails") or []
    return details[0]["imageDigest"] if details else None


def context_zip(ins: inputs.BuildInputs, base: str) -> bytes:
    """The build context as a zip (what a CodeBuild S3 source takes), reproducible."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in context_entries(ins, base):
            info = zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buf.getvalue()
