"""The Label Studio annotator client: its REST API over plain HTTP (no SDK needed)."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from typing import Any, Self

from provisioner.errors import NotFoundError, OperationError, UserInputError
from provisioner.runtime.components.annotator import AnnotationExport, Annotator, Project

#: Tasks sent per import request.
IMPORT_BATCH = 1000
#: Seconds one API request may take (an export of a large project takes a while).
TIMEOUT = 300.0
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


class LabelStudioAnnotator(Annotator):
    """Projects, tasks and exports of one Label Studio server.

    The connection names the server (``url``) and the environment variable holding the API
    token (``token_env``); the token is read on first use.
    """

    @classmethod
    def from_connection(cls, connection: Any, stack: Any) -> Self:
        client = cls(connection, stack)
        missing = [k for k in ("url", "token_env") if not client.config.get(k)]
        if missing:
            raise UserInputError(
                f"stack {stack.name!r}: the annotator's connection lacks {', '.join(missing)}",
                hint="Redeploy the stack and hand out the new stack config.",
            )
        client.base_url = str(client.config["url"]).rstrip("/")
        client.token_env = str(client.config["token_env"])
        host = urllib.parse.urlsplit(client.base_url).hostname or ""
        # Loopback servers are never reached through a proxy.
        handlers = [urllib.request.ProxyHandler({})] if host in _LOOPBACK else []
        client._opener = urllib.request.build_opener(*handlers)
        return client

    base_url: str
    token_env: str
    _opener: urllib.request.OpenerDirector

    # -- the interface ---------------------------------------------------------------------

    def create_project(self, name: str, label_config: str) -> Project:
        data = self._call("POST", "/api/projects", {"title": name, "label_config": label_config})
        return self._project(data)

    def get_project(self, project: Project | int | str) -> Project:
        if isinstance(project, Project):
            return project
        if isinstance(project, int) and not isinstance(project, bool):
            return self._project(self._call("GET", f"/api/projects/{project}"))
        found = [p for p in self._projects() if p["title"] == project]
        if not found:
            raise NotFoundError(f"Label Studio at {self.base_url} has no project {project!r}")
        return self._project(found[0])

    def import_tasks(
        self, project: Project | int | str, items: Sequence[dict[str, Any]] | Any
    ) -> int:
        proj = self.get_project(project)
        tasks = [_task(item, i) for i, item in enumerate(self._items(items))]
        imported = 0
        for start in range(0, len(tasks), IMPORT_BATCH):
            batch = tasks[start : start + IMPORT_BATCH]
            done = self._call("POST", f"/api/projects/{proj.id}/import", batch)
            imported += int(done.get("task_count", len(batch)))
        return imported

    def export(self, project: Project | int | str) -> AnnotationExport:
        proj = self.get_project(project)
        # Without download_all_tasks Label Studio exports only the tasks that have annotations.
        tasks = self._call(
            "GET",
            f"/api/projects/{proj.id}/export",
            query={"exportType": "JSON", "download_all_tasks": "true"},
        )
        if not isinstance(tasks, list):
            raise OperationError(f"Label Studio at {self.base_url} sent an export that is no list")
        return AnnotationExport(proj, tasks, self._store(proj, tasks))

    def url(self, project: Project | int | str) -> str:
        return self.get_project(project).url

    # -- helpers ---------------------------------------------------------------------------

    def _project(self, data: dict[str, Any]) -> Project:
        id_ = int(data["id"])
        return Project(id_, str(data.get("title") or ""), f"{self.base_url}/projects/{id_}/data")

    def _projects(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        page = 1
        while True:
            data = self._call("GET", "/api/projects", query={"page": str(page), "page_size": "100"})
            if isinstance(data, list):  # older servers answer without paging
                return data
            found.extend(data.get("results") or [])
            if not data.get("next"):
                return found
            page += 1

    def _items(self, items: Any) -> list[Any]:
        """The items to import: a list as is; an artifact (its ref or URI) loaded first."""
        from provisioner.runtime.artifacts import ArtifactRef

        if isinstance(items, ArtifactRef | str):
            from provisioner.runtime.client import RunClient

            uri = items.uri if isinstance(items, ArtifactRef) else items
            items = RunClient(self.stack).load_artifact(uri)
        if isinstance(items, dict) or not isinstance(items, Sequence) or isinstance(items, str):
            raise UserInputError(
                f"import_tasks takes a list of dicts (or an artifact holding one), got "
                f"{type(items).__name__}"
            )
        return list(items)

    def _store(self, project: Project, tasks: list[dict[str, Any]]) -> Any:
        """Save the export as a JSON artifact of the stack; by the running step if any."""
        from provisioner.runtime.artifacts import ArtifactIO
        from provisioner.runtime.context import _current
        from provisioner.runtime.runner import download_dir
        from provisioner.runtime.serializers import serializer_named
        from provisioner.runtime.stores import open_store

        producer: dict[str, Any] = {"annotator": self.flavor, "project": project.id}
        ctx = _current.get()
        if ctx is not None:
            producer.update(run_id=ctx.run_id, step=ctx.step, output="annotations")
        io = ArtifactIO(open_store(self.stack), download_dir(self.stack))
        return io.save(tasks, serializer_named("json"), producer)

    def _token(self) -> str:
        token = os.environ.get(self.token_env)
        if not token:
            raise UserInputError(
                f"the annotator's API token is not set: ${self.token_env} is empty",
                hint=f"The operator reads it with `provisioner stack outputs {self.stack.name} "
                "secrets.annotator.api_token --raw --show-secrets`; "
                f"export it as {self.token_env}.",
            )
        return token

    def _call(
        self, method: str, path: str, body: Any = None, query: dict[str, str] | None = None
    ) -> Any:
        url = self.base_url + path + ("?" + urllib.parse.urlencode(query) if query else "")
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": f"Token {self._token()}", "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with self._opener.open(request, timeout=TIMEOUT) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            raise _http_error(method, path, exc) from None
        except OSError as exc:
            raise OperationError(
                f"Label Studio at {self.base_url} cannot be reached: {exc}",
                hint="Is the stack deployed and its server running? `provisioner stack refresh` "
                "tells; a deploy starts it again.",
            ) from None
        return json.loads(raw) if raw else {}


def _task(item: Any, index: int) -> dict[str, Any]:
    """One task: ``{"data": {...}}`` as is (with predictions, meta...), a plain dict wrapped."""
    if not isinstance(item, dict):
        raise UserInputError(
            f"import_tasks: item {index} is {type(item).__name__}, expected a dict of the "
            "fields the labelling interface shows"
        )
    if isinstance(item.get("data"), dict):
        return item
    return {"data": item}


def _http_error(method: str, path: str, exc: urllib.error.HTTPError) -> Exception:
    try:
        body = json.loads(exc.read() or b"{}")
    except ValueError:
        body = {}
    detail = body.get("validation_errors") or body.get("detail") or exc.reason
    text = f"Label Studio refused {method} {path} ({exc.code}): {detail}"
    if exc.code in (401, 403):
        return UserInputError(text, hint="Check the API token in the annotator's token_env.")
    if exc.code == 404:
        return NotFoundError(text)
    if exc.code == 400:
        return UserInputError(text)
    return OperationError(text)
