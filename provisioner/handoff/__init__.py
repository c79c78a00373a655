"""The data scientist's side of the hand-off: check, activate and export a received stack."""
