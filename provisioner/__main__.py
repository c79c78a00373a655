"""``python -m provisioner``."""

from provisioner.cli.entry import main

main()
