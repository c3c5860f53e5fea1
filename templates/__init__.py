"""The template marketplace's capability, shared by the API and the loader:
the spec a template version is (spec.py), parameters bound at deploy
(params.py), the checks a spec passes before it is stored (checks.py), files
in and out (files.py), storage (store.py) and the built-ins (loader.py,
builtin/)."""
