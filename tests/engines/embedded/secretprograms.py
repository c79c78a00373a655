"""Test programs whose resources take secrets: as inputs, or captured by their provider."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, Resource

from tests.engines.embedded.fileprovider import File, FileProvider


class PlainFileProvider(FileProvider):
    """A FileProvider whose serialized form the SDK marks secret only if it captured a secret
    (as the local recipes' providers do)."""

    serialize_as_secret_always = False


class TokenFileProvider(PlainFileProvider):
    """Writes ``<path>.token`` beside each file from a token captured when the program ran."""

    def __init__(self, journal: str, token: Any) -> None:
        super().__init__(journal)
        self.token = token  # a pulumi Output: it is pickled with its value

    def create(self, props: dict[str, Any]) -> CreateResult:
        result = super().create(props)
        Path(props["path"] + ".token").write_text(self.token.get())
        return result

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        Path(id_ + ".token").unlink(missing_ok=True)
        super().delete(id_, props)


class ProviderFile(Resource):
    """A file managed by the given FileProvider (or subclass)."""

    def __init__(self, name: str, provider: FileProvider, path: str, content: Any) -> None:
        super().__init__(provider, name, {"path": path, "content": content, "size": None})


def secret_input_program(root: str, journal: str, password: str) -> Callable[[], None]:
    """A file whose content is the secret ``password``; exports its content and a secret."""

    def program() -> None:
        creds = File("creds", f"{root}/creds.txt", pulumi.Output.secret(password), journal)
        pulumi.export("creds_content", creds.content)
        pulumi.export("token", pulumi.Output.secret("hush"))

    return program


def captured_token_program(root: str, journal: str, token: str, *, secret: bool):
    """A file whose provider captured ``token`` (a secret output unless ``secret`` is False)."""

    def program() -> None:
        value = pulumi.Output.secret(token) if secret else pulumi.Output.from_input(token)
        provider = TokenFileProvider(journal, value)
        ProviderFile("tok", provider, f"{root}/tok.txt", "public")

    return program


def plain_program(root: str, journal: str) -> Callable[[], None]:
    """A file without any secret (its provider is not marked secret either)."""

    def program() -> None:
        ProviderFile("plain", PlainFileProvider(journal), f"{root}/plain.txt", "nothing secret")

    return program
