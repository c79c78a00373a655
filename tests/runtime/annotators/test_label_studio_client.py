"""The Label Studio annotator client against a real server: projects, tasks, annotations, export."""

from __future__ import annotations

import json
import urllib.request

import pytest

from provisioner.errors import NotFoundError, UserInputError
from provisioner.runtime import RunClient, connect, get_step_context, pipeline, run_pipeline, step
from provisioner.runtime.annotators.label_studio import LabelStudioAnnotator
from provisioner.runtime.components.annotator import Annotator
from provisioner.runtime.serializers import serializer_named
from provisioner.stackconfig import ComponentConnection
from tests.runtime.conftest import make_stack

# The first session on a machine builds the server environment and its seed (minutes).
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

TOKEN_ENV = "PROVISIONER_TEST_LABEL_STUDIO_TOKEN"
LABEL_CONFIG = """
<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text">
    <Choice value="positive"/><Choice value="negative"/>
  </Choices>
</View>
"""


@pytest.fixture
def stack(tmp_path, label_studio_server, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, label_studio_server["credentials"]["token"])
    annotator = ComponentConnection(
        flavor="label_studio",
        config={"url": label_studio_server["url"], "token_env": TOKEN_ENV},
    )
    return make_stack("local", root=tmp_path, extra={"annotator": annotator})


def _annotate(server: dict, task_id: int, choice: str) -> None:
    """What a person does in the UI: an annotation, through the API."""
    body = {
        "result": [
            {
                "from_name": "sentiment",
                "to_name": "text",
                "type": "choices",
                "value": {"choices": [choice]},
            }
        ]
    }
    request = urllib.request.Request(
        f"{server['url']}/api/tasks/{task_id}/annotations",
        data=json.dumps(body).encode(),
        headers={
            "Authorization": f"Token {server['credentials']['token']}",
            "Content-Type": "application/json",
        },
        method="POST",
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=30) as resp:
        assert resp.status == 201


def test_project_tasks_annotation_export(stack, label_studio_server):
    client = connect(stack).annotator
    assert isinstance(client, LabelStudioAnnotator) and isinstance(client, Annotator)
    project = client.create_project("reviews-to-label", LABEL_CONFIG)
    assert project.name == "reviews-to-label"
    assert client.url(project) == f"{label_studio_server['url']}/projects/{project.id}/data"
    assert client.get_project("reviews-to-label") == project
    assert client.get_project(project.id) == project

    # a list (plain dicts are wrapped, tasks with "data" kept) and an artifact holding one
    assert client.import_tasks(project, [{"text": "great"}, {"data": {"text": "awful"}}]) == 2
    ref = RunClient(stack).io.save([{"text": "so-so"}], serializer_named("json"), {"test": 1})
    assert client.import_tasks("reviews-to-label", ref.uri) == 1

    exported = client.export(project)
    assert len(exported) == 3 and exported.annotated == []  # every task, annotated or not
    first = next(t for t in exported if t["data"]["text"] == "great")
    _annotate(label_studio_server, first["id"], "positive")

    exported = client.export(project)
    assert [t["data"]["text"] for t in exported.annotated] == ["great"]
    result = exported.annotated[0]["annotations"][0]["result"][0]
    assert result["value"] == {"choices": ["positive"]}
    # the export is an artifact of the stack: anyone holding the stack config can load it
    assert RunClient(stack).load_artifact(exported.artifact.uri) == exported.tasks
    assert exported.artifact.serializer == "json"


@step
def send_and_collect(texts: list[str]) -> str:
    annotator = get_step_context().annotator
    project = annotator.create_project("from-a-step", LABEL_CONFIG)
    annotator.import_tasks(project, [{"text": t} for t in texts])
    return annotator.export(project).artifact.uri


@pipeline
def labelling(texts: list[str]):
    return send_and_collect(texts)


def test_from_a_step(stack):
    run = run_pipeline(labelling, stack=stack, parameters={"texts": ["a", "b"]})
    uri = RunClient(stack).load_output(run.run_id, "send_and_collect")
    exported = RunClient(stack).load_artifact(uri)
    assert sorted(t["data"]["text"] for t in exported) == ["a", "b"]
    manifest = RunClient(stack).io.manifest(uri.rsplit("/", 1)[-1])
    assert manifest["producer"]["run_id"] == run.run_id
    assert manifest["producer"]["step"] == "send_and_collect"


def test_errors_are_clear(stack, monkeypatch):
    client = connect(stack).annotator
    with pytest.raises(NotFoundError, match="no project 'nope'"):
        client.get_project("nope")
    with pytest.raises(UserInputError, match="item 0 is str"):
        client.import_tasks(client.create_project("bad-items", LABEL_CONFIG), ["text"])
    with pytest.raises(UserInputError, match="title"):
        client.create_project("x", LABEL_CONFIG)  # Label Studio wants 3+ characters
    monkeypatch.setenv(TOKEN_ENV, "0" * 40)
    with pytest.raises(UserInputError, match="401"):
        connect(stack).annotator.get_project(1)
    monkeypatch.delenv(TOKEN_ENV)
    with pytest.raises(UserInputError, match=f"\\${TOKEN_ENV} is empty") as err:
        connect(stack).annotator.get_project(1)
    assert "secrets.annotator.api_token --raw --show-secrets" in err.value.hint
