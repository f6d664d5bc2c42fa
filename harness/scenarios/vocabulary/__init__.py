"""The scenario format's vocabularies, one registry each, and the generator of schema.json from them."""
