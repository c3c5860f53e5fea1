"""Pieces shared by the api, the worker, the activities and the CLI.

Only settings, the Temporal connection and storage live here, so that no
process has to import another process's package.
"""
