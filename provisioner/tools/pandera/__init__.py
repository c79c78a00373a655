"""pandera: schema validation of pandas DataFrames (the ``pandera`` data validator)."""
