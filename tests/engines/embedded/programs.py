"""Test programs for the embedded engine, importable by the crash-test subprocesses."""

from __future__ import annotations

from collections.abc import Callable

import pulumi

from tests.engines.embedded.fileprovider import File, Folder


def folder_program(
    root: str,
    journal: str,
    content: str = "v1",
    second: str = "b.txt",
    *,
    dbr: bool = False,
    extra: bool = False,
    delay: float = 0,
    fail: str | None = None,
) -> Callable[[], None]:
    """One Folder component (files a and b, b depending on a), optionally a third file
    created after the folder.

    Exports ``b`` (b's path), ``b_content`` and a secret ``token``.
    """

    def program() -> None:
        folder = Folder("f", root, journal, content, second, dbr=dbr, delay=delay)
        if extra:
            after = pulumi.ResourceOptions(depends_on=[folder])
            File("extra", f"{root}/extra.txt", "x", journal, after, fail=fail)
        pulumi.export("b", folder.b.path)
        pulumi.export("b_content", folder.b.content)
        pulumi.export("token", pulumi.Output.secret("hush"))

    return program
