"""One probe per checked component type: each proves the component usable, or says why not."""
