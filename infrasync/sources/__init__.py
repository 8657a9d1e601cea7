"""Where activity comes from: GitHub (`github.py`) and local git repositories
(`local_git.py`), both yielding the model in `model.py`."""
