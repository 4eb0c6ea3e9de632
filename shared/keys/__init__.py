"""Every key and secret a deployment needs, generated in the forms compose and Kubernetes read.

``python -m shared.keys generate --out DIR`` (see :mod:`shared.keys.__main__`).
"""
