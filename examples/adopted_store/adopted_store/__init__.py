"""An example flavor: an artifact store that adopts an existing directory and never deletes it."""
