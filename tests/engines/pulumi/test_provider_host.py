"""The CLI's dynamic-provider host runs an interpreter that can load every built-in provider.

The real engine runs dynamic providers out of process: the CLI's ``pulumi-resource-pulumi-python``
shim starts ``$PULUMI_RUNTIME_VIRTUALENV/bin/python`` when that variable is set, else
``$PULUMI_PYTHON_CMD``, and that process unpickles the provider the program registered. Here
both interpreters the engine sets up really run, in a subprocess outside the source tree,
and import each provider by the module path its pickle names, then unpickle it.
"""

from __future__ import annotations

import base64
import importlib
import inspect
import json
import pickletools
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest
from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider

from provisioner.engines.pulumi.workspace import WorkspaceSettings

LOADER = """
import base64, importlib, json, sys
import dill
out = {}
for name, (modules, pickled) in json.loads(sys.stdin.read()).items():
    for module in modules:
        importlib.import_module(module)
    provider = dill.loads(base64.b64decode(pickled))
    out[name] = type(provider).__module__ + "." + type(provider).__qualname__
print(json.dumps(out))
"""


def builtin_providers() -> list[type[ResourceProvider]]:
    """Every dynamic provider class the built-in recipes define."""
    import provisioner.recipes as recipes

    found = []
    for info in pkgutil.walk_packages(recipes.__path__, "provisioner.recipes."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, ResourceProvider) and cls.__module__ == module.__name__:
                found.append(cls)
    return found


def named_modules(pickled: bytes) -> set[str]:
    """The modules a pickle imports objects from (GLOBAL and STACK_GLOBAL opcodes)."""
    modules: set[str] = set()
    pushed: list[object] = []  # what each opcode left on top of the stack, strings only
    memo: list[object] = []
    for op, arg, _ in pickletools.genops(pickled):
        if op.name in ("SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE"):
            pushed.append(arg)
        elif op.name in ("BINGET", "LONG_BINGET", "GET"):
            pushed.append(memo[int(arg)] if int(arg) < len(memo) else None)
        elif op.name == "MEMOIZE":
            memo.append(pushed[-1] if pushed else None)
            continue
        elif op.name == "STACK_GLOBAL":
            modules.add(str(pushed[-2]))
            pushed.append(None)
        elif op.name == "GLOBAL":
            modules.add(str(arg).split(" ", 1)[0])
            pushed.append(None)
        else:
            pushed.append(None)
    return modules


def provider_host_python(env: dict[str, str], operation: str) -> str:
    """The interpreter the CLI's shim runs for ``operation`` under ``env``."""
    if operation in ("destroy", "refresh"):
        if sys.prefix != sys.base_prefix:  # in a virtualenv the shim must be pointed at it
            assert "PULUMI_RUNTIME_VIRTUALENV" in env, "the engine must name the virtualenv"
        if "PULUMI_RUNTIME_VIRTUALENV" in env:
            return str(Path(env["PULUMI_RUNTIME_VIRTUALENV"]) / "bin" / "python")
    # Without a virtualenv the shim runs $PULUMI_PYTHON_CMD.
    return env["PULUMI_PYTHON_CMD"]


def test_the_recipes_define_dynamic_providers():
    names = {cls.__name__ for cls in builtin_providers()}
    assert {"LocalDirectoryProvider", "LocalRegistryProvider"} <= names


@pytest.mark.parametrize("operation", ["up", "destroy"])
def test_provider_host_interpreter_loads_every_builtin_provider(operation, tmp_path):
    env = WorkspaceSettings.for_stack("dev").env
    python = provider_host_python(env, operation)
    payload, expected = {}, {}
    for cls in builtin_providers():
        pickled = serialize_provider(cls())  # what the program stores in ``__provider``
        modules = named_modules(base64.b64decode(pickled))
        assert cls.__module__ in modules  # by reference, so the host must import it
        payload[cls.__name__] = (sorted(modules), pickled)
        expected[cls.__name__] = f"{cls.__module__}.{cls.__qualname__}"

    # Outside the source tree, with nothing on PYTHONPATH: only what the interpreter has.
    clean = {k: v for k, v in env.items() if k.startswith("PULUMI_")}
    clean["PATH"] = "/usr/bin:/bin"
    result = subprocess.run(
        [python, "-c", LOADER],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=clean,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout) == expected
