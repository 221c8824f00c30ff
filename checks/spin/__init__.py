"""SPIN, derived: the model as Promela (`promela.py`), checked by SPIN (`run.py`)."""
