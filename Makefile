# The two commands of the README: `make run` and `make test`.
# Each creates or updates the virtual environment in .venv, then does its job.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EXTRAS := deep,ray,video,onnx,dev
INSTALLED := $(VENV)/.installed-$(EXTRAS)

REAL_METHODS := svm,knn,rf,xgboost,cnn,seresnet
REAL_SOURCES := rafdb fer2013 ferplus ckplus
comma := ,
space := $(subst ,, )
COMMIT = $(shell git rev-parse --short HEAD)

.PHONY: run test lint clean real analyses clean-tree

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $@

run: $(INSTALLED)
	$(BIN)/ferbench run

test: $(INSTALLED)
	$(BIN)/python -m pytest -q

# The committed reports come from one clean commit: both refuse a tree with changes.
# `make real` is four runs, one per training source, each scored on the other three; each
# writes its own report (reports/real-<source>/), so a part can be (re)made on its own.
# Their run directories are per commit (runs/<commit>/real-<source>): an interrupted part
# resumes from its stored cells, and a new commit never reuses cells an older one computed.
real: $(addprefix real-,$(REAL_SOURCES))

real-%: clean-tree $(INSTALLED)
	@test -n "$(DATA_ROOT)" || { echo "make $@: set DATA_ROOT to a data root (see datasets/README.md)"; exit 2; }
	@test -n "$(filter $*,$(REAL_SOURCES))" || { echo "make $@: unknown source '$*'; one of: $(REAL_SOURCES)"; exit 2; }
	$(BIN)/ferbench run --methods $(REAL_METHODS) --train $* \
		--test $(subst $(space),$(comma),$(filter-out $*,$(REAL_SOURCES))) \
		--ensembles cnn+seresnet,svm+cnn --data-root $(DATA_ROOT) --out runs/$(COMMIT)/real-$* --reports reports

analyses: clean-tree $(INSTALLED)
	$(BIN)/ferbench run --methods svm,xgboost,cnn --datasets synth-fer,synth-raf \
		--ensembles svm+cnn,xgboost+cnn --corruptions all --train-fractions 0.1,0.25,0.5,1 \
		--out runs/$(COMMIT)/analyses --reports reports

# Reports already written (the earlier parts of `make real`) do not count as changes.
clean-tree:
	@test -z "$$(git status --porcelain -- . ':(exclude)reports')" || { echo "make: uncommitted changes (git status); a committed report must come from one clean commit"; exit 2; }

lint: $(INSTALLED)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache
