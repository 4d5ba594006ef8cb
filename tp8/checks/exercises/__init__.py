"""One spec file per exercise: each defines its :class:`~tp8.checks.engine.Exercise` and its public check.

A spec file holds, for its exercise: tp8's reference with the student's signature; the usual
mistakes, each a :class:`~tp8.checks.engine.Mistake` (the code that makes it beside its hint, in
French and English); the cases on the tiny network and on the real one; the distance between two
results; the exercise's own properties; and the public check, ``EXERCISE.run(...)`` decorated with
``@EXERCISE.check``. The names in its ``__all__`` become ``tp8.checks.<name>``.
"""
