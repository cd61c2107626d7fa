# The two commands of the README: `make run` and `make test`.
# Each creates or updates the virtual environment in .venv, then does its job.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EXTRAS := deep,ray,video,onnx,dev
INSTALLED := $(VENV)/.installed-$(EXTRAS)

.PHONY: run test lint clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $@

run: $(INSTALLED)
	$(BIN)/ferbench run

test: $(INSTALLED)
	$(BIN)/python -m pytest -q

lint: $(INSTALLED)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache
