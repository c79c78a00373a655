"""Package list: provisioner/ plus the top-level recipes/ folder installed as provisioner.recipes."""

from setuptools import find_packages, setup

packages = ["provisioner", *(f"provisioner.{p}" for p in find_packages("provisioner"))]
packages += ["provisioner.recipes", *(f"provisioner.recipes.{p}" for p in find_packages("recipes"))]

setup(packages=packages)
