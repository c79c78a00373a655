"""``pulumi_aws`` for the recipes, loading each service one resource module at a time.

``pulumi_aws`` registers its services (``ec2``, ``iam``, ...) as lazy modules, but the first
name read from one runs the service's ``__init__``, which imports every resource of the service
with its input and output types: more than a megabyte of generated code for EC2 or SageMaker,
where a recipe needs a few classes. Here a service answers ``aws.ec2.Vpc`` by importing
``pulumi_aws/ec2/vpc.py`` (and what that module imports), and runs the service's ``__init__``
only for a name it cannot place, or for ``dir()``. Every name resolves to the same object as
with the plain SDK, and the package stays whole for any other user (see
:mod:`provisioner.recipes.sdk_loader`).

Recipes write ``from provisioner.recipes.aws.sdk import aws`` instead of
``import pulumi_aws as aws``.
"""

from __future__ import annotations

import pulumi_aws as aws

from provisioner.recipes.sdk_loader import per_resource

per_resource(aws)

__all__ = ["aws"]
