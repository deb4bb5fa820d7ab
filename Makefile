# The two commands of the README: each bootstraps .venv from pyproject.toml on a fresh machine.
# `make run` installs the app alone; `make test` adds the test extras.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
APP_STAMP := $(VENV)/.installed-app
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test bench lint screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(APP_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $(APP_STAMP)

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(TEST_STAMP) $(APP_STAMP)

run: $(APP_STAMP)
	@ldconfig -p 2>/dev/null | grep -q libxcb-cursor.so.0 || [ -n "$$WAYLAND_DISPLAY" ] || \
	  echo "note: on X11, Qt needs libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 (Debian/Ubuntu: sudo apt install ...)"
	$(BIN)/emswebhook-gui

test: $(TEST_STAMP)
	QT_QPA_PLATFORM=$${QT_QPA_PLATFORM:-offscreen} $(BIN)/lint-imports
	QT_QPA_PLATFORM=$${QT_QPA_PLATFORM:-offscreen} $(BIN)/python -m pytest -q -p no:cacheprovider

bench: $(TEST_STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python tests/benchmarks/run_all.py

screenshots: $(TEST_STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python tools/screenshots.py

clean:
	rm -rf $(VENV) build *.egg-info
