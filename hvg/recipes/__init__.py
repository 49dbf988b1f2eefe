"""Each model's training recipe: its optimizers, its step and its options (hvg.recipes.base).

A recipe factory takes a freshly built model and its options as keyword arguments and returns
a `Recipe`; hvg.registry pairs each model with its recipe, and hvg.run trains by name.
"""
