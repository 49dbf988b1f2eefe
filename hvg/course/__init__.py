"""The course's own tools, on top of the generative-model core (the rest of `hvg`).

What the notebooks use besides models and metrics: the shipped checkpoints, loaded or trained
where missing (`pretrained`); pictures (`plots`) and widgets (`widgets`); the graded
exercises' checks (`exercises`) and the instructor's nbgrader helpers (`classroom`); the Colab
set-up (`colab`); the benchmark reports the notebooks read (`reports`); and notebook 02's 2-D
toy GAN (`toy`). Nothing in the core imports from here.
"""
