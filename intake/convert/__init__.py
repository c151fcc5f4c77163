"""Sandboxed conversion of untrusted files to pixel-only PDFs (issue 18).

Only `worker` and `frames` run inside the sandbox; they import nothing else of intake, so
the sandbox needs no access to the application's code, configuration or data.
"""
