"""The conformance test modules, collected with ``--pyargs tensorplug.testing.conformance``.

They never name a backend: ``tensorplug.testing.pytest_plugin`` parametrizes them for the one
selected with ``--tp-backend`` and applies what that backend declares.
"""
