"""Build the one inline Pulumi program for a stack: one ComponentResource per component."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from provisioner.catalog.flavor import RecipeContext

if TYPE_CHECKING:
    from provisioner.spec.loader import LoadedStack

#: Stack output holding each component's connection config: {type: {flavor, connection}}.
COMPONENTS_OUTPUT = "components"
#: Stack output holding auth references recipes offer (e.g. ``aws_role_arn``, a role to assume).
AUTH_OUTPUT = "auth"
#: Stack output holding secret values recipes keep for the operator (a server's admin
#: password, an API token), by component type: always secret, never in the stack config;
#: ``provisioner stack outputs --show-secrets`` reveals it.
SECRETS_OUTPUT = "secrets"


def build_program(stack: LoadedStack) -> Callable[[], None]:
    """Return the inline program for ``stack``.

    Each recipe builder is imported only when the program runs, so a cloud's Pulumi SDK is
    loaded only for stacks on that cloud. Every recipe returns a ComponentResource with a
    ``connection`` dict; the program exports them all under ``components``. A recipe may also
    offer auth references (an ``auth`` dict), exported under ``auth``, and secret values for
    the operator (a ``secrets`` dict), exported as one secret under ``secrets``.
    """

    def program() -> None:
        import pulumi

        from provisioner.engines.pickling import guard_provider_serialization

        guard_provider_serialization()
        ctx = RecipeContext(spec=stack.spec, base_dir=stack.source.resolve().parent)
        exported = {}
        auth: dict = {}
        secret_values: dict = {}
        for type_, comp in stack.components.items():
            builder = comp.flavor.load_recipe()
            name = f"{stack.name}-{str(type_).replace('_', '-')}"
            resource = builder(name, comp.config, ctx)
            ctx.components[type_] = resource
            exported[str(type_)] = {
                "flavor": comp.flavor.name,
                "connection": getattr(resource, "connection", {}),
            }
            auth.update(getattr(resource, "auth", None) or {})
            if getattr(resource, "secrets", None):
                secret_values[str(type_)] = resource.secrets
        pulumi.export(COMPONENTS_OUTPUT, exported)
        if auth:
            pulumi.export(AUTH_OUTPUT, auth)
        if secret_values:
            pulumi.export(SECRETS_OUTPUT, pulumi.Output.secret(secret_values))

    return program
