"""The per-resource loader (:mod:`provisioner.recipes.sdk_loader`) on ``pulumi_aws``: one
resource module at a time, the same objects, a whole package. (The AWS recipes use thin classes,
see test_thin_sdk.py; the loader serves the gcp recipes and anyone reading pulumi_aws this way.)

Each case runs in a fresh interpreter, since other tests load whole services of ``pulumi_aws``.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap


def run(code: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr


def test_a_resource_loads_its_own_module_not_its_whole_service():
    run(
        """
        import sys
        import pulumi_aws as aws
        from provisioner.recipes.sdk_loader import per_resource

        per_resource(aws)

        aws.sagemaker.MlflowTrackingServer
        aws.ec2.Vpc
        aws.s3.Bucket  # its module imports the service's shared types: still not the rest
        loaded = set(sys.modules)
        assert "pulumi_aws.sagemaker.mlflow_tracking_server" in loaded
        for other in ("pulumi_aws.sagemaker.algorithm", "pulumi_aws.sagemaker._inputs",
                      "pulumi_aws.ec2._inputs", "pulumi_aws.ec2.instance",
                      "pulumi_aws.s3.access_point"):
            assert other not in loaded, other
        """
    )


def test_names_are_the_objects_the_sdk_binds_and_the_package_stays_whole():
    run(
        """
        import pulumi_aws
        import pulumi_aws as aws
        from provisioner.recipes.sdk_loader import per_resource

        per_resource(aws)

        assert aws is pulumi_aws
        got = {
            "s3.Bucket": aws.s3.Bucket,  # bucket.py runs `from . import outputs` mid-import
            "s3.BucketArgs": aws.s3.BucketArgs,
            "s3.BucketLifecycleConfigurationRuleArgs": aws.s3.BucketLifecycleConfigurationRuleArgs,
            "ec2.RouteTable": aws.ec2.RouteTable,
            "ec2.get_vpc": aws.ec2.get_vpc,
            "iam.Role": aws.iam.Role,
            "iam.outputs": aws.iam.outputs,
        }
        assert callable(got["ec2.get_vpc"]) and aws.ec2.get_vpc is got["ec2.get_vpc"]  # twice
        assert isinstance(got["iam.outputs"], type(aws))
        for service in ("s3", "ec2", "iam"):
            dir(getattr(aws, service))  # runs the service's __init__: every name, rebound
        for path, value in got.items():
            service, name = path.split(".")
            assert getattr(getattr(pulumi_aws, service), name) is value, path
        assert "InternetGateway" in dir(aws.ec2)
        try:
            aws.ec2.NoSuchResource
        except AttributeError:
            pass
        else:
            raise AssertionError("an unknown name must raise AttributeError")
        """
    )


def test_star_import_of_a_service_sees_every_name():
    run(
        """
        import pulumi_aws as aws
        from provisioner.recipes.sdk_loader import per_resource

        per_resource(aws)

        aws.ecr.Repository
        namespace = {}
        exec("from pulumi_aws.ecr import *", namespace)
        assert {"Repository", "LifecyclePolicy", "RegistryScanningConfiguration"} <= set(namespace)
        """
    )
